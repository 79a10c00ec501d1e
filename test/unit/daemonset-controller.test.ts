// The DaemonSet controller driven sync by sync against an in-memory API (real storage,
// defaulting, validation, admission), with no scheduler: pods stay unbound and the test marks
// them Ready. Each sync is summed up as (creates, deletes[, events]).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../src/api/errors.js';
import type { KObject } from '../../src/api/object.js';
import { R, type Client } from '../../src/client/client.js';
import type { EventRecorder } from '../../src/client/events.js';
import type { ControllerOptions } from '../../src/controllers/context.js';
import { DaemonSetController } from '../../src/controllers/daemonset/controller.js';
import { computeTemplateHash } from '../../src/controllers/daemonset/hash.js';
import { revisionDataBytes } from '../../src/controllers/daemonset/revision-data.js';
import { controllerContext, startLocalApi, TestClock, type LocalApi } from '../helpers/local-api.js';

const LABELS = { name: 'simple-daemon', type: 'production' };
const NS = 'default';

type Spec = NonNullable<DaemonSet['spec']>;
type Strategy = Spec['updateStrategy'];

interface Recorded {
  type: string;
  reason: string;
  message: string;
}

interface Faults {
  /** Pod creations beyond this many fail. */
  createLimit?: number;
  failStatus?: boolean;
  /** What a live GET of a DaemonSet returns (adoption re-check). */
  liveDaemonSet?: (obj: KObject) => KObject;
}

/** The client the controller writes through: counts pod creations and deletions, injects faults. */
function instrumented(inner: Client, counters: { creates: number; deletes: number; createCalls: number }, faults: Faults): Client {
  return {
    get: async (r, ns, name) => {
      const obj = await inner.get(r, ns, name);
      return r === R.daemonsets && faults.liveDaemonSet ? faults.liveDaemonSet(obj) : obj;
    },
    list: (r, ns, opts) => inner.list(r, ns, opts),
    watch: (r, ns, opts, h) => inner.watch(r, ns, opts, h),
    create: async (r, ns, obj) => {
      if (r !== R.pods) return inner.create(r, ns, obj);
      counters.createCalls++;
      if (faults.createLimit !== undefined && counters.createCalls > faults.createLimit) throw new ApiError(403, 'Forbidden', 'exceeded quota');
      const created = await inner.create(r, ns, obj);
      counters.creates++;
      return created;
    },
    update: (r, ns, obj, sub) => {
      if (r === R.daemonsets && sub === 'status' && faults.failStatus) return Promise.reject(new ApiError(500, 'InternalError', 'status write failed'));
      return inner.update(r, ns, obj, sub);
    },
    patch: (r, ns, name, type, body, sub) => inner.patch(r, ns, name, type, body, sub),
    delete: async (r, ns, name, opts) => {
      if (r === R.pods) counters.deletes++;
      return inner.delete(r, ns, name, opts);
    },
    createSubresource: (r, ns, name, sub, body) => inner.createSubresource(r, ns, name, sub, body),
  };
}

class Harness {
  readonly counters = { creates: 0, deletes: 0, createCalls: 0 };
  readonly faults: Faults = {};
  readonly events: Recorded[] = [];
  readonly clock = new TestClock();
  controller!: DaemonSetController;
  private stopInformers!: () => void;

  private constructor(readonly api: LocalApi) {}

  static async start(options: Partial<ControllerOptions> = {}): Promise<Harness> {
    const h = new Harness(await startLocalApi());
    const base = controllerContext(h.api, { clock: h.clock, options });
    const recorder = { event: (_o: KObject, type: string, reason: string, message: string) => h.events.push({ type, reason, message }) } as unknown as EventRecorder;
    const ctx = { ...base, client: instrumented(h.api.client, h.counters, h.faults), recorder: () => recorder };
    h.controller = new DaemonSetController(ctx);
    await ctx.informers.start();
    h.stopInformers = () => ctx.informers.stop();
    return h;
  }

  stop(): void {
    this.controller.stop();
    this.stopInformers();
  }

  async addNodes(from: number, to: number, labels: Record<string, string> = {}, taints: Taint[] = []): Promise<void> {
    for (let i = from; i < to; i++) await this.api.client.create(R.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, labels }, spec: { taints } });
  }

  async createDS(spec: Partial<Spec> = {}, name = 'foo', annotations?: Record<string, string>): Promise<DaemonSet> {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: NS, annotations },
      spec: {
        selector: { matchLabels: { ...LABELS } },
        template: { metadata: { labels: { ...LABELS } }, spec: { containers: [{ name: 'foo', image: 'foo/bar:1' }] } },
        revisionHistoryLimit: 2,
        ...spec,
      },
    };
    return (await this.api.client.create(R.daemonsets, NS, ds as unknown as KObject)) as unknown as DaemonSet;
  }

  async ds(name = 'foo'): Promise<DaemonSet> {
    return (await this.api.client.get(R.daemonsets, NS, name)) as unknown as DaemonSet;
  }

  /** Changes the DaemonSet's spec the way kubectl edit would. */
  async editDS(change: (spec: Spec) => void, name = 'foo'): Promise<void> {
    const ds = structuredClone(await this.ds(name));
    change(ds.spec!);
    await this.api.client.update(R.daemonsets, NS, ds as unknown as KObject);
  }

  async setImage(image: string): Promise<void> {
    await this.editDS((s) => (s.template.spec!.containers[0]!.image = image));
  }

  async pods(): Promise<Pod[]> {
    return (await this.api.client.list(R.pods, NS)).items as unknown as Pod[];
  }

  async revisions(): Promise<ControllerRevision[]> {
    const items = (await this.api.client.list(R.controllerrevisions, NS)).items as unknown as ControllerRevision[];
    return items.sort((a, b) => a.revision - b.revision);
  }

  async createPod(name: string, nodeName: string, labels: Record<string, string> = LABELS, owner?: DaemonSet): Promise<Pod> {
    const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels }, spec: { nodeName, containers: [{ name: 'c', image: 'i' }] } };
    if (owner) pod.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true }];
    return (await this.api.client.create(R.pods, NS, pod)) as unknown as Pod;
  }

  async setPodStatus(pod: Pod, status: NonNullable<Pod['status']>): Promise<void> {
    const fresh = structuredClone(await this.api.client.get(R.pods, NS, pod.metadata!.name!));
    fresh.status = { ...(fresh.status as object), ...status };
    await this.api.client.update(R.pods, NS, fresh, 'status');
  }

  /** Marks every pod not yet Ready as Ready, since the test clock's now. */
  async markAllReady(): Promise<void> {
    const since = new Date(this.clock.now().getTime()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const p of await this.pods()) {
      if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      await this.setPodStatus(p, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] });
    }
  }

  /** One sync; returns (creates, deletes) and the events other than create/delete results. */
  async sync(name = 'foo'): Promise<{ cd: [number, number]; events: Recorded[]; error?: unknown }> {
    this.counters.creates = this.counters.deletes = this.counters.createCalls = 0;
    const before = this.events.length;
    let error: unknown;
    try {
      await this.controller.sync(`${NS}/${name}`);
    } catch (err) {
      error = err;
    }
    const events = this.events.slice(before).filter((e) => !['SuccessfulCreate', 'SuccessfulDelete'].includes(e.reason));
    return { cd: [this.counters.creates, this.counters.deletes], events, error };
  }

  /** Like sync, but fails the test on a sync error and returns [creates, deletes, events]. */
  async step(name = 'foo'): Promise<[number, number, number]> {
    const r = await this.sync(name);
    if (r.error) throw r.error;
    return [...r.cd, r.events.length];
  }
}

async function withHarness(fn: (h: Harness) => Promise<void>, options: Partial<ControllerOptions> = {}): Promise<void> {
  const h = await Harness.start(options);
  try {
    await fn(h);
  } finally {
    h.stop();
  }
}

const ROLLING: Strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };

// --- basics -----------------------------------------------------------------------------------

test('5 nodes: 5 unbound pods, each pinned to its node; status in the same sync', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 5);
    const ds = await h.createDS();
    assert.deepEqual(await h.step(), [5, 0, 0]);
    const pods = await h.pods();
    assert.equal(pods.length, 5);
    const targets = pods.map((p) => {
      assert.equal(p.spec?.nodeName, undefined);
      const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
      assert.equal(terms.length, 1);
      assert.equal(terms[0]!.matchFields?.length, 1);
      assert.equal(terms[0]!.matchFields![0]!.key, 'metadata.name');
      assert.equal(p.metadata?.generateName, 'foo-');
      assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: ds.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata?.labels?.['pod-template-generation'], '1');
      return terms[0]!.matchFields![0]!.values![0];
    });
    assert.deepEqual(targets.sort(), ['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
    const status = (await h.ds()).status!;
    assert.equal(status.currentNumberScheduled, 5);
    assert.equal(status.desiredNumberScheduled, 5);
    assert.equal(status.updatedNumberScheduled, 5);
    assert.equal(status.numberReady, 0);
    assert.equal(status.observedGeneration, 1);
    const created = h.events.filter((e) => e.reason === 'SuccessfulCreate');
    assert.equal(created.length, 5);
    assert.match(created[0]!.message, /^Created pod: foo-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(await h.step(), [0, 0, 0], 'nothing more to do');
  }));

test('numberReady follows the pods; the status write is skipped when nothing changed', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 2);
    await h.createDS();
    await h.step();
    assert.equal((await h.ds()).status?.numberReady, 0);
    await h.markAllReady();
    await h.step();
    const ds = await h.ds();
    assert.equal(ds.status?.numberReady, 2);
    assert.equal(ds.status?.numberAvailable, 2);
    const rv = ds.metadata?.resourceVersion;
    await h.step();
    assert.equal((await h.ds()).metadata?.resourceVersion, rv, 'no write');
  }));

test('slow start: after a failing batch the remaining creations wait for a later sync', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 100);
    await h.createDS();
    h.faults.createLimit = 10;
    const r = await h.sync();
    assert.ok(r.error, 'the sync fails');
    assert.equal(h.counters.creates, 10);
    assert.ok(h.counters.createCalls <= 1 + 2 + 4 + 8, `create calls: ${h.counters.createCalls}`);
    assert.equal(r.events.filter((e) => e.reason === 'FailedCreate').length, h.counters.createCalls - 10);
    assert.match(r.events.find((e) => e.reason === 'FailedCreate')!.message, /^Error creating: exceeded quota$/);
    assert.equal(h.controller.expectations.satisfied('default/foo'), true);
    const status = (await h.ds()).status!;
    assert.deepEqual([status.desiredNumberScheduled, status.currentNumberScheduled, status.updatedNumberScheduled], [100, 10, 10]);
    h.faults.createLimit = undefined;
    const next = await h.step();
    assert.deepEqual(next, [90, 0, 0]);
  }));

test('burstReplicas bounds the creations of one sync', () =>
  withHarness(
    async (h) => {
      await h.addNodes(0, 7);
      await h.createDS();
      assert.deepEqual(await h.step(), [3, 0, 0]);
      assert.deepEqual(await h.step(), [3, 0, 0]);
      assert.deepEqual(await h.step(), [1, 0, 0]);
    },
    { burstReplicas: 3 },
  ));

test('error precedence: pod-control error over status error', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 2);
    await h.createDS();
    h.faults.createLimit = 0;
    h.faults.failStatus = true;
    let r = await h.sync();
    assert.match((r.error as Error).message, /exceeded quota/);
    h.faults.createLimit = undefined;
    r = await h.sync();
    assert.deepEqual(r.cd, [2, 0]);
    assert.match((r.error as Error).message, /status write failed/);
  }));

test('nothing happens for a DaemonSet being deleted', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 3);
    await h.createDS();
    await h.api.client.delete(R.daemonsets, NS, 'foo', { propagationPolicy: 'Foreground' });
    assert.ok((await h.ds()).metadata?.deletionTimestamp);
    assert.deepEqual(await h.step(), [0, 0, 0]);
    assert.equal((await h.revisions()).length, 0);
    assert.equal((await h.ds()).status?.observedGeneration, undefined, 'no status written');
  }));

test('adoption re-checks the DaemonSet live and aborts if it is being deleted', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    await h.createDS();
    await h.createPod('orphan', 'node-0');
    h.faults.liveDaemonSet = (o) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: '2020-01-01T00:00:00Z' } });
    const r = await h.sync();
    assert.deepEqual(r.cd, [0, 0]);
    assert.match((r.error as Error).message, /has just been deleted/);
    const orphan = (await h.pods()).find((p) => p.metadata?.name === 'orphan')!;
    assert.equal(orphan.metadata?.ownerReferences, undefined);
  }));

test('orphans are adopted, owned pods that no longer match are released', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 5);
    // OnDelete: these pods carry no revision hash, and a rolling update would replace them too.
    const ds = await h.createDS({ updateStrategy: { type: 'OnDelete' } });
    const other = { name: 'simple-daemon', type: 'test' };
    await h.createPod('a', 'node-1');
    for (const n of ['b', 'c']) await h.createPod(n, 'node-2', LABELS, ds);
    for (const n of ['d', 'e', 'f', 'g', 'h']) await h.createPod(n, 'node-3', LABELS, ds);
    for (const n of ['x', 'y']) await h.createPod(n, 'node-4', other, ds);
    assert.deepEqual(await h.step(), [2, 5, 0]);
    const pods = await h.pods();
    const a = pods.find((p) => p.metadata?.name === 'a')!;
    assert.equal(a.metadata?.ownerReferences?.[0]?.uid, ds.metadata?.uid, 'adopted');
    for (const n of ['x', 'y']) assert.deepEqual(pods.find((p) => p.metadata?.name === n)!.metadata?.ownerReferences ?? [], [], `${n} released`);
    // Bound pods are deleted gracefully: they stay, marked, until their kubelet is done.
    const running = pods.filter((p) => p.metadata?.ownerReferences?.length && !p.metadata.deletionTimestamp);
    assert.equal(running.length, 5, 'one per node');
  }));

test('pods of other DaemonSets and unlabelled pods are not daemon pods', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 2);
    await h.createDS({ template: { metadata: { labels: { ...LABELS } }, spec: { nodeName: 'node-0', containers: [{ name: 'foo', image: 'foo/bar:1' }] } } });
    await h.createPod('plain', 'node-0', {});
    assert.deepEqual(await h.step(), [1, 0, 0]);
    const created = (await h.pods()).find((p) => p.metadata?.name !== 'plain')!;
    assert.equal(created.spec?.nodeName, 'node-0', 'a template nodeName binds the pod directly');
  }));

test('an all-nil selector is refused with SelectingAll', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    await h.createPod('foreign', 'node-0', { app: 'x' });
    // Validation refuses such a DaemonSet, so it goes straight into storage.
    await h.api.store.create('/registry/daemonsets/default/foo', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'foo', namespace: NS, uid: 'u1', generation: 1 },
      spec: { selector: {}, template: { metadata: {}, spec: { nodeSelector: { nope: 'x' }, containers: [{ name: 'c', image: 'i' }] } } },
    });
    const r = await h.sync();
    assert.deepEqual(r.cd, [0, 0]);
    assert.deepEqual(r.events, [{ type: 'Warning', reason: 'SelectingAll', message: 'This daemon set is selecting all pods. A non-empty selector is required.' }]);
  }));

test('a DaemonSet recreated under the same name starts with fresh expectations', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    await h.createDS();
    assert.deepEqual(await h.step(), [1, 0, 0]);
    h.controller.expectations.set('default/foo', 5, 0);
    await h.api.client.delete(R.daemonsets, NS, 'foo', { propagationPolicy: 'Orphan' });
    // The orphan finalizer is left to the garbage collector; finish it by hand.
    const dying = structuredClone(await h.api.client.get(R.daemonsets, NS, 'foo'));
    dying.metadata.finalizers = [];
    await h.api.client.update(R.daemonsets, NS, dying);
    for (const p of await h.pods()) await h.api.client.delete(R.pods, NS, p.metadata!.name!);
    await h.createDS();
    assert.deepEqual(await h.step(), [1, 0, 0]);
  }));

test('a seeded template generation labels the pods', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    await h.createDS({}, 'foo', { 'deprecated.daemonset.template.generation': '999' });
    await h.step();
    assert.equal((await h.pods())[0]!.metadata?.labels?.['pod-template-generation'], '999');
  }));

test('failed pods: deleted now (with an event and back-off), recreated next sync', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    await h.createDS();
    await h.step();
    const [p] = await h.pods();
    await h.setPodStatus(p!, { phase: 'Failed' });
    const r = await h.sync();
    assert.deepEqual(r.cd, [0, 1]);
    assert.equal(r.events.length, 1);
    assert.equal(r.events[0]!.reason, 'FailedDaemonPod');
    assert.deepEqual(await h.step(), [1, 0, 0]);
    const [q] = await h.pods();
    await h.setPodStatus(q!, { phase: 'Failed' });
    assert.deepEqual(await h.step(), [0, 0, 0], 'back-off: the second failure waits');
    h.clock.advance(1001);
    assert.deepEqual(await h.step(), [0, 1, 1]);
  }));

test('nodes: tainted nodes, vanished nodes', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 2);
    await h.createDS();
    await h.step();
    // NoSchedule keeps the pod (counted as misscheduled), NoExecute removes it.
    const node0 = structuredClone(await h.api.client.get(R.nodes, undefined, 'node-0'));
    (node0.spec as { taints: Taint[] }).taints = [{ key: 'dedicated', value: 'user1', effect: 'NoSchedule' }];
    await h.api.client.update(R.nodes, undefined, node0);
    assert.deepEqual(await h.step(), [0, 0, 0]);
    const status = (await h.ds()).status!;
    assert.deepEqual([status.desiredNumberScheduled, status.currentNumberScheduled, status.numberMisscheduled], [1, 1, 1]);
    const again = structuredClone(await h.api.client.get(R.nodes, undefined, 'node-0'));
    (again.spec as { taints: Taint[] }).taints = [{ key: 'dedicated', value: 'user1', effect: 'NoExecute' }];
    await h.api.client.update(R.nodes, undefined, again);
    assert.deepEqual(await h.step(), [0, 1, 0]);
    // node-1 goes away: its unbound pod can never be scheduled, so the controller deletes it.
    await h.api.client.delete(R.nodes, undefined, 'node-1');
    assert.deepEqual(await h.step(), [0, 1, 0]);
    assert.equal((await h.pods()).length, 0);
  }));

test('a node gaining the selected label gets a pod; losing it loses the pod', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 3);
    const tolerations: Toleration[] = [];
    await h.createDS({ template: { metadata: { labels: { ...LABELS } }, spec: { nodeSelector: { color: 'blue' }, tolerations, containers: [{ name: 'foo', image: 'foo/bar:1' }] } } });
    assert.deepEqual(await h.step(), [0, 0, 0]);
    const label = async (value: string | undefined) => {
      const n = structuredClone(await h.api.client.get(R.nodes, undefined, 'node-1'));
      n.metadata.labels = value ? { color: value } : {};
      await h.api.client.update(R.nodes, undefined, n);
    };
    await label('blue');
    assert.deepEqual(await h.step(), [1, 0, 0]);
    await label('green');
    assert.deepEqual(await h.step(), [0, 1, 0]);
    await h.editDS((s) => (s.template.spec!.nodeSelector = { color: 'green' }));
    assert.deepEqual(await h.step(), [1, 0, 0]);
  }));

// --- history ----------------------------------------------------------------------------------

test('revisions: one per template, data as kubectl computes it, change-cause copied', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    const ds = await h.createDS({}, 'foo', { 'kubernetes.io/change-cause': 'kubectl create' });
    await h.step();
    let revs = await h.revisions();
    assert.equal(revs.length, 1);
    const cr = revs[0]!;
    const hash = computeTemplateHash(ds.spec!.template);
    assert.equal(cr.metadata?.name, `foo-${hash}`);
    assert.equal(cr.revision, 1);
    assert.deepEqual(cr.metadata?.labels, { ...LABELS, 'controller-revision-hash': hash });
    assert.equal(cr.metadata?.annotations?.['kubernetes.io/change-cause'], 'kubectl create');
    assert.deepEqual(cr.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: ds.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(JSON.stringify(cr.data), revisionDataBytes(await h.ds()));
    assert.equal((await h.pods())[0]!.metadata?.labels?.['controller-revision-hash'], hash);

    await h.setImage('foo/bar:2');
    await h.step();
    revs = await h.revisions();
    assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
    assert.notEqual(revs[1]!.metadata?.labels?.['controller-revision-hash'], hash);
  }));

test('rollback: the old revision is renumbered and its pods are not restarted', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 2);
    await h.createDS({ updateStrategy: { type: 'OnDelete' } });
    await h.step();
    const original = (await h.pods()).map((p) => p.metadata!.name!).sort();
    const [revA] = await h.revisions();
    await h.setImage('foo/bar:2');
    await h.step();
    // Under OnDelete nothing is replaced; the pods are out of date.
    assert.deepEqual((await h.pods()).map((p) => p.metadata!.name!).sort(), original);
    assert.equal((await h.ds()).status?.updatedNumberScheduled ?? 0, 0);
    // kubectl rollout undo: the revision's data as a strategic merge patch.
    await h.api.client.patch(R.daemonsets, NS, 'foo', 'strategic', revA!.data);
    assert.deepEqual(await h.step(), [0, 0, 0]);
    const revs = await h.revisions();
    assert.deepEqual(revs.map((r) => [r.metadata?.name, r.revision]), [[`foo-${revs[0]!.metadata?.labels?.['controller-revision-hash']}`, 2], [revA!.metadata?.name, 3]]);
    const ds = await h.ds();
    assert.equal(ds.metadata?.annotations?.['deprecated.daemonset.template.generation'], '3');
    assert.equal(ds.status?.updatedNumberScheduled, 2, 'the original pods carry the current hash again');
    assert.equal(JSON.stringify(revA!.data), revisionDataBytes(ds), 'kubectl would now print "skipped rollback"');
  }));

test('OnDelete: a deleted pod comes back from the current template', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 2);
    await h.createDS({ updateStrategy: { type: 'OnDelete' } });
    await h.step();
    await h.setImage('foo/bar:2');
    assert.deepEqual(await h.step(), [0, 0, 0]);
    const victim = (await h.pods())[0]!;
    await h.api.client.delete(R.pods, NS, victim.metadata!.name!);
    assert.deepEqual(await h.step(), [1, 0, 0]);
    const images = (await h.pods()).map((p) => p.spec!.containers[0]!.image).sort();
    assert.deepEqual(images, ['foo/bar:1', 'foo/bar:2']);
  }));

test('history is trimmed to revisionHistoryLimit, keeping revisions pods still run', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    await h.createDS({ updateStrategy: { type: 'OnDelete' }, revisionHistoryLimit: 0 });
    await h.step();
    await h.setImage('foo/bar:2');
    await h.step();
    assert.deepEqual((await h.revisions()).map((r) => r.revision), [1, 2], 'the pod still runs revision 1: kept beyond the limit');
    await h.setImage('foo/bar:3');
    await h.step();
    assert.deepEqual((await h.revisions()).map((r) => r.revision), [1, 3]);
    for (const p of await h.pods()) await h.api.client.delete(R.pods, NS, p.metadata!.name!);
    assert.deepEqual(await h.step(), [1, 0, 0]);
    assert.deepEqual((await h.revisions()).map((r) => r.revision), [3]);
  }));

test('history trimming keeps revisionHistoryLimit old revisions', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    await h.createDS({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, revisionHistoryLimit: 2 });
    await h.step();
    for (const v of [2, 3, 4, 5]) {
      await h.setImage(`foo/bar:${v}`);
      await h.step();
      await h.step();
    }
    assert.deepEqual((await h.revisions()).map((r) => r.revision), [3, 4, 5]);
  }));

test('a hash collision bumps collisionCount and the next sync uses a new name', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 1);
    const ds = await h.createDS();
    const hash = computeTemplateHash(ds.spec!.template);
    // Someone else's revision holds the name this template would get.
    await h.api.client.create(R.controllerrevisions, NS, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: `foo-${hash}`, labels: { app: 'other' } }, data: { other: true }, revision: 1 });
    const r = await h.sync();
    assert.ok(r.error);
    assert.equal((await h.ds()).status?.collisionCount, 1);
    assert.deepEqual(await h.step(), [1, 0, 0]);
    const mine = (await h.revisions()).filter((c) => c.metadata?.ownerReferences?.length);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.metadata?.name, `foo-${computeTemplateHash(ds.spec!.template, 1)}`);
  }));

test('orphaned revisions and pods are adopted by a DaemonSet with the same template; nothing restarts', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 2);
    await h.createDS();
    await h.step();
    const pods = (await h.pods()).map((p) => p.metadata!.name!).sort();
    // kubectl delete --cascade=orphan, with the garbage collector's part done by hand.
    await h.api.client.delete(R.daemonsets, NS, 'foo', { propagationPolicy: 'Orphan' });
    for (const r of [R.pods, R.controllerrevisions]) {
      for (const o of (await h.api.client.list(r, NS)).items) await h.api.client.patch(r, NS, o.metadata.name!, 'merge', { metadata: { ownerReferences: null } });
    }
    const dying = structuredClone(await h.api.client.get(R.daemonsets, NS, 'foo'));
    dying.metadata.finalizers = [];
    await h.api.client.update(R.daemonsets, NS, dying);
    const again = await h.createDS();
    assert.deepEqual(await h.step(), [0, 0, 0]);
    assert.deepEqual((await h.pods()).map((p) => p.metadata!.name!).sort(), pods);
    for (const p of await h.pods()) assert.equal(p.metadata?.ownerReferences?.[0]?.uid, again.metadata?.uid);
    const revs = await h.revisions();
    assert.equal(revs.length, 1);
    assert.equal(revs[0]!.metadata?.ownerReferences?.[0]?.uid, again.metadata?.uid);
  }));

// --- rolling update sequences (update_test.go) --------------------------------------------------

/** Runs syncs, marking pods ready where the script says 'ready'; returns each sync's (creates, deletes). */
async function script(h: Harness, steps: ('sync' | 'ready')[]): Promise<string> {
  const out: string[] = [];
  for (const s of steps) {
    if (s === 'ready') {
      await h.markAllReady();
      out.push('ready');
      continue;
    }
    const [c, d] = await h.step();
    out.push(`(${c},${d})`);
  }
  return out.join(' ');
}

async function rolledOut(h: Harness, nodes: number, spec: Partial<Spec>): Promise<void> {
  await h.addNodes(0, nodes);
  await h.createDS(spec);
  await h.step();
  await h.markAllReady();
  await h.step();
}

test('rolling update, maxUnavailable 2', () =>
  withHarness(async (h) => {
    await rolledOut(h, 5, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
    await h.setImage('foo/bar:2');
    const S = 'sync' as const;
    const R_ = 'ready' as const;
    assert.equal(await script(h, [S, S, R_, S, S, R_, S, S, R_, S]), '(0,2) (2,0) ready (0,2) (2,0) ready (0,1) (1,0) ready (0,0)');
    const status = (await h.ds()).status!;
    assert.deepEqual([status.updatedNumberScheduled, status.numberAvailable], [5, 5]);
  }));

test('rolling update, maxSurge 2', () =>
  withHarness(async (h) => {
    await rolledOut(h, 5, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } } });
    await h.setImage('foo/bar:2');
    const S = 'sync' as const;
    const R_ = 'ready' as const;
    assert.equal(await script(h, [S, S, R_, S, S, R_, S, S, R_, S, S]), '(2,0) (0,0) ready (2,2) (0,0) ready (1,2) (0,0) ready (0,1) (0,0)');
    assert.equal((await h.pods()).length, 5);
  }));

test('rolling update, maxSurge 1, a node dropped by the new template keeps its pod until others are available', () =>
  withHarness(async (h) => {
    const cp: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
    await h.addNodes(0, 1, {}, [cp]);
    await h.addNodes(1, 5);
    await h.createDS({
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: { metadata: { labels: { ...LABELS } }, spec: { tolerations: [{ key: cp.key, operator: 'Exists', effect: 'NoSchedule' }], containers: [{ name: 'foo', image: 'foo/bar:1' }] } },
    });
    await h.step();
    await h.markAllReady();
    await h.step();
    await h.editDS((s) => (s.template.spec!.tolerations = []));
    const S = 'sync' as const;
    const R_ = 'ready' as const;
    assert.equal(await script(h, [S, S, R_, S, S, R_, S, S, R_, S, S, R_, S, S]), '(1,1) (0,0) ready (1,1) (0,0) ready (1,1) (0,0) ready (1,1) (0,0) ready (0,1) (0,0)');
    assert.equal((await h.pods()).length, 4);
  }));

test('rolling update, new pods never ready: the budget stays used', () =>
  withHarness(async (h) => {
    await rolledOut(h, 5, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } } });
    await h.setImage('foo/bar:2');
    assert.equal(await script(h, ['sync', 'sync', 'sync']), '(0,3) (3,0) (0,0)');
  }));

test('rolling update, two template changes in a row: unready new pods are replaced, ready old ones wait', () =>
  withHarness(async (h) => {
    await rolledOut(h, 5, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
    await h.setImage('foo/bar:2');
    assert.equal(await script(h, ['sync', 'sync', 'sync']), '(0,2) (2,0) (0,0)');
    await h.setImage('foo/bar:3');
    assert.equal(await script(h, ['sync', 'sync', 'sync']), '(0,2) (2,0) (0,0)');
    const ready = (await h.pods()).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(ready.length, 3);
  }));

test('rolling update on 20 nodes: unavailable pods use the budget whatever maxUnavailable says', () =>
  withHarness(async (h) => {
    await rolledOut(h, 20, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 10 } } });
    await h.setImage('foo/bar:2');
    assert.equal(await script(h, ['sync', 'sync', 'sync']), '(0,10) (10,0) (0,0)');
    for (const [i, maxUnavailable] of [1, 5, 9].entries()) {
      await h.editDS((s) => {
        s.template.spec!.containers[0]!.image = `foo/bar:${3 + i}`;
        s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable } };
      });
      assert.equal(await script(h, ['sync', 'sync', 'sync']), '(0,10) (10,0) (0,0)', `maxUnavailable ${maxUnavailable}`);
    }
    await h.editDS((s) => {
      s.template.spec!.containers[0]!.image = 'foo/bar:9';
      s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 11 } };
    });
    assert.equal(await script(h, ['sync', 'sync', 'sync']), '(0,11) (11,0) (0,0)');
    const ready = (await h.pods()).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    assert.equal(ready.length, 9);
  }));

test('rolling update with every old pod unready: all replaced at once', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 5);
    await h.createDS({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } } });
    await h.step();
    await h.setImage('foo/bar:2');
    assert.equal(await script(h, ['sync', 'sync', 'sync']), '(0,5) (5,0) (0,0)');
  }));

test('surge with every old pod unready: new pods at once, then the old ones go', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 5);
    await h.createDS({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 3 } } });
    await h.step();
    await h.setImage('foo/bar:2');
    assert.equal(await script(h, ['sync', 'sync', 'sync']), '(5,0) (0,5) (0,0)');
  }));

test('surge with minReadySeconds: old pods go once their successors have been ready long enough', () =>
  withHarness(async (h) => {
    await rolledOut(h, 2, { minReadySeconds: 15, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } } });
    h.clock.advance(20_000);
    await h.step();
    assert.equal((await h.ds()).status?.numberAvailable, 2);
    await h.setImage('foo/bar:2');
    assert.equal(await script(h, ['sync', 'ready', 'sync']), '(2,0) ready (0,0)');
    h.clock.advance(10_000);
    assert.deepEqual(await h.step(), [0, 0, 0], 'ready for 10 s of 15: not yet available');
    h.clock.advance(6_000);
    assert.deepEqual(await h.step(), [0, 2, 0]);
    const status = (await h.ds()).status!;
    assert.deepEqual([status.updatedNumberScheduled, status.numberAvailable], [2, 2]);
  }));

test('changing only the update strategy replaces nothing', () =>
  withHarness(async (h) => {
    await rolledOut(h, 5, { updateStrategy: ROLLING });
    await h.editDS((s) => (s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } }));
    assert.deepEqual(await h.step(), [0, 0, 0]);
    assert.equal((await h.ds()).status?.observedGeneration, 2);
  }));

test('the watch-driven controller converges on its own', () =>
  withHarness(async (h) => {
    await h.addNodes(0, 30);
    await h.controller.start();
    await h.createDS({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '20%' } } });
    const until = async (what: string, check: () => Promise<boolean>) => {
      const deadline = Date.now() + 5000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until('30 pods', async () => (await h.ds()).status?.currentNumberScheduled === 30);
    await h.markAllReady();
    await h.setImage('foo/bar:2');
    // Keep marking new pods ready as they appear, as kubelets would.
    await until('rolled out', async () => {
      await h.markAllReady();
      const ds = await h.ds();
      const s = ds.status;
      return (s?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) && s?.updatedNumberScheduled === 30 && s?.numberAvailable === 30;
    });
    const images = new Set((await h.pods()).map((p: Node | Pod) => (p as Pod).spec!.containers[0]!.image));
    assert.deepEqual([...images], ['foo/bar:2']);
  }));
