// manage: per-node decisions as (creates, deletes, events) — the vectors of upstream's
// daemon_controller_test.go, on plain objects (the pods given are the ones the DaemonSet claims).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { Backoff } from '../../src/controllers/daemonset/backoff.js';
import { failedPodsBackoffKey, planManage, type ManagePlan } from '../../src/controllers/daemonset/manage.js';
import { placeNodes } from '../../src/controllers/daemonset/node-placement.js';
import { groupByNode } from '../../src/controllers/daemonset/pods.js';

const LABELS = { name: 'simple-daemon', type: 'production' };
const HASH = 'current';

type Strategy = NonNullable<DaemonSet['spec']>['updateStrategy'];
const ROLLING: Strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
const ON_DELETE: Strategy = { type: 'OnDelete' };
const SURGE: Strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };

function newDS(strategy: Strategy = ROLLING, podSpec: Partial<NonNullable<NonNullable<DaemonSet['spec']>['template']['spec']>> = {}, minReadySeconds = 0): DaemonSet {
  return {
    metadata: { name: 'foo', namespace: 'default', uid: 'ds-uid', generation: 1 },
    spec: {
      selector: { matchLabels: { ...LABELS } },
      template: { metadata: { labels: { ...LABELS } }, spec: { containers: [{ name: 'foo', image: 'foo/bar' }], ...podSpec } },
      updateStrategy: strategy,
      minReadySeconds,
    },
    status: { observedGeneration: 1 } as DaemonSet['status'],
  };
}

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = [], conditions: NonNullable<Node['status']>['conditions'] = [{ type: 'Ready', status: 'True' }]): Node {
  return { metadata: { name, labels }, spec: { taints }, status: { conditions } };
}

function nodes(from: number, to: number, labels: Record<string, string> = {}): Node[] {
  const out: Node[] = [];
  for (let i = from; i < to; i++) out.push(node(`node-${i}`, labels));
  return out;
}

let seq = 0;
function pod(nodeName: string, opts: { hash?: string; ready?: boolean; readySince?: number; created?: number; phase?: string; deleting?: boolean; bound?: boolean } = {}): Pod {
  const labels: Record<string, string> = { ...LABELS };
  if (opts.hash) labels['controller-revision-hash'] = opts.hash;
  const p: Pod = {
    metadata: { name: `pod-${seq++}`, namespace: 'default', labels, creationTimestamp: new Date((opts.created ?? 0) * 1000).toISOString() },
    spec: { containers: [{ name: 'c' }] },
    status: { phase: opts.phase ?? 'Running' },
  };
  if (opts.bound === false) {
    p.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } };
  } else {
    p.spec!.nodeName = nodeName;
  }
  if (opts.ready) p.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: new Date((opts.readySince ?? 0) * 1000).toISOString() }];
  if (opts.deleting) (p.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2020-01-01T00:00:00Z';
  return p;
}

function podsOn(nodeName: string, n: number, opts: Parameters<typeof pod>[1] = {}): Pod[] {
  return Array.from({ length: n }, () => pod(nodeName, opts));
}

interface Run {
  ds: DaemonSet;
  nodes: Node[];
  pods?: Pod[];
  now?: number;
  backoff?: Backoff;
}

function manage(r: Run): ManagePlan {
  return planManage({
    ds: r.ds,
    nodes: placeNodes(r.ds, r.nodes),
    podsByNode: groupByNode(r.pods ?? []),
    hash: HASH,
    now: new Date((r.now ?? 0) * 1000),
    failedPodsBackoff: r.backoff ?? new Backoff(),
  });
}

function triple(plan: ManagePlan): [number, number, number] {
  return [plan.nodesNeedingPods.length, plan.podsToDelete.length, plan.events.length];
}

/** Most vectors hold for both update strategies. */
function forBoth(name: string, fn: (strategy: Strategy) => void): void {
  for (const [label, strategy] of [['OnDelete', ON_DELETE], ['RollingUpdate', ROLLING]] as const) test(`${name} (${label})`, () => fn(strategy));
}

forBoth('controller basics: node counts and node selection', (s) => {
  const blue = { color: 'blue', speed: 'fast' };
  const cases: { name: string; run: Run; want: [number, number, number] }[] = [
    { name: '5 nodes, no selector', run: { ds: newDS(s), nodes: nodes(0, 5) }, want: [5, 0, 0] },
    { name: 'no nodes', run: { ds: newDS(s), nodes: [] }, want: [0, 0, 0] },
    { name: 'one node', run: { ds: newDS(s), nodes: nodes(0, 1) }, want: [1, 0, 0] },
    { name: 'not-ready node (condition only)', run: { ds: newDS(s), nodes: [node('node-0', {}, [], [{ type: 'Ready', status: 'False' }])] }, want: [1, 0, 0] },
    { name: 'NetworkUnavailable condition without taint', run: { ds: newDS(s), nodes: [node('node-0', {}, [], [{ type: 'NetworkUnavailable', status: 'True' }])] }, want: [1, 0, 0] },
    { name: 'nodeSelector: 4 plain, 3 labelled', run: { ds: newDS(s, { nodeSelector: blue }), nodes: [...nodes(0, 4), ...nodes(4, 7, blue)] }, want: [3, 0, 0] },
    { name: 'nodeSelector matching no node', run: { ds: newDS(s, { nodeSelector: { color: 'green' } }), nodes: [...nodes(0, 4), ...nodes(4, 7, blue)] }, want: [0, 0, 0] },
    { name: 'template nodeName node-0', run: { ds: newDS(s, { nodeName: 'node-0' }), nodes: nodes(0, 5) }, want: [1, 0, 0] },
    { name: 'template nodeName node-10 (absent)', run: { ds: newDS(s, { nodeName: 'node-10' }), nodes: nodes(0, 5) }, want: [0, 0, 0] },
    { name: 'template nodeName node-6 + matching selector', run: { ds: newDS(s, { nodeName: 'node-6', nodeSelector: blue }), nodes: [...nodes(0, 4), ...nodes(4, 7, blue)] }, want: [1, 0, 0] },
    { name: 'template nodeName node-0 + selector not matching it', run: { ds: newDS(s, { nodeName: 'node-0', nodeSelector: blue }), nodes: [...nodes(0, 4), ...nodes(4, 7, blue)] }, want: [0, 0, 0] },
    {
      name: 'required affinity color In [blue]',
      run: {
        ds: newDS(s, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'color', operator: 'In', values: ['blue'] }] }] } } } }),
        nodes: [...nodes(0, 4), ...nodes(4, 7, blue)],
      },
      want: [3, 0, 0],
    },
    {
      name: 'resources are not considered (pod asks for more than the node has)',
      run: { ds: newDS(s, { containers: [{ name: 'big', resources: { requests: { memory: '75Gi' } } }] }), nodes: [{ ...node('node-0'), status: { allocatable: { memory: '1Gi' } } }] },
      want: [1, 0, 0],
    },
    { name: 'host ports are not considered', run: { ds: newDS(s, { containers: [{ name: 'p', ports: [{ containerPort: 666, hostPort: 666 }] }] }), nodes: nodes(0, 1) }, want: [1, 0, 0] },
  ];
  for (const c of cases) assert.deepEqual(triple(manage(c.run)), c.want, c.name);
});

forBoth('controller basics: extra and misplaced pods are deleted', (s) => {
  // node-1: 1 pod, node-2: 2, node-3: 5; node-4's pods were released (not claimed): create on node-0 and node-4.
  const layout1 = [...podsOn('node-1', 1), ...podsOn('node-2', 2), ...podsOn('node-3', 5)];
  assert.deepEqual(triple(manage({ ds: newDS(s), nodes: nodes(0, 5), pods: layout1 })), [2, 5, 0]);

  const blue = { color: 'blue', speed: 'fast' };
  const ds = newDS(s, { nodeSelector: blue });
  const all = [...nodes(0, 5), ...nodes(5, 10, blue)];
  // node-1: 3 matching pods (its non-matching one is not ours), node-4: 1 → deleted; creates on node-5…9.
  assert.deepEqual(triple(manage({ ds, nodes: all, pods: [...podsOn('node-1', 3), ...podsOn('node-4', 1)] })), [5, 4, 0]);
  // node-0 1, node-1 3, node-2 4 (unlabelled: all go), node-6 13 (12 extra), node-9 1 → creates on node-5, 7, 8.
  const layout2 = [...podsOn('node-0', 1), ...podsOn('node-1', 3), ...podsOn('node-2', 4), ...podsOn('node-6', 13), ...podsOn('node-9', 1)];
  assert.deepEqual(triple(manage({ ds, nodes: all, pods: layout2 })), [3, 20, 0]);
});

forBoth('unbound pods pinned to a vanished node are deleted; bound ones are left to the pod GC', (s) => {
  const pods = [pod('node-0'), pod('node-1'), pod('node-2', { bound: false })];
  const plan = manage({ ds: newDS(s), nodes: nodes(0, 1), pods });
  assert.deepEqual(triple(plan), [0, 1, 0]);
  assert.deepEqual(plan.podsToDelete, [pods[2]!.metadata!.name]);
});

forBoth('an unbound pod counts for its affinity node', (s) => {
  assert.deepEqual(triple(manage({ ds: newDS(s), nodes: nodes(0, 1), pods: [pod('node-0', { bound: false })] })), [0, 0, 0]);
});

forBoth('failed and succeeded pods on one node', (s) => {
  const ds = newDS(s);
  const cases: { name: string; pods: Pod[]; want: [number, number, number] }[] = [
    { name: '0 failed, 1 normal', pods: podsOn('node-0', 1), want: [0, 0, 0] },
    { name: '0 failed, 0 normal', pods: [], want: [1, 0, 0] },
    { name: '1 failed, 0 normal (recreated next sync)', pods: podsOn('node-0', 1, { phase: 'Failed' }), want: [0, 1, 1] },
    { name: '1 failed, 3 normal', pods: [...podsOn('node-0', 1, { phase: 'Failed' }), ...podsOn('node-0', 3)], want: [0, 3, 1] },
    { name: '1 succeeded', pods: podsOn('node-0', 1, { phase: 'Succeeded' }), want: [0, 1, 1] },
    { name: 'only pod terminating', pods: podsOn('node-0', 1, { deleting: true }), want: [0, 0, 0] },
  ];
  for (const c of cases) assert.deepEqual(triple(manage({ ds, nodes: nodes(0, 1), pods: c.pods })), c.want, c.name);

  const failed = manage({ ds, nodes: nodes(0, 1), pods: podsOn('node-0', 1, { phase: 'Failed' }) });
  assert.equal(failed.events[0]!.type, 'Warning');
  assert.equal(failed.events[0]!.reason, 'FailedDaemonPod');
  assert.match(failed.events[0]!.message, /^Found failed daemon pod default\/pod-\d+ on node node-0, will try to kill it$/);
  const succeeded = manage({ ds, nodes: nodes(0, 1), pods: podsOn('node-0', 1, { phase: 'Succeeded' }) });
  assert.equal(succeeded.events[0]!.type, 'Normal');
  assert.equal(succeeded.events[0]!.reason, 'SucceededDaemonPod');
  assert.match(succeeded.events[0]!.message, /^Found succeeded daemon pod default\/pod-\d+ on node node-0, will try to delete it$/);
});

forBoth('failed pod back-off', (s) => {
  const ds = newDS(s);
  const backoff = new Backoff();
  const failed = podsOn('node-0', 1, { phase: 'Failed' });
  const run = (now: number) => manage({ ds, nodes: nodes(0, 1), pods: failed, backoff, now });
  assert.deepEqual(triple(run(0)), [0, 1, 1]);
  const key = failedPodsBackoffKey(ds, 'node-0');
  assert.equal(key, 'ds-uid/1/node-0');
  const delay = backoff.get(key);
  assert.ok(delay > 0);
  const again = run(0);
  assert.deepEqual(triple(again), [0, 0, 0], 'in back-off: left alone');
  assert.equal(again.requeueAfterMs, delay, 'and synced again when it ends');
  assert.equal(backoff.get(key), delay);
  assert.deepEqual(triple(run((delay - 1) / 1000)), [0, 0, 0], 'still in back-off just before the delay');
  assert.deepEqual(triple(run(delay / 1000)), [0, 1, 1], 'out of back-off at the delay');
  assert.equal(backoff.get(key), 2 * delay);
  // A spec change (new observedGeneration) starts over.
  const changed = { ...ds, status: { observedGeneration: 2 } } as DaemonSet;
  assert.deepEqual(triple(manage({ ds: changed, nodes: nodes(0, 1), pods: failed, backoff, now: delay / 1000 })), [0, 1, 1]);
});

forBoth('taints', (s) => {
  const noSchedule: Taint = { key: 'dedicated', value: 'user1', effect: 'NoSchedule' };
  const noExecute: Taint = { key: 'dedicated', value: 'user1', effect: 'NoExecute' };
  const tolerate: Toleration = { key: 'dedicated', operator: 'Equal', value: 'user1', effect: 'NoSchedule' };
  const cases: { name: string; ds: DaemonSet; node: Node; pods?: Pod[]; want: [number, number, number] }[] = [
    { name: 'running pod, node gets NoSchedule', ds: newDS(s), node: node('node-0', {}, [noSchedule]), pods: podsOn('node-0', 1), want: [0, 0, 0] },
    { name: 'running pod, node gets NoExecute', ds: newDS(s), node: node('node-0', {}, [noExecute]), pods: podsOn('node-0', 1), want: [0, 1, 0] },
    { name: 'new node with NoSchedule', ds: newDS(s), node: node('node-0', {}, [noSchedule]), want: [0, 0, 0] },
    { name: 'new node with NoSchedule, tolerated', ds: newDS(s, { tolerations: [tolerate] }), node: node('node-0', {}, [noSchedule]), want: [1, 0, 0] },
    { name: 'toleration on an untainted node', ds: newDS(s, { tolerations: [tolerate] }), node: node('node-0'), want: [1, 0, 0] },
    { name: 'not-ready NoExecute', ds: newDS(s), node: node('node-0', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }], [{ type: 'Ready', status: 'False' }]), want: [1, 0, 0] },
    { name: 'unreachable NoExecute', ds: newDS(s), node: node('node-0', {}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }], [{ type: 'Ready', status: 'Unknown' }]), want: [1, 0, 0] },
    {
      name: 'pressure taints',
      ds: newDS(s),
      node: node('node-0', {}, ['disk-pressure', 'memory-pressure', 'pid-pressure'].map((k) => ({ key: `node.kubernetes.io/${k}`, effect: 'NoSchedule' }))),
      want: [1, 0, 0],
    },
    { name: 'cordoned (unschedulable taint)', ds: newDS(s), node: node('node-0', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), want: [1, 0, 0] },
    { name: 'not-ready NoSchedule (not auto-tolerated)', ds: newDS(s), node: node('node-0', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]), want: [0, 0, 0] },
    { name: 'PreferNoSchedule is ignored', ds: newDS(s), node: node('node-0', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]), want: [1, 0, 0] },
  ];
  for (const c of cases) assert.deepEqual(triple(manage({ ds: c.ds, nodes: [c.node], pods: c.pods })), c.want, c.name);
});

test('a node leaving the selection loses its pods, Failed and Succeeded included, without events', () => {
  const ds = newDS(ROLLING, { nodeSelector: { color: 'blue' } });
  const pods = [pod('node-0'), pod('node-0', { phase: 'Failed' }), pod('node-0', { phase: 'Succeeded' }), pod('node-0', { deleting: true })];
  assert.deepEqual(triple(manage({ ds, nodes: nodes(0, 1), pods })), [0, 3, 0]);
});

test('the oldest pod is kept (bound first, then creation time)', () => {
  const keep = pod('node-0', { created: 10 });
  const unbound = pod('node-0', { created: 1, bound: false });
  const newer = pod('node-0', { created: 20 });
  const plan = manage({ ds: newDS(), nodes: nodes(0, 1), pods: [newer, unbound, keep] });
  assert.deepEqual(plan.podsToDelete.sort(), [newer.metadata!.name!, unbound.metadata!.name!].sort());
});

test('surge in manage (maxUnavailable 0, maxSurge 1)', () => {
  const ds = newDS(SURGE);
  // The (2,5,0) layout: all pods are old; one old pod is kept per node.
  assert.deepEqual(triple(manage({ ds, nodes: nodes(0, 5), pods: [...podsOn('node-1', 1), ...podsOn('node-2', 2), ...podsOn('node-3', 5)] })), [2, 5, 0]);

  // node-1: a new pod (t=100) and two old ready ones (t=50, t=60): the newest old pod goes.
  const old60 = pod('node-1', { created: 60, ready: true });
  let plan = manage({ ds, nodes: nodes(0, 5), pods: [pod('node-1', { created: 100, hash: HASH }), pod('node-1', { created: 50, ready: true }), old60, pod('node-2')] });
  assert.deepEqual(triple(plan), [3, 1, 0]);
  assert.deepEqual(plan.podsToDelete, [old60.metadata!.name]);

  // The oldest old pod is not ready: both old pods go.
  plan = manage({ ds, nodes: nodes(0, 5), pods: [pod('node-1', { created: 100, hash: HASH }), pod('node-1', { created: 50 }), pod('node-1', { created: 60, ready: true }), pod('node-2')] });
  assert.deepEqual(triple(plan), [3, 2, 0]);

  // node-0 has an unready new pod next to its old one (both stay); node-4's only pod is terminating,
  // so it gets a new pod at once although the surge budget is used.
  const pods = [pod('node-0', { hash: HASH }), pod('node-0', { ready: true }), pod('node-1', { ready: true }), pod('node-2', { ready: true }), pod('node-3', { ready: true }), pod('node-4', { ready: true, deleting: true })];
  plan = manage({ ds, nodes: nodes(0, 5), pods });
  assert.deepEqual(triple(plan), [1, 0, 0]);
  assert.deepEqual(plan.nodesNeedingPods, ['node-4']);

  // A failed pod is replaced in the same sync when surging.
  assert.deepEqual(triple(manage({ ds, nodes: nodes(0, 1), pods: podsOn('node-0', 1, { phase: 'Failed' }) })), [1, 1, 1]);
});

test('surge in manage with minReadySeconds: the old pod goes once the new one is available', () => {
  const ds = newDS(SURGE, {}, 15);
  const layout = () => [pod('node-1', { created: 100, hash: HASH, ready: true, readySince: 50 }), pod('node-1', { created: 50, ready: true }), pod('node-1', { created: 60, ready: true }), pod('node-2')];
  assert.deepEqual(triple(manage({ ds, nodes: nodes(0, 5), pods: layout(), now: 60 })), [3, 1, 0]);
  assert.deepEqual(triple(manage({ ds, nodes: nodes(0, 5), pods: layout(), now: 70 })), [3, 2, 0]);
});
