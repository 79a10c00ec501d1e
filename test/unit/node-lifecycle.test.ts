import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import { R } from '../../src/client/client.js';
import {
  DEFAULT_NODE_LIFECYCLE_OPTIONS,
  NodeLifecycleController,
  computeZoneState,
  setNoExecuteTaint,
  syncNoScheduleTaints,
  unknownConditions,
  wantedNoExecuteTaintKey,
  wantedNoScheduleTaintKeys,
  zoneKey,
  zoneTaintRate,
  type ConditionStatus,
} from '../../src/controllers/node-lifecycle.js';
import { TestClock, controllerContext, eventually, startLocalApi, type LocalApi } from '../helpers/local-api.js';

const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-01-01T00:10:00Z';

function node(conditions: Record<string, string>, extra: { unschedulable?: boolean; taints?: Taint[]; labels?: Record<string, string> } = {}): Node {
  return {
    metadata: { name: 'n', creationTimestamp: T0, labels: extra.labels },
    spec: { unschedulable: extra.unschedulable, taints: extra.taints },
    status: { conditions: Object.entries(conditions).map(([type, status]) => ({ type, status, lastHeartbeatTime: T0, lastTransitionTime: T0 })) },
  };
}

// --- pure decisions ----------------------------------------------------------------------------

test('wantedNoScheduleTaintKeys maps conditions and spec.unschedulable to taint keys (§7.2)', () => {
  const cases: [Record<string, string>, boolean, string[]][] = [
    [{ Ready: 'True' }, false, []],
    [{ Ready: 'False' }, false, ['node.kubernetes.io/not-ready']],
    [{ Ready: 'Unknown' }, false, ['node.kubernetes.io/unreachable']],
    [{}, false, ['node.kubernetes.io/not-ready']], // never reported Ready: a new node
    [{ MemoryPressure: 'True' }, false, ['node.kubernetes.io/memory-pressure', 'node.kubernetes.io/not-ready']],
    [{ Ready: 'True', MemoryPressure: 'True' }, false, ['node.kubernetes.io/memory-pressure']],
    [{ Ready: 'True', DiskPressure: 'True' }, false, ['node.kubernetes.io/disk-pressure']],
    [{ Ready: 'True', PIDPressure: 'True' }, false, ['node.kubernetes.io/pid-pressure']],
    [{ Ready: 'True', NetworkUnavailable: 'True' }, false, ['node.kubernetes.io/network-unavailable']],
    [{ Ready: 'True', NetworkUnavailable: 'False', MemoryPressure: 'False', DiskPressure: 'Unknown' }, false, []],
    [{ Ready: 'True' }, true, ['node.kubernetes.io/unschedulable']],
    [{ Ready: 'Unknown', MemoryPressure: 'Unknown' }, true, ['node.kubernetes.io/unreachable', 'node.kubernetes.io/unschedulable']],
  ];
  for (const [conds, unschedulable, want] of cases) {
    assert.deepEqual(wantedNoScheduleTaintKeys(node(conds, { unschedulable })), want, JSON.stringify({ conds, unschedulable }));
  }
});

test('wantedNoExecuteTaintKey: not-ready for False, unreachable for Unknown, none otherwise', () => {
  const cases: [ConditionStatus | undefined, string | undefined][] = [
    ['True', undefined],
    ['False', 'node.kubernetes.io/not-ready'],
    ['Unknown', 'node.kubernetes.io/unreachable'],
    [undefined, undefined],
  ];
  for (const [status, want] of cases) assert.equal(wantedNoExecuteTaintKey(status), want, String(status));
});

test('syncNoScheduleTaints adds, keeps and removes only the controller-owned NoSchedule taints', () => {
  const user: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const old: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: T0 };
  const noExec: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: T0 };
  const cases: { name: string; taints: Taint[] | undefined; wanted: string[]; want: Taint[] | undefined }[] = [
    { name: 'nothing to do', taints: undefined, wanted: [], want: undefined },
    { name: 'user taints untouched', taints: [user], wanted: [], want: undefined },
    { name: 'added with timeAdded', taints: undefined, wanted: ['node.kubernetes.io/not-ready'], want: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: NOW }] },
    { name: 'existing kept as is', taints: [user, old], wanted: ['node.kubernetes.io/unreachable'], want: undefined },
    { name: 'stale removed', taints: [user, old, noExec], wanted: [], want: [user, noExec] },
    {
      name: 'swapped',
      taints: [old],
      wanted: ['node.kubernetes.io/not-ready'],
      want: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: NOW }],
    },
    {
      name: 'a user-added managed key without its condition is removed',
      taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }],
      wanted: [],
      want: [],
    },
    {
      name: 'cordon',
      taints: [user],
      wanted: ['node.kubernetes.io/unschedulable'],
      want: [user, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: NOW }],
    },
  ];
  for (const c of cases) assert.deepEqual(syncNoScheduleTaints(c.taints, c.wanted, NOW), c.want, c.name);
});

test('setNoExecuteTaint keeps exactly one of not-ready/unreachable NoExecute', () => {
  const nr: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: T0 };
  const ur: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: T0 };
  const ns: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: T0 };
  const user: Taint = { key: 'x', effect: 'NoExecute' };
  const cases: { name: string; taints: Taint[] | undefined; key: string | undefined; want: Taint[] | undefined }[] = [
    { name: 'add', taints: [ns], key: ur.key, want: [ns, { ...ur, timeAdded: NOW }] },
    { name: 'already there', taints: [ns, ur], key: ur.key, want: undefined },
    { name: 'swap', taints: [user, nr], key: ur.key, want: [user, { ...ur, timeAdded: NOW }] },
    { name: 'remove both', taints: [nr, ns, user, ur], key: undefined, want: [ns, user] },
    { name: 'nothing to remove', taints: [ns], key: undefined, want: undefined },
    { name: 'no taints', taints: undefined, key: undefined, want: undefined },
  ];
  for (const c of cases) assert.deepEqual(setNoExecuteTaint(c.taints, c.key, NOW), c.want, c.name);
});

test('unknownConditions marks the kubelet conditions Unknown with upstream reasons and messages', () => {
  const n = node({ Ready: 'True', MemoryPressure: 'False', DiskPressure: 'False', NetworkUnavailable: 'False' });
  const got = unknownConditions(n, NOW)!;
  const by = (t: string) => got.find((c) => c.type === t)!;
  assert.deepEqual(by('Ready'), {
    type: 'Ready',
    status: 'Unknown',
    reason: 'NodeStatusUnknown',
    message: 'Kubelet stopped posting node status.',
    lastHeartbeatTime: T0,
    lastTransitionTime: NOW,
  });
  assert.equal(by('DiskPressure').status, 'Unknown');
  assert.deepEqual(by('PIDPressure'), {
    type: 'PIDPressure',
    status: 'Unknown',
    reason: 'NodeStatusNeverUpdated',
    message: 'Kubelet never posted node status.',
    lastHeartbeatTime: T0,
    lastTransitionTime: NOW,
  });
  assert.equal(by('NetworkUnavailable').status, 'False', 'NetworkUnavailable is not the kubelet’s');
  // The input is not modified.
  assert.equal(n.status!.conditions![0]!.status, 'True');
  // Already Unknown: nothing to write, and the earlier transition time stays.
  assert.equal(unknownConditions({ ...n, status: { conditions: got } }, '2030-01-01T00:00:00Z'), undefined);
});

test('unknownConditions on a node that never reported adds every kubelet condition', () => {
  const got = unknownConditions(node({}), NOW)!;
  assert.deepEqual(
    got.map((c: NodeCondition) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'Unknown', 'NodeStatusNeverUpdated'],
      ['MemoryPressure', 'Unknown', 'NodeStatusNeverUpdated'],
      ['DiskPressure', 'Unknown', 'NodeStatusNeverUpdated'],
      ['PIDPressure', 'Unknown', 'NodeStatusNeverUpdated'],
    ],
  );
});

test('computeZoneState follows upstream thresholds', () => {
  const z = (ready: number, notReady: number, missing = 0): (ConditionStatus | undefined)[] => [
    ...Array<ConditionStatus>(ready).fill('True'),
    ...Array<ConditionStatus>(notReady).fill('Unknown'),
    ...Array<undefined>(missing).fill(undefined),
  ];
  const cases: [(ConditionStatus | undefined)[], string][] = [
    [z(0, 0), 'Normal'],
    [z(3, 0), 'Normal'],
    [z(0, 1), 'FullDisruption'],
    [z(0, 0, 2), 'FullDisruption'],
    [z(1, 2), 'Normal'], // not more than 2 unhealthy
    [z(0, 3), 'FullDisruption'],
    [z(2, 3), 'PartialDisruption'], // 3/5 = 0.6 ≥ 0.55
    [z(3, 3), 'Normal'], // 0.5 < 0.55
    [z(9, 11), 'PartialDisruption'], // 0.55
    [z(1, 1, 2), 'PartialDisruption'],
  ];
  for (const [statuses, want] of cases) assert.equal(computeZoneState(statuses, 0.55), want, JSON.stringify(statuses));
});

test('zoneKey and zoneTaintRate', () => {
  assert.equal(zoneKey(node({})), '');
  assert.equal(zoneKey(node({}, { labels: { 'topology.kubernetes.io/zone': 'a', 'topology.kubernetes.io/region': 'r' } })), 'r:\u0000:a');
  assert.equal(zoneKey(node({}, { labels: { 'failure-domain.beta.kubernetes.io/zone': 'b' } })), ':\u0000:b');
  const o = DEFAULT_NODE_LIFECYCLE_OPTIONS;
  assert.equal(zoneTaintRate('Normal', 10, o), 0.1);
  assert.equal(zoneTaintRate('FullDisruption', 10, o), 0.1);
  assert.equal(zoneTaintRate('PartialDisruption', 50, o), 0);
  assert.equal(zoneTaintRate('PartialDisruption', 51, o), 0.01);
});

// --- the controller against an in-memory API ------------------------------------------------------

const GRACE = 40;

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function setup(opts: { nodes?: string[]; startupGrace?: number } = {}) {
  const api = await startLocalApi();
  const clock = new TestClock();
  const ctx = controllerContext(api, { clock, options: { nodeMonitorGracePeriodSeconds: GRACE, nodeMonitorPeriodSeconds: 0.02 } });
  for (const name of opts.nodes ?? []) await addReadyNode(api, clock, name);
  const controller = new NodeLifecycleController(ctx, { nodeStartupGracePeriodSeconds: opts.startupGrace ?? 60 });
  await ctx.informers.start();
  await controller.start();
  return {
    api,
    clock,
    ctx,
    stop() {
      controller.stop();
      ctx.informers.stop();
    },
  };
}

function readyCondition(status: string, at: string): NodeCondition {
  return { type: 'Ready', status, reason: status === 'True' ? 'KubeletReady' : 'KubeletNotReady', message: '', lastHeartbeatTime: at, lastTransitionTime: at };
}

async function addReadyNode(api: LocalApi, clock: TestClock, name: string): Promise<void> {
  const at = iso(clock.now());
  await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [readyCondition('True', at)] } });
  await api.client.create(R.leases, 'kube-node-lease', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name },
    spec: { holderIdentity: name, leaseDurationSeconds: GRACE, renewTime: clock.now().toISOString() },
  });
}

async function renewLease(api: LocalApi, clock: TestClock, name: string): Promise<void> {
  const renewTime = clock.now().toISOString();
  await api.client.patch(R.leases, 'kube-node-lease', name, 'merge', { spec: { renewTime } });
}

/** What the agent does when it is back: post Ready=True with a fresh heartbeat. */
async function postReady(api: LocalApi, clock: TestClock, name: string, status = 'True'): Promise<void> {
  const at = iso(clock.now());
  await api.client.patch(R.nodes, undefined, name, 'strategic', { status: { conditions: [readyCondition(status, at)] } }, 'status');
}

async function getNode(api: LocalApi, name: string): Promise<Node> {
  return (await api.client.get(R.nodes, undefined, name)) as Node;
}

const taintsOf = (n: Node) => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

async function events(api: LocalApi, reason: string) {
  const { items } = await api.client.list(R.events, undefined, { fieldSelector: `reason=${reason}` });
  return items as unknown as { message: string; source: { component: string }; involvedObject: { kind: string; name: string } }[];
}

test('a node whose lease and heartbeats stop goes Unknown, gets unreachable taints, and recovers', async () => {
  const env = await setup({ nodes: ['dead', 'alive'] });
  const { api, clock } = env;
  try {
    await api.client.create(R.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'dead', containers: [{ name: 'c', image: 'busybox' }] } });
    await api.client.patch(R.pods, 'default', 'p', 'strategic', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'status');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(taintsOf(await getNode(api, 'dead')), [], 'healthy nodes are not tainted');

    // 30 s pass; only "alive" renews; 15 s more: "dead" has been silent for 45 s > 40 s.
    clock.advance(30_000);
    await renewLease(api, clock, 'alive');
    await eventually(() => api.client.get(R.leases, 'kube-node-lease', 'alive'));
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(15_000);

    const dead = await eventually(async () => {
      const n = await getNode(api, 'dead');
      return taintsOf(n).length === 2 ? n : undefined;
    }, 5000, 'unreachable taints');
    const ready = dead.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.status, 'Unknown');
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      assert.equal(dead.status!.conditions!.find((c) => c.type === t)?.reason, 'NodeStatusNeverUpdated');
    }
    assert.deepEqual(taintsOf(dead), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    for (const t of dead.spec!.taints!) assert.match(t.timeAdded ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(taintsOf(await getNode(api, 'alive')), [], 'the node that renewed its lease is fine');
    assert.equal((await getNode(api, 'alive')).status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');

    // Its pods are not Ready any more; the node and the pod say why.
    await eventually(async () => {
      const p = await api.client.get(R.pods, 'default', 'p');
      return (p.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')?.status === 'False';
    }, 2000, 'pod marked not ready');
    await eventually(async () => (await events(api, 'NodeNotReady')).length >= 2, 2000, 'events');
    const notReady = await events(api, 'NodeNotReady');
    const nodeEvent = notReady.find((e) => e.involvedObject.kind === 'Node')!;
    assert.equal(nodeEvent.message, 'Node dead status is now: NodeNotReady');
    assert.equal(nodeEvent.source.component, 'node-controller');
    assert.equal(notReady.find((e) => e.involvedObject.kind === 'Pod')!.message, 'Node is not ready');

    // The agent is back: lease renewed, Ready posted → the taints go.
    await renewLease(api, clock, 'dead');
    await postReady(api, clock, 'dead');
    await eventually(async () => taintsOf(await getNode(api, 'dead')).length === 0, 5000, 'taints removed');
  } finally {
    env.stop();
  }
});

test('Ready=False gives not-ready taints; a switch to Unknown swaps them at once', async () => {
  const env = await setup({ nodes: ['a', 'b', 'c'] });
  const { api, clock } = env;
  try {
    await postReady(api, clock, 'a', 'False');
    await eventually(
      async () => JSON.stringify(taintsOf(await getNode(api, 'a'))) === JSON.stringify(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']),
      5000,
      'not-ready taints',
    );
    // Keep b and c alive while a goes silent.
    clock.advance(30_000);
    await renewLease(api, clock, 'b');
    await renewLease(api, clock, 'c');
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(15_000);
    await eventually(
      async () => JSON.stringify(taintsOf(await getNode(api, 'a'))) === JSON.stringify(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']),
      5000,
      'unreachable taints',
    );
    // No NodeNotReady event: the node was not Ready before the controller stepped in.
    assert.equal((await events(api, 'NodeNotReady')).length, 0);
  } finally {
    env.stop();
  }
});

test('a new node carries not-ready:NoSchedule until it reports Ready', async () => {
  const env = await setup({ nodes: ['old'] });
  const { api, clock } = env;
  try {
    await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'fresh' } });
    await eventually(async () => taintsOf(await getNode(api, 'fresh')).join() === 'node.kubernetes.io/not-ready:NoSchedule', 2000, 'not-ready taint');
    await postReady(api, clock, 'fresh');
    await eventually(async () => taintsOf(await getNode(api, 'fresh')).length === 0, 2000, 'taint removed');
    const registered = await events(api, 'RegisteredNode');
    assert.ok(registered.some((e) => e.message === 'Node fresh event: Registered Node fresh in Controller'));
  } finally {
    env.stop();
  }
});

test('a node that never reports Ready goes Unknown after the startup grace', async () => {
  const env = await setup({ nodes: ['a', 'b'], startupGrace: 60 });
  const { api, clock } = env;
  try {
    await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'mute' } });
    await eventually(async () => taintsOf(await getNode(api, 'mute')).length === 1, 2000, 'not-ready taint');
    clock.advance(30_000);
    await renewLease(api, clock, 'a');
    await renewLease(api, clock, 'b');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await getNode(api, 'mute')).status?.conditions, undefined, 'still within the startup grace');
    clock.advance(31_000);
    const n = await eventually(async () => {
      const got = await getNode(api, 'mute');
      return got.status?.conditions?.length ? got : undefined;
    }, 2000, 'conditions');
    assert.equal(n.status!.conditions!.find((c) => c.type === 'Ready')!.reason, 'NodeStatusNeverUpdated');
    await eventually(
      async () => JSON.stringify(taintsOf(await getNode(api, 'mute'))) === JSON.stringify(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']),
      2000,
      'unreachable taints',
    );
  } finally {
    env.stop();
  }
});

test('cordon and pressure conditions map to NoSchedule taints and back', async () => {
  const env = await setup({ nodes: ['n'] });
  const { api, clock } = env;
  try {
    await api.client.patch(R.nodes, undefined, 'n', 'merge', { spec: { unschedulable: true } });
    await eventually(async () => taintsOf(await getNode(api, 'n')).join() === 'node.kubernetes.io/unschedulable:NoSchedule', 2000, 'cordon');
    await api.client.patch(R.nodes, undefined, 'n', 'merge', { spec: { unschedulable: null } });
    await eventually(async () => taintsOf(await getNode(api, 'n')).length === 0, 2000, 'uncordon');

    const at = iso(clock.now());
    const cond = (type: string, status: string) => ({ type, status, lastHeartbeatTime: at, lastTransitionTime: at });
    await api.client.patch(R.nodes, undefined, 'n', 'strategic', { status: { conditions: [cond('DiskPressure', 'True'), cond('PIDPressure', 'True'), cond('NetworkUnavailable', 'True')] } }, 'status');
    await eventually(
      async () =>
        taintsOf(await getNode(api, 'n')).join() ===
        ['node.kubernetes.io/disk-pressure:NoSchedule', 'node.kubernetes.io/network-unavailable:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule'].join(),
      2000,
      'pressure taints',
    );
    await api.client.patch(R.nodes, undefined, 'n', 'strategic', { status: { conditions: [cond('DiskPressure', 'False'), cond('PIDPressure', 'False'), cond('NetworkUnavailable', 'False')] } }, 'status');
    await eventually(async () => taintsOf(await getNode(api, 'n')).length === 0, 2000, 'pressure taints removed');
  } finally {
    env.stop();
  }
});

test('when every node is down, no NoExecute taints are added (master disruption mode)', async () => {
  const env = await setup({ nodes: ['only'] });
  const { api, clock } = env;
  try {
    clock.advance(45_000);
    await eventually(async () => taintsOf(await getNode(api, 'only')).join() === 'node.kubernetes.io/unreachable:NoSchedule', 2000, 'NoSchedule taint');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(taintsOf(await getNode(api, 'only')), ['node.kubernetes.io/unreachable:NoSchedule']);
  } finally {
    env.stop();
  }
});

test('NoExecute tainting is rate-limited per zone (one node at once, then 0.1 node/s)', async () => {
  const names = ['h1', 'h2', 'h3', 'h4', 'h5', 'd1', 'd2'];
  const env = await setup({ nodes: names });
  const { api, clock } = env;
  try {
    clock.advance(30_000);
    for (const n of names.filter((x) => x.startsWith('h'))) await renewLease(api, clock, n);
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(15_000);
    const noExecute = async () => {
      let n = 0;
      for (const name of ['d1', 'd2']) if (taintsOf(await getNode(api, name)).includes('node.kubernetes.io/unreachable:NoExecute')) n++;
      return n;
    };
    await eventually(async () => (await noExecute()) === 1, 2000, 'first NoExecute taint');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await noExecute(), 1, 'the second waits for a token');
    clock.advance(10_000);
    await eventually(async () => (await noExecute()) === 2, 2000, 'second NoExecute taint');
  } finally {
    env.stop();
  }
});

test('a healthy fleet costs no writes per period', async () => {
  const names = Array.from({ length: 50 }, (_, i) => `node-${i}`);
  const env = await setup({ nodes: names });
  const { api } = env;
  try {
    await new Promise((r) => setTimeout(r, 200)); // start-up events settle
    const before = api.store.revision();
    await new Promise((r) => setTimeout(r, 300)); // ~15 monitor periods
    assert.equal(api.store.revision(), before);
  } finally {
    env.stop();
  }
});
