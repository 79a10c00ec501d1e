import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../src/api/object.js';
import { R } from '../../src/client/client.js';
import { TaintEvictionController, evictionTime, noExecuteTaints } from '../../src/controllers/taint-eviction.js';
import { daemonPodTolerations } from '../../src/placement/index.js';
import { controllerContext, eventually, startLocalApi, type LocalApi } from '../helpers/local-api.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: at(0) };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: at(10_000) };
const custom: Taint = { key: 'dedicated', value: 'db', effect: 'NoExecute', timeAdded: at(0) };
const noSchedule: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: at(0) };

const tol = (key: string | undefined, seconds?: number, extra: Partial<Toleration> = {}): Toleration => ({
  key,
  operator: 'Exists',
  effect: 'NoExecute',
  ...(seconds === undefined ? {} : { tolerationSeconds: seconds }),
  ...extra,
});
const defaults = [tol('node.kubernetes.io/not-ready', 300), tol('node.kubernetes.io/unreachable', 300)];

test('evictionTime: when a pod must leave a node with NoExecute taints (§7.3)', () => {
  const firstSeen = () => T0 + 42_000;
  const cases: { name: string; taints: Taint[]; tolerations: Toleration[] | undefined; want: number }[] = [
    { name: 'no taints', taints: [], tolerations: undefined, want: Infinity },
    { name: 'only NoSchedule taints', taints: [noSchedule], tolerations: undefined, want: Infinity },
    { name: 'untolerated → now', taints: [custom], tolerations: defaults, want: -Infinity },
    { name: 'untolerated among tolerated → now', taints: [unreachable, custom], tolerations: defaults, want: -Infinity },
    { name: 'default 300 s from timeAdded', taints: [unreachable], tolerations: defaults, want: T0 + 300_000 },
    { name: 'earliest of two', taints: [notReady, unreachable], tolerations: defaults, want: T0 + 300_000 },
    {
      name: 'per taint: shorter seconds on a later taint',
      taints: [unreachable, notReady],
      tolerations: [tol('node.kubernetes.io/unreachable', 300), tol('node.kubernetes.io/not-ready', 5)],
      want: T0 + 15_000,
    },
    { name: 'no seconds → never', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable')], want: Infinity },
    { name: 'wildcard toleration without seconds', taints: [unreachable, custom], tolerations: [{ operator: 'Exists' }], want: Infinity },
    { name: 'mixed: one forever, one timed', taints: [unreachable, custom], tolerations: [tol(undefined, undefined), tol('dedicated', 60)], want: Infinity },
    { name: 'timed after forever for another taint', taints: [unreachable, custom], tolerations: [tol('node.kubernetes.io/unreachable'), tol('dedicated', 60)], want: T0 + 60_000 },
    { name: '0 s → now', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable', 0)], want: -Infinity },
    { name: 'negative → now', taints: [unreachable], tolerations: [tol('node.kubernetes.io/unreachable', -5)], want: -Infinity },
    { name: 'no timeAdded → from first seen', taints: [{ ...unreachable, timeAdded: undefined }], tolerations: defaults, want: T0 + 42_000 + 300_000 },
    {
      name: 'first matching toleration wins (§7.4 edge)',
      taints: [unreachable],
      tolerations: [tol('node.kubernetes.io/unreachable', 30, { operator: 'Equal', value: '' }), tol('node.kubernetes.io/unreachable')],
      want: T0 + 30_000,
    },
    { name: 'value mismatch is not tolerated', taints: [custom], tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoExecute' }], want: -Infinity },
  ];
  for (const c of cases) assert.equal(evictionTime(c.taints, c.tolerations, firstSeen), c.want, c.name);
});

test('DaemonSet pods tolerate not-ready and unreachable forever, even over user tolerationSeconds', () => {
  const tolerations = daemonPodTolerations({ containers: [], tolerations: [tol('node.kubernetes.io/unreachable', 10)] });
  assert.equal(evictionTime([unreachable, notReady], tolerations, () => T0), Infinity);
  assert.equal(evictionTime([custom], tolerations, () => T0), -Infinity, 'other NoExecute taints still evict');
});

test('noExecuteTaints keeps only NoExecute taints', () => {
  assert.deepEqual(noExecuteTaints({ spec: { taints: [noSchedule, unreachable, custom] } }), [unreachable, custom]);
  assert.deepEqual(noExecuteTaints(undefined), []);
});

// --- the controller against an in-memory API ------------------------------------------------------

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

async function setup() {
  const api = await startLocalApi();
  const ctx = controllerContext(api);
  const controller = new TaintEvictionController(ctx);
  await ctx.informers.start();
  await controller.start();
  return {
    api,
    stop() {
      controller.stop();
      ctx.informers.stop();
    },
  };
}

async function addNode(api: LocalApi, name: string, taints: Taint[] = []): Promise<void> {
  await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { taints } });
}

async function setTaints(api: LocalApi, name: string, taints: Taint[]): Promise<void> {
  await api.client.patch(R.nodes, undefined, name, 'merge', { spec: { taints } });
}

async function addPod(api: LocalApi, name: string, nodeName: string, tolerations: Toleration[] = []): Promise<void> {
  await api.client.create(R.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, tolerations, containers: [{ name: 'c', image: 'busybox' }] },
  });
  await api.client.patch(R.pods, 'default', name, 'strategic', { status: { phase: 'Running' } }, 'status');
}

async function pod(api: LocalApi, name: string): Promise<Pod | undefined> {
  try {
    return (await api.client.get(R.pods, 'default', name)) as Pod;
  } catch {
    return undefined;
  }
}

const terminating = async (api: LocalApi, name: string) => Boolean((await pod(api, name))?.metadata?.deletionTimestamp);

async function eventMessages(api: LocalApi): Promise<string[]> {
  const { items } = await api.client.list(R.events, 'default', { fieldSelector: 'reason=TaintManagerEviction' });
  return items.map((e: KObject) => `${(e.source as { component: string }).component}: ${e.message as string}`).sort();
}

test('pods on a NoExecute-tainted node: untolerated go now, timed go later, forever stay', async () => {
  const { api, stop } = await setup();
  try {
    await addNode(api, 'n1');
    await addNode(api, 'n2');
    await addPod(api, 'ordinary', 'n1', [tol('node.kubernetes.io/unreachable', 2)]);
    await addPod(api, 'daemon', 'n1', [tol('node.kubernetes.io/unreachable'), tol('node.kubernetes.io/not-ready')]);
    await addPod(api, 'intolerant', 'n1', [tol('node.kubernetes.io/unreachable')]);
    await addPod(api, 'elsewhere', 'n2', [tol('node.kubernetes.io/unreachable', 1)]);

    await setTaints(api, 'n1', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now() }]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await terminating(api, 'ordinary'), false, 'within its 2 s');

    await setTaints(api, 'n1', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now() }, { ...custom, timeAdded: now() }]);
    await eventually(() => terminating(api, 'intolerant'), 2000, 'intolerant pod deleted at once');
    await eventually(() => terminating(api, 'ordinary'), 4000, 'ordinary pod deleted after 2 s');

    const evicted = (await pod(api, 'ordinary'))!;
    const target = evicted.status!.conditions!.find((c) => c.type === 'DisruptionTarget')!;
    assert.deepEqual([target.status, target.reason, target.message], ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']);
    assert.equal(evicted.metadata!.deletionGracePeriodSeconds, 30, 'deleted with its own grace period');

    // The daemon-style pod tolerates the unreachable taint forever, but not `dedicated`.
    await eventually(() => terminating(api, 'daemon'), 2000, 'daemon pod deleted for the untolerated taint');
    assert.equal(await terminating(api, 'elsewhere'), false, 'pods on other nodes are left alone');
    const want = [
      'taint-eviction-controller: Marking for deletion Pod default/daemon',
      'taint-eviction-controller: Marking for deletion Pod default/intolerant',
      'taint-eviction-controller: Marking for deletion Pod default/ordinary',
    ];
    await eventually(async () => (await eventMessages(api)).length === want.length, 2000, 'events');
    assert.deepEqual(await eventMessages(api), want);
  } finally {
    stop();
  }
});

test('a DaemonSet-style pod survives a node failure while an ordinary pod does not', async () => {
  const { api, stop } = await setup();
  try {
    await addNode(api, 'n');
    await addPod(api, 'ordinary', 'n', [tol('node.kubernetes.io/unreachable', 1), tol('node.kubernetes.io/not-ready', 1)]);
    await addPod(api, 'daemon', 'n', daemonPodTolerations({ containers: [] }));
    await setTaints(api, 'n', [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: now() },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now() },
    ]);
    await eventually(() => terminating(api, 'ordinary'), 3000, 'ordinary pod evicted');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await terminating(api, 'daemon'), false);
  } finally {
    stop();
  }
});

test('the clock runs from timeAdded: a taint added long ago evicts at once', async () => {
  const { api, stop } = await setup();
  try {
    await addNode(api, 'n', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }]);
    await addPod(api, 'p', 'n', defaults);
    await eventually(() => terminating(api, 'p'), 2000, 'evicted: 300 s have long passed');
  } finally {
    stop();
  }
});

test('a pod whose node loses the taint in time is spared, and the cancellation is recorded', async () => {
  const { api, stop } = await setup();
  try {
    await addNode(api, 'n');
    await addPod(api, 'p', 'n', [tol('node.kubernetes.io/unreachable', 2)]);
    await setTaints(api, 'n', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now() }]);
    await new Promise((r) => setTimeout(r, 300));
    await setTaints(api, 'n', []);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await terminating(api, 'p'), false);
    await eventually(async () => (await eventMessages(api)).length > 0, 2000, 'event');
    assert.deepEqual(await eventMessages(api), ['taint-eviction-controller: Cancelling deletion of Pod default/p']);
  } finally {
    stop();
  }
});

test('pods bound to an already tainted node are handled when they arrive and at start', async () => {
  const api = await startLocalApi();
  await addNode(api, 'n', [custom]);
  await addPod(api, 'before', 'n');
  const ctx = controllerContext(api);
  const controller = new TaintEvictionController(ctx);
  await ctx.informers.start();
  await controller.start();
  try {
    await eventually(() => terminating(api, 'before'), 2000, 'pod present at start evicted');
    await addPod(api, 'after', 'n');
    await eventually(() => terminating(api, 'after'), 2000, 'pod bound later evicted');
  } finally {
    controller.stop();
    ctx.informers.stop();
  }
});
