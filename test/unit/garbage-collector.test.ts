import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../src/api/object.js';
import { R, type Resource } from '../../src/client/client.js';
import {
  GarbageCollector,
  attemptToDeleteDecision,
  eventExpired,
  waitsForDependents,
  type GarbageCollectorOptions,
  type OwnerState,
} from '../../src/controllers/garbage-collector.js';
import { TestClock, controllerContext, eventually, startLocalApi, type LocalApi } from '../helpers/local-api.js';

// --- pure decisions ----------------------------------------------------------------------------

test('attemptToDeleteDecision: what happens to a dependent given its owners', () => {
  const o = (...states: OwnerState[]) => states.map((state, i) => ({ uid: `u${i}`, state }));
  const cases: { name: string; owners: ReturnType<typeof o>; hasDependents?: boolean; finalizers?: string[]; want: unknown }[] = [
    { name: 'no owners', owners: [], want: { type: 'none' } },
    { name: 'live owner', owners: o('solid'), want: { type: 'none' } },
    { name: 'owner gone → background delete', owners: o('dangling'), want: { type: 'delete', propagationPolicy: 'Background' } },
    { name: 'all owners gone', owners: o('dangling', 'dangling'), want: { type: 'delete', propagationPolicy: 'Background' } },
    { name: 'one live, one gone → drop the dangling ref', owners: o('solid', 'dangling'), want: { type: 'removeOwnerReferences', uids: ['u1'] } },
    {
      name: 'one live, one waiting → drop the waiting ref too',
      owners: o('dangling', 'solid', 'waitingForDependentsDeletion'),
      want: { type: 'removeOwnerReferences', uids: ['u0', 'u2'] },
    },
    { name: 'owner waiting, no own dependents → background', owners: o('waitingForDependentsDeletion'), want: { type: 'delete', propagationPolicy: 'Background' } },
    {
      name: 'owner waiting, own dependents → foreground',
      owners: o('waitingForDependentsDeletion'),
      hasDependents: true,
      want: { type: 'delete', propagationPolicy: 'Foreground' },
    },
    { name: 'own orphan finalizer honoured', owners: o('dangling'), finalizers: ['orphan'], want: { type: 'delete', propagationPolicy: 'Orphan' } },
    { name: 'own foreground finalizer honoured', owners: o('dangling'), finalizers: ['foregroundDeletion'], want: { type: 'delete', propagationPolicy: 'Foreground' } },
    { name: 'gone owner with own dependents → still background', owners: o('dangling'), hasDependents: true, want: { type: 'delete', propagationPolicy: 'Background' } },
  ];
  for (const c of cases) assert.deepEqual(attemptToDeleteDecision(c.owners, { hasDependents: c.hasDependents ?? false, finalizers: c.finalizers }), c.want, c.name);
});

test('waitsForDependents: being deleted with the foregroundDeletion finalizer', () => {
  const obj = (deletionTimestamp?: string, finalizers?: string[]): KObject => ({ metadata: { name: 'x', deletionTimestamp, finalizers } });
  assert.equal(waitsForDependents(obj()), false);
  assert.equal(waitsForDependents(obj(undefined, ['foregroundDeletion'])), false);
  assert.equal(waitsForDependents(obj('2026-01-01T00:00:00Z', ['orphan'])), false);
  assert.equal(waitsForDependents(obj('2026-01-01T00:00:00Z', ['x', 'foregroundDeletion'])), true);
});

test('eventExpired: age counts from the last write the event shows', () => {
  const now = Date.parse('2026-01-01T02:00:00Z');
  const ev = (fields: Record<string, unknown>, created = '2026-01-01T00:00:00Z'): KObject => ({ metadata: { name: 'e', creationTimestamp: created }, ...fields });
  const cases: [KObject, boolean][] = [
    [ev({}), true],
    [ev({ lastTimestamp: '2026-01-01T00:59:00Z' }), true],
    [ev({ lastTimestamp: '2026-01-01T01:30:00Z' }), false],
    [ev({ eventTime: '2026-01-01T01:30:00.000000Z' }), false],
    [ev({ series: { count: 3, lastObservedTime: '2026-01-01T01:10:00.000000Z' } }), false],
    [ev({ lastTimestamp: '2026-01-01T00:10:00Z' }, '2026-01-01T01:10:00Z'), false],
    [ev({}, '2026-01-01T00:59:59Z'), true],
    [{ metadata: { name: 'no-times' } }, false],
  ];
  for (const [e, want] of cases) assert.equal(eventExpired(e, now, 3600), want, JSON.stringify(e));
});

// --- the controller against an in-memory API ------------------------------------------------------

async function setup(opts: { clock?: TestClock; options?: Partial<GarbageCollectorOptions>; ttl?: number } = {}) {
  const api = await startLocalApi();
  const ctx = controllerContext(api, { clock: opts.clock, options: { eventTtlSeconds: opts.ttl ?? 3600 } });
  const gc = new GarbageCollector(ctx, { podGcGraceSeconds: 0.1, ...opts.options });
  // The node the tests bind running pods to (pods on missing nodes are collected).
  await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
  await ctx.informers.start();
  await gc.start();
  return {
    api,
    stop() {
      gc.stop();
      ctx.informers.stop();
    },
  };
}

const dsBody = (name: string): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
});

function ownerRef(owner: KObject, extra: Partial<OwnerReference> = { controller: true, blockOwnerDeletion: true }): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, ...extra };
}

async function addPod(api: LocalApi, name: string, owners: OwnerReference[], nodeName?: string): Promise<KObject> {
  const pod = await api.client.create(R.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ownerReferences: owners },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
  });
  if (nodeName) await api.client.patch(R.pods, 'default', name, 'strategic', { status: { phase: 'Running' } }, 'status');
  return pod;
}

async function addRevision(api: LocalApi, name: string, owners: OwnerReference[]): Promise<KObject> {
  return api.client.create(R.controllerrevisions, 'default', { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name, ownerReferences: owners }, revision: 1, data: {} });
}

async function find(api: LocalApi, r: Resource, name: string, namespace: string | undefined = 'default'): Promise<KObject | undefined> {
  try {
    return await api.client.get(r, r.namespaced ? namespace : undefined, name);
  } catch {
    return undefined;
  }
}

const gone = (api: LocalApi, r: Resource, name: string) => async () => (await find(api, r, name)) === undefined;

test('background: the owner goes at once, then its dependents; co-owned dependents only lose the reference', async () => {
  const { api, stop } = await setup();
  try {
    const ds = await api.client.create(R.daemonsets, 'default', dsBody('ds'));
    const other = await api.client.create(R.daemonsets, 'default', dsBody('other'));
    await addPod(api, 'p1', [ownerRef(ds)]);
    await addPod(api, 'p2', [ownerRef(ds)], 'node-1'); // bound and running: deleted gracefully
    await addPod(api, 'shared', [ownerRef(ds), ownerRef(other, {})]);
    await addRevision(api, 'ds-rev', [ownerRef(ds)]);
    await addPod(api, 'unowned', []);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(await find(api, R.pods, 'p1'), 'dependents of a live owner stay');

    await api.client.delete(R.daemonsets, 'default', 'ds', { propagationPolicy: 'Background' });
    await eventually(gone(api, R.pods, 'p1'), 2000, 'p1 deleted');
    await eventually(gone(api, R.controllerrevisions, 'ds-rev'), 2000, 'revision deleted');
    await eventually(async () => (await find(api, R.pods, 'p2'))?.metadata.deletionTimestamp, 2000, 'p2 terminating');
    const shared = await eventually(async () => {
      const p = await find(api, R.pods, 'shared');
      return p?.metadata.ownerReferences?.length === 1 ? p : undefined;
    }, 2000, 'dangling reference removed');
    assert.equal(shared.metadata.ownerReferences![0]!.uid, other.metadata.uid);
    assert.equal(shared.metadata.deletionTimestamp, undefined);
    assert.ok(await find(api, R.pods, 'unowned'));
  } finally {
    stop();
  }
});

test('dependents whose owner is gone at start-up, or was replaced by a namesake, are collected', async () => {
  const api = await startLocalApi();
  const old = await api.client.create(R.daemonsets, 'default', dsBody('ds'));
  await addPod(api, 'stale', [ownerRef(old)]);
  await api.client.delete(R.daemonsets, 'default', 'ds');
  const fresh = await api.client.create(R.daemonsets, 'default', dsBody('ds'));
  await addPod(api, 'current', [ownerRef(fresh)]);
  await addPod(api, 'foreign', [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'no-such-uid', controller: true }]);
  const ctx = controllerContext(api);
  const gc = new GarbageCollector(ctx);
  await ctx.informers.start();
  await gc.start();
  try {
    await eventually(gone(api, R.pods, 'stale'), 2000, 'stale pod collected');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(await find(api, R.pods, 'current'), 'the pod of the new owner stays');
    assert.ok(await find(api, R.pods, 'foreign'), 'owners of kinds we do not know are not judged');
  } finally {
    gc.stop();
    ctx.informers.stop();
  }
});

test('foreground: dependents go first, the owner waits for the blocking ones', async () => {
  const { api, stop } = await setup();
  try {
    const ds = await api.client.create(R.daemonsets, 'default', dsBody('ds'));
    await addPod(api, 'running', [ownerRef(ds)], 'node-1');
    await addPod(api, 'pending', [ownerRef(ds)]);
    await addPod(api, 'loose', [ownerRef(ds, { controller: true, blockOwnerDeletion: false })], 'node-1');
    await addRevision(api, 'ds-rev', [ownerRef(ds)]);

    await api.client.delete(R.daemonsets, 'default', 'ds', { propagationPolicy: 'Foreground' });
    await eventually(gone(api, R.pods, 'pending'), 2000, 'pending pod deleted');
    await eventually(gone(api, R.controllerrevisions, 'ds-rev'), 2000, 'revision deleted');
    await eventually(async () => (await find(api, R.pods, 'loose'))?.metadata.deletionTimestamp, 2000, 'non-blocking dependent deleted too');
    await eventually(async () => (await find(api, R.pods, 'running'))?.metadata.deletionTimestamp, 2000, 'running pod terminating');
    await new Promise((r) => setTimeout(r, 100));
    const waiting = await find(api, R.daemonsets, 'ds');
    assert.ok(waiting, 'the owner waits while a blocking dependent terminates');
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);

    // The node's agent finishes the pod; only then does the DaemonSet go.
    await api.client.delete(R.pods, 'default', 'running', { gracePeriodSeconds: 0 });
    await eventually(gone(api, R.daemonsets, 'ds'), 2000, 'owner deleted');
    assert.ok(await find(api, R.pods, 'loose'), 'a non-blocking dependent does not hold the owner');
  } finally {
    stop();
  }
});

test('foreground deletion of an owner without dependents just removes the finalizer', async () => {
  const { api, stop } = await setup();
  try {
    await api.client.create(R.daemonsets, 'default', dsBody('ds'));
    await api.client.delete(R.daemonsets, 'default', 'ds', { propagationPolicy: 'Foreground' });
    await eventually(gone(api, R.daemonsets, 'ds'), 2000, 'owner deleted');
  } finally {
    stop();
  }
});

test('orphan: dependents keep running without the owner reference', async () => {
  const { api, stop } = await setup();
  try {
    const ds = await api.client.create(R.daemonsets, 'default', dsBody('ds'));
    const other = await api.client.create(R.daemonsets, 'default', dsBody('other'));
    await addPod(api, 'p1', [ownerRef(ds)], 'node-1');
    await addPod(api, 'p2', [ownerRef(other, {}), ownerRef(ds)]);
    await addRevision(api, 'ds-rev', [ownerRef(ds)]);

    await api.client.delete(R.daemonsets, 'default', 'ds', { propagationPolicy: 'Orphan' });
    await eventually(gone(api, R.daemonsets, 'ds'), 2000, 'owner deleted');
    const p1 = (await find(api, R.pods, 'p1'))!;
    assert.equal(p1.metadata.ownerReferences, undefined, 'no empty ownerReferences left behind');
    assert.equal(p1.metadata.deletionTimestamp, undefined);
    assert.deepEqual((await find(api, R.pods, 'p2'))!.metadata.ownerReferences!.map((r) => r.uid), [other.metadata.uid]);
    assert.equal((await find(api, R.controllerrevisions, 'ds-rev'))!.metadata.ownerReferences, undefined);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(await find(api, R.pods, 'p1'), 'orphans are not collected afterwards');
  } finally {
    stop();
  }
});

test('a big background cascade needs no GET per dependent and finishes quickly', async () => {
  const { api, stop } = await setup();
  try {
    const ds = await api.client.create(R.daemonsets, 'default', dsBody('ds'));
    for (let i = 0; i < 500; i++) await addPod(api, `p-${i}`, [ownerRef(ds)]);
    await new Promise((r) => setTimeout(r, 50));
    let gets = 0;
    const get = api.client.get.bind(api.client);
    api.client.get = (...args) => {
      gets++;
      return get(...args);
    };
    const started = Date.now();
    await api.client.delete(R.daemonsets, 'default', 'ds');
    await eventually(async () => (await api.client.list(R.pods, 'default')).items.length === 0, 5000, 'all pods deleted');
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.ok(gets <= 1, `${gets} GETs`);
  } finally {
    stop();
  }
});

test('pods bound to a node that no longer exists are marked Failed and force-deleted', async () => {
  const { api, stop } = await setup();
  try {
    await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } });
    await addPod(api, 'on-n1', [], 'n1');
    await addPod(api, 'on-n2', [], 'n2');
    await addPod(api, 'on-nothing', [], 'never-registered');
    const seen: KObject[] = [];
    const watch = api.client.watch(R.pods, 'default', { resourceVersion: String(api.store.revision()) }, { onEvent: (_t, o) => seen.push(o), onClose: () => {} });
    await api.client.delete(R.nodes, undefined, 'n1');
    await eventually(gone(api, R.pods, 'on-n1'), 2000, 'pod on deleted node removed');
    watch.stop();
    const failed = seen.find((o) => o.metadata.name === 'on-n1' && (o.status as { phase?: string }).phase === 'Failed');
    assert.ok(failed, 'marked Failed before the forced deletion');
    const cond = (failed.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions.find((c) => c.type === 'DisruptionTarget')!;
    assert.deepEqual([cond.status, cond.reason, cond.message], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists']);
    await eventually(gone(api, R.pods, 'on-nothing'), 2000, 'pod on unknown node removed');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await find(api, R.pods, 'on-n2'), 'pods on live nodes stay');
  } finally {
    stop();
  }
});

test('a node that comes back within the grace keeps its pods', async () => {
  const { api, stop } = await setup({ options: { podGcGraceSeconds: 0.5 } });
  try {
    await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await addPod(api, 'p', [], 'n1');
    await api.client.delete(R.nodes, undefined, 'n1');
    await api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(await find(api, R.pods, 'p'));
  } finally {
    stop();
  }
});

test('events older than the TTL are deleted, recent ones kept', async () => {
  const clock = new TestClock();
  const { api, stop } = await setup({ clock, options: { eventSweepIntervalSeconds: 0.05 } });
  const event = (name: string, lastTimestamp: string): KObject => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
    reason: 'Test',
    message: 'm',
    type: 'Normal',
    source: { component: 'test' },
    firstTimestamp: lastTimestamp,
    lastTimestamp,
    count: 1,
  });
  try {
    const later = new Date(Date.now() + 2 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await api.client.create(R.events, 'default', event('old', new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')));
    await api.client.create(R.events, 'default', event('recent', later));
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(await find(api, R.events, 'old'), 'nothing expires before its time');
    clock.advance(2 * 3600_000);
    await eventually(gone(api, R.events, 'old'), 2000, 'old event deleted');
    assert.ok(await find(api, R.events, 'recent'));
  } finally {
    stop();
  }
});
