// The DaemonSet controller: informers on DaemonSets, pods, nodes and ControllerRevisions feed a
// work queue of DaemonSet keys; a sync claims the DaemonSet's pods and revisions, maintains its
// history, creates and deletes pods so each eligible node runs one (manage), replaces old pods
// within the update budget (rolling update), trims history and stores the status. Decisions
// are made by the pure modules of this folder; this file does the I/O.
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { ApiError } from '../../api/errors.js';
import type { KObject } from '../../api/object.js';
import { R } from '../../client/client.js';
import type { EventRecorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/workqueue.js';
import { fromLabelSelector, type Selector } from '../../placement/index.js';
import type { Controller, ControllerContext } from '../context.js';
import { Backoff } from './backoff.js';
import { Expectations } from './expectations.js';
import { cleanupHistory, constructHistory, DEFAULT_REVISION_HISTORY_LIMIT, type HistoryApi } from './history.js';
import { planManage, type DaemonSetEvent } from './manage.js';
import { PlacementCache, type PlacedNode } from './node-placement.js';
import { claim, claimAction, controllerOf, daemonSetOwnerUid, type ClaimDeps } from './ownership.js';
import { groupByNode, HASH_LABEL } from './pods.js';
import { planRollingUpdate } from './rolling-update.js';
import { daemonSetKey, EventRouter } from './routing.js';
import { computeStatus, storeStatus } from './status.js';
import { syncNodes, type SyncNodesDeps } from './sync-nodes.js';

export const EVENT_COMPONENT = 'daemonset-controller';
const DEFAULT_WORKERS = 2;
const OWNER_INDEX = 'daemonset-controller/owner-uid';
const ORPHAN_INDEX = 'daemonset-controller/orphan-namespace';
const BACKOFF_GC_INTERVAL_MS = 60_000;

export interface DaemonSetControllerOptions {
  /** Concurrent syncs of different DaemonSets (upstream --concurrent-daemonset-syncs). */
  workers?: number;
}

/** Pods and revisions are indexed by their DaemonSet owner, and orphans by namespace. */
function addOwnershipIndexes(informer: Informer): void {
  informer.addIndex(OWNER_INDEX, (obj) => {
    const uid = daemonSetOwnerUid(obj);
    return uid ? [uid] : [];
  });
  informer.addIndex(ORPHAN_INDEX, (obj) => (controllerOf(obj) ? [] : [obj.metadata.namespace ?? '']));
}

/** The all-nil selector `{}` (not one with an empty matchLabels map) is refused with SelectingAll. */
function selectsAll(ds: DaemonSet): boolean {
  const sel = ds.spec?.selector as Record<string, unknown> | undefined;
  return !!sel && Object.values(sel).every((v) => v === undefined || v === null);
}

function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}

/**
 * A sync's view of its DaemonSet's pods (claimed, and grouped by node), read once and again
 * only after the sync itself created or deleted pods.
 */
class SyncPods {
  private pods: Promise<Pod[]> | undefined;
  private grouped: Promise<Map<string, Pod[]>> | undefined;

  constructor(private readonly load: () => Promise<Pod[]>) {}

  get(): Promise<Pod[]> {
    return (this.pods ??= this.load());
  }

  byNode(): Promise<Map<string, Pod[]>> {
    return (this.grouped ??= this.get().then((pods) => groupByNode(pods)));
  }

  invalidate(): void {
    this.pods = undefined;
    this.grouped = undefined;
  }
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  readonly expectations: Expectations;
  readonly failedPodsBackoff = new Backoff();
  private readonly placements = new PlacementCache();
  private readonly daemonSets: Informer;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly revisions: Informer;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly queue: WorkQueue;
  /** Keys woken before start(): queued when the workers start. */
  private readonly early = new Set<string>();
  private started = false;
  private lastBackoffGc = 0;

  constructor(
    private readonly ctx: ControllerContext,
    opts: DaemonSetControllerOptions = {},
  ) {
    this.log = ctx.log.child({ controller: this.name });
    this.recorder = ctx.recorder(EVENT_COMPONENT);
    this.expectations = new Expectations(ctx.now);
    this.daemonSets = ctx.informers.for(R.daemonsets);
    this.pods = ctx.informers.for(R.pods);
    this.nodes = ctx.informers.for(R.nodes);
    this.revisions = ctx.informers.for(R.controllerrevisions);
    addOwnershipIndexes(this.pods);
    addOwnershipIndexes(this.revisions);
    this.queue = new WorkQueue((key) => this.sync(key), { workers: opts.workers ?? DEFAULT_WORKERS }, (key, err) => {
      if (isConflict(err)) this.log.debug({ key, err }, 'DaemonSet sync hit a conflict; retrying');
      else this.log.warn({ key, err }, 'DaemonSet sync failed; retrying');
    });

    const router = new EventRouter({
      daemonSet: (namespace, name) => this.daemonSets.get(`${namespace}/${name}`) as DaemonSet | undefined,
      daemonSets: () => this.daemonSets.list() as DaemonSet[],
      enqueue: (key) => this.enqueue(key),
      enqueueAfter: (key, ms) => this.enqueueAfter(key, ms),
      expectations: this.expectations,
    });
    const ds = (o: KObject) => o as unknown as DaemonSet;
    const pod = (o: KObject) => o as unknown as Pod;
    const node = (o: KObject) => o as unknown as Node;
    this.daemonSets.on({
      add: (o) => router.addDaemonSet(ds(o)),
      update: (o, old) => router.updateDaemonSet(ds(o), ds(old)),
      delete: (o) => router.deleteDaemonSet(ds(o)),
    });
    this.pods.on({
      add: (o) => router.addPod(pod(o)),
      update: (o, old) => router.updatePod(pod(o), pod(old)),
      delete: (o) => router.deletePod(pod(o)),
    });
    this.revisions.on({
      add: (o) => router.addRevision(o),
      update: (o, old) => router.updateRevision(o, old),
      delete: (o) => router.deleteRevision(o),
    });
    // No node delete handler: pods of a vanished node go through the pod garbage collector.
    this.nodes.on({ add: (o) => router.addNode(node(o)), update: (o, old) => router.updateNode(node(o), node(old)) });
  }

  async start(): Promise<void> {
    this.started = true;
    for (const key of this.early) this.queue.add(key);
    this.early.clear();
  }

  stop(): void {
    this.started = false;
    this.queue.stop();
  }

  private enqueue(key: string): void {
    if (this.started) this.queue.add(key);
    else this.early.add(key);
  }

  private enqueueAfter(key: string, ms: number): void {
    if (this.started) this.queue.addAfter(key, ms);
    else this.early.add(key);
  }

  private record(ds: DaemonSet, e: DaemonSetEvent): void {
    this.recorder.event({ ...(ds as unknown as KObject), apiVersion: 'apps/v1', kind: 'DaemonSet' }, e.type, e.reason, e.message);
  }

  /** syncDaemonSet: reconciles one DaemonSet `namespace/name`. Throws to be retried with back-off. */
  async sync(key: string): Promise<void> {
    const ds = this.daemonSets.get(key) as DaemonSet | undefined;
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    const now = this.ctx.now();
    if (now.getTime() - this.lastBackoffGc > BACKOFF_GC_INTERVAL_MS) {
      this.failedPodsBackoff.gc(now);
      this.lastBackoffGc = now.getTime();
    }
    if (selectsAll(ds)) {
      this.record(ds, { type: 'Warning', reason: 'SelectingAll', message: 'This daemon set is selecting all pods. A non-empty selector is required.' });
      return;
    }
    // A DaemonSet being deleted is left to the garbage collector: no pods, no status.
    if (ds.metadata?.deletionTimestamp) return;

    const selector = fromLabelSelector(ds.spec?.selector);
    const placed = this.placements.place(ds, this.nodes.list() as unknown as Node[]);
    const history = await this.constructHistory(ds, selector);
    const hash = history.current.metadata?.labels?.[HASH_LABEL] ?? '';
    const pods = new SyncPods(() => this.daemonPods(ds, selector));

    if (!this.expectations.satisfied(key)) return this.updateStatus(ds, pods, placed, hash, false);

    let manageErr: unknown;
    try {
      await this.updateDaemonSet(ds, pods, placed, hash, key, history.old);
    } catch (err) {
      manageErr = err;
      pods.invalidate();
    }
    let statusErr: unknown;
    try {
      await this.updateStatus(ds, pods, placed, hash, true);
    } catch (err) {
      statusErr = err;
    }
    if (manageErr) throw manageErr;
    if (statusErr) throw statusErr;
  }

  /** manage, then (if manage had nothing to do) the update strategy, then history cleanup. */
  private async updateDaemonSet(ds: DaemonSet, pods: SyncPods, placed: PlacedNode[], hash: string, key: string, old: ControllerRevision[]): Promise<void> {
    const plan = planManage({ ds, nodes: placed, podsByNode: await pods.byNode(), hash, now: this.ctx.now(), failedPodsBackoff: this.failedPodsBackoff });
    for (const e of plan.events) this.record(ds, e);
    if (plan.requeueAfterMs !== undefined) this.enqueueAfter(key, plan.requeueAfterMs);
    await this.syncNodes(ds, pods, key, plan.podsToDelete, plan.nodesNeedingPods, hash);

    if (this.expectations.satisfied(key) && ds.spec?.updateStrategy?.type === 'RollingUpdate') {
      const update = planRollingUpdate(ds, placed, await pods.byNode(), hash, this.ctx.now());
      await this.syncNodes(ds, pods, key, update.podsToDelete, update.nodesToCreate, hash);
    }

    // Only look at the pods' hashes when there is something to trim.
    if (old.length <= (ds.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT)) return;
    const liveHashes = new Set<string>();
    for (const list of groupByNode(await pods.get(), true).values()) {
      for (const p of list) {
        const h = p.metadata?.labels?.[HASH_LABEL];
        if (h) liveHashes.add(h);
      }
    }
    try {
      await cleanupHistory(this.historyApi(), ds, old, liveHashes);
    } catch (err) {
      throw new Error(`failed to clean up revisions of DaemonSet: ${(err as Error).message}`, { cause: err });
    }
  }

  /** syncNodes; the sync's view of the pods is re-read afterwards if anything was asked for. */
  private async syncNodes(ds: DaemonSet, pods: SyncPods, key: string, podsToDelete: string[], nodesToCreate: string[], hash: string): Promise<void> {
    try {
      await syncNodes(this.syncNodesDeps(ds), ds, key, podsToDelete, nodesToCreate, hash);
    } finally {
      if (podsToDelete.length || nodesToCreate.length) pods.invalidate();
    }
  }

  private async updateStatus(ds: DaemonSet, pods: SyncPods, placed: PlacedNode[], hash: string, observed: boolean): Promise<void> {
    const counts = computeStatus(ds, placed, await pods.byNode(), hash, this.ctx.now());
    const ns = ds.metadata?.namespace ?? '';
    await storeStatus(
      {
        updateStatus: (obj) => this.ctx.client.update(R.daemonsets, ns, obj, 'status'),
        get: (namespace, name) => this.ctx.client.get(R.daemonsets, namespace, name),
      },
      ds,
      counts,
      observed,
    );
    const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
    // Pods become available minReadySeconds after readiness without any event to say so.
    if (minReadySeconds > 0 && counts.numberReady !== counts.numberAvailable) this.enqueueAfter(daemonSetKey(ds), minReadySeconds * 1000);
  }

  // --- claiming -----------------------------------------------------------------------------

  /** Objects a DaemonSet may claim: those it controls, and orphans in its namespace. */
  private candidates(informer: Informer, ds: DaemonSet): KObject[] {
    return [...informer.byIndex(OWNER_INDEX, ds.metadata?.uid ?? ''), ...informer.byIndex(ORPHAN_INDEX, ds.metadata?.namespace ?? '')];
  }

  private claimDeps(ds: DaemonSet, patch: (obj: KObject, body: unknown) => Promise<KObject>): ClaimDeps {
    const namespace = ds.metadata?.namespace ?? '';
    const name = ds.metadata?.name ?? '';
    return {
      // Adopting for a DaemonSet that is already gone would leak pods: check it live first.
      canAdopt: async () => {
        const fresh = await this.ctx.client.get(R.daemonsets, namespace, name);
        if (fresh.metadata.uid !== ds.metadata?.uid) {
          throw new Error(`original DaemonSet ${namespace}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${ds.metadata?.uid}`);
        }
        if (fresh.metadata.deletionTimestamp) throw new Error(`${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
      patch,
    };
  }

  /** getDaemonPods: the pods the DaemonSet controls after adopting and releasing as needed. */
  private async daemonPods(ds: DaemonSet, selector: Selector): Promise<Pod[]> {
    const candidates = this.candidates(this.pods, ds);
    // The common case (nothing to adopt or release) needs no API call.
    const kept: KObject[] = [];
    let changes = false;
    for (const o of candidates) {
      const action = claimAction(ds, selector, o);
      if (action === 'keep') kept.push(o);
      else if (action !== 'ignore') changes = true;
    }
    if (!changes) return kept as unknown as Pod[];
    const deps = this.claimDeps(ds, (obj, body) => this.ctx.client.patch(R.pods, obj.metadata.namespace, obj.metadata.name!, 'strategic', body));
    return (await claim(ds, selector, candidates, deps)) as unknown as Pod[];
  }

  private async constructHistory(ds: DaemonSet, selector: Selector) {
    const deps = this.claimDeps(ds, (obj, body) => this.ctx.client.patch(R.controllerrevisions, obj.metadata.namespace, obj.metadata.name!, 'strategic', body));
    const claimed = (await claim(ds, selector, this.candidates(this.revisions, ds), deps)) as unknown as ControllerRevision[];
    const pods = () => this.candidates(this.pods, ds).filter((o) => claimAction(ds, selector, o) === 'keep');
    return constructHistory(this.historyApi(), ds, claimed, pods);
  }

  // --- API adapters -------------------------------------------------------------------------

  private historyApi(): HistoryApi {
    const client = this.ctx.client;
    const cr = (o: KObject) => o as unknown as ControllerRevision;
    const obj = (o: unknown) => o as KObject;
    return {
      createRevision: async (r) => cr(await client.create(R.controllerrevisions, r.metadata?.namespace, obj(r))),
      getRevision: async (namespace, name) => cr(await client.get(R.controllerrevisions, namespace, name)),
      updateRevision: async (r) => cr(await client.update(R.controllerrevisions, r.metadata?.namespace, obj(r))),
      deleteRevision: (namespace, name) => client.delete(R.controllerrevisions, namespace, name),
      getDaemonSet: async (namespace, name) => (await client.get(R.daemonsets, namespace, name)) as unknown as DaemonSet,
      updateDaemonSetStatus: async (d) => {
        await client.update(R.daemonsets, d.metadata?.namespace, obj(d), 'status');
      },
      relabelPod: async (namespace, name, hash) => {
        await client.patch(R.pods, namespace, name, 'merge', { metadata: { labels: { [HASH_LABEL]: hash } } });
      },
    };
  }

  private syncNodesDeps(ds: DaemonSet): SyncNodesDeps {
    const client = this.ctx.client;
    return {
      pods: {
        createPod: async (namespace, p) => (await client.create(R.pods, namespace, p as unknown as KObject)) as unknown as Pod,
        deletePod: (namespace, name) => client.delete(R.pods, namespace, name),
      },
      expectations: this.expectations,
      record: (e) => this.record(ds, e),
      burstReplicas: this.ctx.options.burstReplicas,
    };
  }
}
