// RollingUpdate budget maths and the per-sync choice of pods to replace, on plain objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { placeNodes } from '../../src/controllers/daemonset/node-placement.js';
import { groupByNode } from '../../src/controllers/daemonset/pods.js';
import { allowsSurge, findUpdatedPodsOnNode, planRollingUpdate, scaledValue, updatedDesiredNodeCounts } from '../../src/controllers/daemonset/rolling-update.js';

const LABELS = { name: 'simple-daemon', type: 'production' };
const HASH = 'new';

type IntOrString = number | string;

function newDS(rolling: { maxUnavailable?: IntOrString; maxSurge?: IntOrString } | 'OnDelete', opts: { nodeSelector?: Record<string, string>; minReadySeconds?: number } = {}): DaemonSet {
  return {
    metadata: { name: 'foo', namespace: 'default', uid: 'ds-uid', annotations: { 'deprecated.daemonset.template.generation': '2' } },
    spec: {
      selector: { matchLabels: { ...LABELS } },
      template: { metadata: { labels: { ...LABELS } }, spec: { containers: [{ name: 'foo' }], nodeSelector: opts.nodeSelector } },
      updateStrategy: rolling === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: rolling as never },
      minReadySeconds: opts.minReadySeconds ?? 0,
    },
  };
}

function nodes(n: number, labels: Record<string, string> = {}): Node[] {
  return Array.from({ length: n }, (_, i) => ({ metadata: { name: `node-${i}`, labels } }));
}

let seq = 0;
function pod(nodeName: string, opts: { updated?: boolean; ready?: boolean; readySince?: number; deleting?: boolean; generation?: string } = {}): Pod {
  const labels: Record<string, string> = { ...LABELS, 'controller-revision-hash': opts.updated ? HASH : 'old' };
  if (opts.generation) labels['pod-template-generation'] = opts.generation;
  const p: Pod = { metadata: { name: `pod-${seq++}`, namespace: 'default', labels, creationTimestamp: '2020-01-01T00:00:00Z' }, spec: { nodeName, containers: [] }, status: { phase: 'Running' } };
  if (opts.ready) p.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: new Date((opts.readySince ?? 0) * 1000).toISOString() }];
  if (opts.deleting) (p.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2020-01-01T00:00:00Z';
  return p;
}

test('scaled values: ints as they are, percentages rounded up', () => {
  const cases: [IntOrString | undefined, number, number][] = [
    [3, 10, 3],
    ['10%', 5, 1],
    ['50%', 3, 2],
    ['20%', 4, 1],
    ['100%', 2, 2],
    ['0%', 7, 0],
    ['30%', 0, 0],
    [undefined, 5, 0],
    ['10%', 5000, 500],
    ['1%', 150, 2],
  ];
  for (const [value, total, want] of cases) assert.equal(scaledValue(value, total), want, `${value} of ${total}`);
  assert.throws(() => scaledValue('abc', 3), /invalid value/);
  assert.throws(() => scaledValue('5', 3), /invalid value/);
});

test('surge is allowed when maxSurge scales to more than zero', () => {
  assert.equal(allowsSurge(newDS({ maxUnavailable: 0, maxSurge: 1 })), true);
  assert.equal(allowsSurge(newDS({ maxUnavailable: 0, maxSurge: '1%' })), true);
  assert.equal(allowsSurge(newDS({ maxUnavailable: 1, maxSurge: 0 })), false);
  assert.equal(allowsSurge(newDS({ maxUnavailable: 1, maxSurge: '0%' })), false);
  assert.equal(allowsSurge(newDS({ maxSurge: 'bad' })), false);
  assert.equal(allowsSurge(newDS('OnDelete')), false);
});

test('updatedDesiredNodeCounts: (surge, unavailable, desired, empty nodes)', () => {
  const cases: { name: string; ds: DaemonSet; nodes: number; pods: Pod[]; want: [number, number, number, number] }[] = [
    { name: 'no nodes', ds: newDS({ maxUnavailable: 0 }), nodes: 0, pods: [], want: [0, 0, 0, 0] },
    { name: 'two nodes with ready pods', ds: newDS({ maxUnavailable: 1 }), nodes: 2, pods: [pod('node-0', { ready: true }), pod('node-1', { ready: true })], want: [0, 1, 2, 0] },
    { name: 'two nodes, one without pods', ds: newDS({ maxUnavailable: 0 }), nodes: 2, pods: [pod('node-0', { ready: true })], want: [0, 1, 2, 1] },
    { name: 'two nodes, one without pods, surge 0', ds: newDS({ maxUnavailable: 0, maxSurge: 0 }), nodes: 2, pods: [pod('node-0', { ready: true })], want: [0, 1, 2, 1] },
    { name: 'maxUnavailable 50%', ds: newDS({ maxUnavailable: '50%' }), nodes: 2, pods: [pod('node-0', { ready: true }), pod('node-1', { ready: true })], want: [0, 1, 2, 0] },
    { name: 'maxSurge 50%', ds: newDS({ maxSurge: '50%' }), nodes: 2, pods: [pod('node-0', { ready: true }), pod('node-1', { ready: true })], want: [1, 0, 2, 0] },
    { name: 'maxSurge 100%', ds: newDS({ maxSurge: '100%' }), nodes: 2, pods: [pod('node-0', { ready: true }), pod('node-1', { ready: true })], want: [2, 0, 2, 0] },
    {
      name: '3 nodes, 50%, one pod terminating, one node empty',
      ds: newDS({ maxUnavailable: '50%' }),
      nodes: 3,
      pods: [pod('node-0', { ready: true }), pod('node-1', { ready: true, deleting: true })],
      want: [0, 2, 3, 1],
    },
  ];
  for (const c of cases) {
    const b = updatedDesiredNodeCounts(c.ds, placeNodes(c.ds, nodes(c.nodes)), groupByNode(c.pods));
    const empty = [...b.podsByNode.values()].filter((p) => p.length === 0).length;
    assert.deepEqual([b.maxSurge, b.maxUnavailable, b.desiredNumberScheduled, empty], c.want, c.name);
  }
  assert.throws(() => updatedDesiredNodeCounts(newDS({ maxUnavailable: 'x' }), placeNodes(newDS({}), nodes(1)), new Map()), /invalid value for MaxUnavailable/);
  assert.throws(() => updatedDesiredNodeCounts(newDS({ maxSurge: 'x' }), placeNodes(newDS({}), nodes(1)), new Map()), /invalid value for MaxSurge/);
});

test('findUpdatedPodsOnNode: at most one new and one old pod, ignoring deleted ones', () => {
  const n = pod('n', { updated: true });
  const o = pod('n');
  assert.deepEqual(findUpdatedPodsOnNode([n, o], HASH, undefined), { newPod: n, oldPod: o, ok: true });
  assert.deepEqual(findUpdatedPodsOnNode([n, o, pod('n', { deleting: true })], HASH, undefined), { newPod: n, oldPod: o, ok: true });
  assert.equal(findUpdatedPodsOnNode([n, pod('n', { updated: true })], HASH, undefined).ok, false);
  assert.equal(findUpdatedPodsOnNode([o, pod('n')], HASH, undefined).ok, false);
  // The template generation label also makes a pod new.
  const byGeneration = pod('n', { generation: '2' });
  assert.equal(findUpdatedPodsOnNode([byGeneration], HASH, 2).newPod, byGeneration);
});

function plan(ds: DaemonSet, nodeCount: number, pods: Pod[], now = 1000, nodeList = nodes(nodeCount)) {
  return planRollingUpdate(ds, placeNodes(ds, nodeList), groupByNode(pods), HASH, new Date(now * 1000));
}

test('without surge: available old pods go within maxUnavailable, unavailable ones always', () => {
  const ready = (n: string) => pod(n, { ready: true });
  // 5 ready old pods, maxUnavailable 2 → 2 deletions, no creations.
  let p = plan(newDS({ maxUnavailable: 2 }), 5, [0, 1, 2, 3, 4].map((i) => ready(`node-${i}`)));
  assert.deepEqual([p.podsToDelete.length, p.nodesToCreate.length], [2, 0]);
  // Unready old pods are replaced beyond the budget.
  p = plan(newDS({ maxUnavailable: 3 }), 5, [0, 1, 2, 3, 4].map((i) => pod(`node-${i}`)));
  assert.equal(p.podsToDelete.length, 5);
  // Unavailable new pods and empty nodes consume the budget.
  p = plan(newDS({ maxUnavailable: 3 }), 5, [pod('node-0', { updated: true }), pod('node-1', { updated: true }), ready('node-2'), ready('node-3')]);
  assert.deepEqual(p.podsToDelete, [], 'node-0, node-1 unavailable and node-4 empty: budget used');
  p = plan(newDS({ maxUnavailable: 3 }), 5, [pod('node-0', { updated: true, ready: true }), pod('node-1', { updated: true }), ready('node-2'), ready('node-3'), ready('node-4')]);
  assert.equal(p.podsToDelete.length, 2);
  // A node with an old and a new pod counts as unavailable; duplicates too.
  p = plan(newDS({ maxUnavailable: 2 }), 3, [pod('node-0', { updated: true, ready: true }), ready('node-0'), ready('node-1'), ready('node-1'), ready('node-2')]);
  assert.deepEqual(p.podsToDelete, []);
  // 100 nodes, maxUnavailable 10: 88 new unavailable, 2 old unavailable, 10 old available → only the 2.
  const pods: Pod[] = [];
  for (let i = 0; i < 88; i++) pods.push(pod(`node-${i}`, { updated: true }));
  for (let i = 88; i < 90; i++) pods.push(pod(`node-${i}`));
  for (let i = 90; i < 100; i++) pods.push(ready(`node-${i}`));
  p = plan(newDS({ maxUnavailable: 10 }), 100, pods);
  assert.deepEqual(p.podsToDelete.sort(), pods.slice(88, 90).map((x) => x.metadata!.name!).sort());
});

test('minReadySeconds: a new pod ready for too short a time is still unavailable', () => {
  const ds = newDS({ maxUnavailable: 1 }, { minReadySeconds: 10 });
  const pods = [pod('node-0', { updated: true, ready: true, readySince: 995 }), pod('node-1', { ready: true })];
  assert.equal(plan(ds, 2, pods, 1000).podsToDelete.length, 0);
  assert.equal(plan(ds, 2, pods, 1006).podsToDelete.length, 1);
});

test('with surge: new pods next to old ones, old pods go when their successor is available', () => {
  const ds = newDS({ maxUnavailable: 0, maxSurge: 2 });
  const ready = (n: string, o: Parameters<typeof pod>[1] = {}) => pod(n, { ready: true, ...o });
  // 5 old ready pods: surge onto 2 nodes.
  let p = plan(ds, 5, [0, 1, 2, 3, 4].map((i) => ready(`node-${i}`)));
  assert.deepEqual([p.podsToDelete.length, p.nodesToCreate.length], [0, 2]);
  // Two surged nodes with unavailable new pods: budget used.
  p = plan(ds, 5, [ready('node-0'), pod('node-0', { updated: true }), ready('node-1'), pod('node-1', { updated: true }), ready('node-2'), ready('node-3'), ready('node-4')]);
  assert.deepEqual([p.podsToDelete.length, p.nodesToCreate.length], [0, 0]);
  // New pods available: their old pods go and two more nodes surge.
  p = plan(ds, 5, [ready('node-0'), ready('node-0', { updated: true }), ready('node-1'), ready('node-1', { updated: true }), ready('node-2'), ready('node-3'), ready('node-4')]);
  assert.deepEqual([p.podsToDelete.length, p.nodesToCreate.length], [2, 2]);
  // Unavailable old pods get a new pod at once, beyond the surge budget.
  p = plan(newDS({ maxUnavailable: 0, maxSurge: 3 }), 5, [0, 1, 2, 3, 4].map((i) => pod(`node-${i}`)));
  assert.deepEqual([p.podsToDelete.length, p.nodesToCreate.length], [0, 5]);
});

test('with surge: pods on nodes the daemon leaves go only while enough pods are available', () => {
  const ds = newDS({ maxUnavailable: 0, maxSurge: 1 }, { nodeSelector: { role: 'worker' } });
  const workers = nodes(2, { role: 'worker' });
  const leaving = { metadata: { name: 'node-x', labels: {} } };
  const nodeList = [...workers, leaving];
  // Two workers with available new pods, the leaving node has an available old pod: 3 available > 2 desired.
  let p = plan(ds, 0, [pod('node-0', { updated: true, ready: true }), pod('node-1', { updated: true, ready: true }), pod('node-x', { ready: true })], 1000, nodeList);
  assert.equal(p.podsToDelete.length, 1);
  // One worker still without an available pod: the leaving node keeps its pod.
  p = plan(ds, 0, [pod('node-0', { updated: true, ready: true }), pod('node-1', { updated: true }), pod('node-x', { ready: true })], 1000, nodeList);
  assert.equal(p.podsToDelete.length, 0);
  // An unavailable old pod on a leaving node goes at once.
  p = plan(ds, 0, [pod('node-0', { updated: true, ready: true }), pod('node-1', { updated: true, ready: true }), pod('node-x')], 1000, nodeList);
  assert.equal(p.podsToDelete.length, 1);
  // A pod grouped under a node missing from the cache is an error while surging.
  assert.throws(() => plan(ds, 0, [pod('node-gone', { ready: true })], 1000, workers), /couldn't get node for nodeName "node-gone"/);
});
