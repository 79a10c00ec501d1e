// DaemonSet status: the counters (daemonset-semantics §1.5), write avoidance, and the write with
// its single retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../src/api/object.js';
import { placeNodes } from '../../src/controllers/daemonset/node-placement.js';
import { groupByNode } from '../../src/controllers/daemonset/pods.js';
import { computeStatus, statusUpToDate, storeStatus, withStatus, type StatusCounts } from '../../src/controllers/daemonset/status.js';

const LABELS = { name: 'simple-daemon', type: 'production' };
const HASH = 'cur';

function newDS(opts: { minReadySeconds?: number; nodeSelector?: Record<string, string>; generation?: number; status?: Record<string, unknown> } = {}): DaemonSet {
  return {
    metadata: { name: 'foo', namespace: 'default', uid: 'ds-uid', generation: opts.generation ?? 1, annotations: { 'deprecated.daemonset.template.generation': '3' } },
    spec: {
      selector: { matchLabels: { ...LABELS } },
      template: { metadata: { labels: { ...LABELS } }, spec: { containers: [{ name: 'foo' }], nodeSelector: opts.nodeSelector } },
      minReadySeconds: opts.minReadySeconds ?? 0,
    },
    status: opts.status as DaemonSet['status'],
  };
}

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { metadata: { name, labels }, spec: { taints } };
}

let seq = 0;
function pod(nodeName: string, o: { ready?: boolean; readySince?: number; hash?: string; generation?: string; created?: number; bound?: boolean; phase?: string; deleting?: boolean } = {}): Pod {
  const labels: Record<string, string> = { ...LABELS };
  if (o.hash) labels['controller-revision-hash'] = o.hash;
  if (o.generation) labels['pod-template-generation'] = o.generation;
  const p: Pod = { metadata: { name: `pod-${seq++}`, labels, creationTimestamp: new Date((o.created ?? 0) * 1000).toISOString() }, spec: { containers: [] }, status: { phase: o.phase ?? 'Running' } };
  if (o.bound === false) p.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } };
  else p.spec!.nodeName = nodeName;
  if (o.ready) p.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: new Date((o.readySince ?? 0) * 1000).toISOString() }];
  if (o.deleting) (p.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2020-01-01T00:00:00Z';
  return p;
}

function status(ds: DaemonSet, nodes: Node[], pods: Pod[], now = 1000): StatusCounts {
  return computeStatus(ds, placeNodes(ds, nodes), groupByNode(pods), HASH, new Date(now * 1000));
}

function counts(desired: number, current: number, misscheduled: number, ready: number, updated: number, available: number): StatusCounts {
  return {
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
}

test('status counters over the nodes in the cache', () => {
  const n = (i: number) => node(`node-${i}`);
  const cases: { name: string; ds?: DaemonSet; nodes: Node[]; pods: Pod[]; now?: number; want: StatusCounts }[] = [
    { name: 'nothing', nodes: [], pods: [], want: counts(0, 0, 0, 0, 0, 0) },
    { name: 'nodes without pods', nodes: [n(0), n(1)], pods: [], want: counts(2, 0, 0, 0, 0, 0) },
    { name: 'pending pods pinned by affinity count as current', nodes: [n(0), n(1)], pods: [pod('node-0', { bound: false }), pod('node-1')], want: counts(2, 2, 0, 0, 0, 0) },
    { name: 'not ready', nodes: [n(0), n(1)], pods: [pod('node-0'), pod('node-1')], want: counts(2, 2, 0, 0, 0, 0) },
    { name: 'ready', nodes: [n(0), n(1)], pods: [pod('node-0', { ready: true }), pod('node-1', { ready: true })], want: counts(2, 2, 0, 2, 0, 2) },
    { name: 'updated by hash', nodes: [n(0), n(1)], pods: [pod('node-0', { hash: HASH }), pod('node-1', { hash: 'old' })], want: counts(2, 2, 0, 0, 1, 0) },
    { name: 'updated by template generation', nodes: [n(0)], pods: [pod('node-0', { hash: 'old', generation: '3' })], want: counts(1, 1, 0, 0, 1, 0) },
    {
      name: 'minReadySeconds: ready but not yet available',
      ds: newDS({ minReadySeconds: 10 }),
      nodes: [n(0), n(1)],
      pods: [pod('node-0', { ready: true, readySince: 995 }), pod('node-1', { ready: true, readySince: 100 })],
      want: counts(2, 2, 0, 2, 0, 1),
    },
    {
      name: 'only the preferred pod of a node counts (bound, then oldest)',
      nodes: [n(0)],
      pods: [pod('node-0', { ready: true, hash: HASH, created: 5, bound: false }), pod('node-0', { created: 9 })],
      want: counts(1, 1, 0, 0, 0, 0),
    },
    { name: 'pods on nodes not in the cache count nowhere', nodes: [n(0)], pods: [pod('node-0'), pod('node-9', { ready: true })], want: counts(1, 1, 0, 0, 0, 0) },
    { name: 'terminal pods being deleted count nowhere', nodes: [n(0)], pods: [pod('node-0', { phase: 'Failed', deleting: true })], want: counts(1, 0, 0, 0, 0, 0) },
    { name: 'a Failed pod not yet deleted is current', nodes: [n(0)], pods: [pod('node-0', { phase: 'Failed' })], want: counts(1, 1, 0, 0, 0, 0) },
    { name: 'a terminating pod is current', nodes: [n(0)], pods: [pod('node-0', { deleting: true, ready: true })], want: counts(1, 1, 0, 1, 0, 1) },
    {
      name: 'misscheduled: pod on a node the selector excludes',
      ds: newDS({ nodeSelector: { color: 'blue' } }),
      nodes: [node('node-0', { color: 'blue' }), node('node-1')],
      pods: [pod('node-0', { ready: true }), pod('node-1', { ready: true })],
      want: counts(1, 1, 1, 1, 0, 1),
    },
    {
      name: 'misscheduled: pod kept on a NoSchedule-tainted node',
      nodes: [node('node-0', {}, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }])],
      pods: [pod('node-0', { ready: true })],
      want: counts(0, 0, 1, 0, 0, 0),
    },
  ];
  for (const c of cases) assert.deepEqual(status(c.ds ?? newDS(), c.nodes, c.pods, c.now), c.want, c.name);
});

test('write avoidance: same counters and generation observed', () => {
  const c = counts(2, 2, 0, 1, 1, 1);
  const stored = { ...c };
  assert.equal(statusUpToDate(newDS({ status: { ...stored, observedGeneration: 1 } }), c), true);
  assert.equal(statusUpToDate(newDS({ status: { ...stored, observedGeneration: 2 } }), c), true);
  assert.equal(statusUpToDate(newDS({ generation: 2, status: { ...stored, observedGeneration: 1 } }), c), false, 'generation not observed');
  assert.equal(statusUpToDate(newDS({ status: { ...stored, numberReady: 2, observedGeneration: 1 } }), c), false);
  assert.equal(statusUpToDate(newDS(), counts(0, 0, 0, 0, 0, 0)), false, 'observedGeneration 0 < generation 1');
  assert.equal(statusUpToDate(newDS({ generation: 0 }), counts(0, 0, 0, 0, 0, 0)), true, 'absent fields read as 0');
});

test('the status written: omitempty counters dropped at zero, collisionCount and conditions kept', () => {
  const conditions = [{ type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from e2e test' }];
  const ds = newDS({ generation: 4, status: { collisionCount: 2, conditions, observedGeneration: 3, numberReady: 9 } });
  assert.deepEqual(withStatus(ds, counts(3, 1, 0, 0, 0, 0), 4).status, {
    collisionCount: 2,
    conditions,
    observedGeneration: 4,
    desiredNumberScheduled: 3,
    currentNumberScheduled: 1,
    numberMisscheduled: 0,
    numberReady: 0,
    numberUnavailable: 3,
  });
  assert.equal((withStatus(ds, counts(0, 0, 0, 0, 0, 0)).status as { observedGeneration?: number }).observedGeneration, 3, 'kept when not observed');
  assert.equal((ds.status as { numberReady?: number }).numberReady, 9, 'input untouched');
});

test('storing the status: one retry after a fresh GET', async () => {
  const cases: { name: string; updateFailures: number; getFails?: boolean; want: { updates: number; gets: number; error?: RegExp } }[] = [
    { name: 'succeeds at once', updateFailures: 0, want: { updates: 1, gets: 0 } },
    { name: 'one update failure', updateFailures: 1, want: { updates: 2, gets: 1 } },
    { name: 'two update failures', updateFailures: 2, want: { updates: 2, gets: 1, error: /update failed/ } },
    { name: 'update failure then get failure', updateFailures: 1, getFails: true, want: { updates: 1, gets: 1, error: /get failed/ } },
  ];
  for (const c of cases) {
    let updates = 0;
    let gets = 0;
    const written: KObject[] = [];
    const writer = {
      updateStatus: async (obj: KObject) => {
        updates++;
        written.push(obj);
        if (updates <= c.updateFailures) throw new Error('update failed');
        return obj;
      },
      get: async () => {
        gets++;
        if (c.getFails) throw new Error('get failed');
        return { ...(newDS({ generation: 7 }) as unknown as KObject), metadata: { name: 'foo', namespace: 'default', generation: 7, resourceVersion: '99' } };
      },
    };
    const p = storeStatus(writer, newDS(), counts(1, 1, 0, 1, 1, 1), true);
    if (c.want.error) await assert.rejects(p, c.want.error, c.name);
    else assert.equal(await p, true, c.name);
    assert.deepEqual({ updates, gets }, { updates: c.want.updates, gets: c.want.gets }, c.name);
    if (updates === 2) {
      assert.equal(written[1]!.metadata.resourceVersion, '99', 'the retry writes on the fresh copy');
      assert.equal((written[1]!.status as { observedGeneration: number }).observedGeneration, 1, 'observing the generation this sync saw');
    }
  }
  // Nothing to write: no call at all.
  let calls = 0;
  const idle = { updateStatus: async (o: KObject) => (calls++, o), get: async () => (calls++, {} as KObject) };
  const c = counts(1, 1, 0, 1, 1, 1);
  assert.equal(await storeStatus(idle, newDS({ status: { ...c, observedGeneration: 1 } }), c, true), false);
  assert.equal(calls, 0);
});
