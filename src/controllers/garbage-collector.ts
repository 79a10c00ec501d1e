// The garbage collector (upstream pkg/controller/garbagecollector and podgc,
// daemonset-semantics.md §6):
// - ownerReferences: a dependent whose owners are all gone is deleted (background cascade); one
//   that still has a live owner only loses the dangling references. An owner deleted with
//   `foregroundDeletion` has its dependents deleted first and goes once the blocking ones
//   (blockOwnerDeletion) are gone; one deleted with `orphan` has its references stripped from
//   every dependent first.
// - pods bound to a node that no longer exists are marked Failed and force-deleted;
// - Events older than the event TTL are deleted (upstream's API server stores them with a TTL).
// Owners and dependents are found through the informer caches, indexed by owner uid.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R, type Resource } from '../client/client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { WorkQueue } from '../client/workqueue.js';
import type { Controller, ControllerContext } from './context.js';

/** A kind the collector follows, both as possible owner and as possible dependent. */
export interface GcKind {
  resource: Resource;
  /** The apiVersion and kind ownerReferences name it by (only the group of apiVersion matters). */
  apiVersion: string;
  kind: string;
}

export const GC_KINDS: readonly GcKind[] = [
  { resource: R.pods, apiVersion: 'v1', kind: 'Pod' },
  { resource: R.controllerrevisions, apiVersion: 'apps/v1', kind: 'ControllerRevision' },
  { resource: R.daemonsets, apiVersion: 'apps/v1', kind: 'DaemonSet' },
  // Node leases are owned by their Node; mirror pods too.
  { resource: R.leases, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
  { resource: R.nodes, apiVersion: 'v1', kind: 'Node' },
];

export interface GarbageCollectorOptions {
  kinds: readonly GcKind[];
  /** How long a pod's node must be missing before the pod is force-deleted (upstream: 40 s quarantine). */
  podGcGraceSeconds: number;
  /** How often expired Events are looked for (never less often than the TTL itself). */
  eventSweepIntervalSeconds: number;
}

export const DEFAULT_GC_OPTIONS: GarbageCollectorOptions = { kinds: GC_KINDS, podGcGraceSeconds: 20, eventSweepIntervalSeconds: 60 };

export type OwnerState = 'solid' | 'dangling' | 'waitingForDependentsDeletion';
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';
export type GcAction =
  | { type: 'none' }
  | { type: 'removeOwnerReferences'; uids: string[] }
  | { type: 'delete'; propagationPolicy: PropagationPolicy };

/**
 * What to do with a dependent given the state of each of its owners (upstream's
 * attemptToDeleteItem): with a live owner left, drop only the references to gone owners and to
 * owners waiting for their dependents; otherwise delete it — in the foreground when an owner
 * waits for it and it has dependents of its own, else honouring its own orphan/foreground
 * finalizer, background by default.
 */
export function attemptToDeleteDecision(owners: readonly { uid: string; state: OwnerState }[], self: { hasDependents: boolean; finalizers?: readonly string[] }): GcAction {
  if (owners.length === 0) return { type: 'none' };
  const waiting = owners.filter((o) => o.state === 'waitingForDependentsDeletion');
  if (owners.some((o) => o.state === 'solid')) {
    const uids = owners.filter((o) => o.state !== 'solid').map((o) => o.uid);
    return uids.length ? { type: 'removeOwnerReferences', uids } : { type: 'none' };
  }
  if (waiting.length > 0 && self.hasDependents) return { type: 'delete', propagationPolicy: 'Foreground' };
  const finalizers = self.finalizers ?? [];
  if (finalizers.includes('orphan')) return { type: 'delete', propagationPolicy: 'Orphan' };
  if (finalizers.includes('foregroundDeletion')) return { type: 'delete', propagationPolicy: 'Foreground' };
  return { type: 'delete', propagationPolicy: 'Background' };
}

/** An owner being deleted in the foreground: it waits for its blocking dependents. */
export function waitsForDependents(obj: KObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp) && (obj.metadata.finalizers ?? []).includes('foregroundDeletion');
}

/** Whether an Event's last write (create, or a repeat's update) is older than the TTL. */
export function eventExpired(event: KObject, nowMs: number, ttlSeconds: number): boolean {
  const e = event as KObject & { lastTimestamp?: string; eventTime?: string; series?: { lastObservedTime?: string } };
  const times = [event.metadata.creationTimestamp, e.lastTimestamp, e.eventTime, e.series?.lastObservedTime]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter((t) => !Number.isNaN(t));
  return times.length > 0 && nowMs - Math.max(...times) > ttlSeconds * 1000;
}

const WORKERS = 16;
const OWNER_INDEX = 'gc:owner';
const POD_NODE_INDEX = 'gc:nodeName';
const EVENT_PAGE = 500;
const MIN_SWEEP_SECONDS = 0.05;
/** Known-deleted owner uids remembered, so a cascade over thousands of dependents needs no GETs. */
const ABSENT_OWNERS_REMEMBERED = 10_000;

function groupOf(apiVersion: string | undefined): string {
  const i = (apiVersion ?? '').indexOf('/');
  return i < 0 ? '' : apiVersion!.slice(0, i);
}

function ignoreGone(err: unknown): void {
  // 404: already gone; 409: a uid precondition failed, i.e. it is another object now.
  if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
  throw err;
}

/** A JSON patch setting a list field, guarded by a test of its current value; empty removes it. */
function replaceList(path: string, old: unknown[], value: unknown[]): unknown[] {
  return [{ op: 'test', path, value: old }, value.length ? { op: 'replace', path, value } : { op: 'remove', path }];
}

interface Tracked {
  kind: GcKind;
  informer: Informer;
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly opts: GarbageCollectorOptions;
  private readonly tracked: Tracked[];
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly queue: WorkQueue;
  private readonly absentOwners = new Set<string>();
  /** Owners in foreground deletion whose dependents have been queued for deletion once already. */
  private readonly foregroundStarted = new Set<string>();
  /** Node names whose pods are waiting out the pod-GC grace, with the timer that checks them. */
  private readonly missingNodes = new Map<string, NodeJS.Timeout>();
  private eventTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private started = false;

  constructor(
    private readonly ctx: ControllerContext,
    options: Partial<GarbageCollectorOptions> = {},
  ) {
    this.opts = { ...DEFAULT_GC_OPTIONS, ...options };
    this.queue = new WorkQueue((key) => this.process(key), { workers: WORKERS }, (key, err) => ctx.log.warn({ err, item: key }, 'garbage collection failed; retrying'));
    this.tracked = this.opts.kinds.map((kind, i) => {
      const informer = ctx.informers.for(kind.resource);
      informer.addIndex(OWNER_INDEX, (obj) => (obj.metadata.ownerReferences ?? []).map((r) => r.uid));
      informer.on({
        add: (obj) => {
          if (!this.started) return;
          this.checkDependent(i, obj);
          this.checkOwner(i, obj);
        },
        update: (obj, old) => {
          if (!this.started) return;
          if (JSON.stringify(obj.metadata.ownerReferences) !== JSON.stringify(old.metadata.ownerReferences)) {
            this.checkDependent(i, obj);
            const kept = new Set((obj.metadata.ownerReferences ?? []).map((r) => r.uid));
            this.recheckWaitingOwners(old, (old.metadata.ownerReferences ?? []).filter((r) => !kept.has(r.uid)));
          }
          this.checkOwner(i, obj);
        },
        delete: (obj) => this.deleted(obj),
      });
      return { kind, informer };
    });
    this.pods = ctx.informers.for(R.pods);
    this.nodes = ctx.informers.for(R.nodes);
    this.pods.addIndex(POD_NODE_INDEX, (p) => {
      const n = (p.spec as Pod['spec'])?.nodeName;
      return n ? [n] : [];
    });
    this.pods.on({
      add: (obj) => this.checkPodNode(obj),
      update: (obj) => this.checkPodNode(obj),
    });
    this.nodes.on({
      delete: (obj) => {
        if (this.started) this.nodeMissing(obj.metadata.name!);
      },
    });
  }

  async start(): Promise<void> {
    this.started = true;
    this.tracked.forEach(({ informer }, i) => {
      for (const obj of informer.list()) {
        this.checkDependent(i, obj);
        this.checkOwner(i, obj);
      }
    });
    for (const pod of this.pods.list()) this.checkPodNode(pod);
    const sweepSeconds = Math.max(MIN_SWEEP_SECONDS, Math.min(this.opts.eventSweepIntervalSeconds, this.ctx.options.eventTtlSeconds));
    this.eventTimer = setInterval(() => void this.sweepEvents(), sweepSeconds * 1000);
  }

  stop(): void {
    this.started = false;
    this.queue.stop();
    clearInterval(this.eventTimer);
    for (const t of this.missingNodes.values()) clearTimeout(t);
    this.missingNodes.clear();
  }

  // --- the ownership graph -----------------------------------------------------------------

  private kindFor(ref: OwnerReference): number {
    return this.tracked.findIndex(({ kind }) => kind.kind === ref.kind && groupOf(kind.apiVersion) === groupOf(ref.apiVersion));
  }

  private ownerKey(i: number, ref: OwnerReference, dependent: KObject): string | undefined {
    if (!this.tracked[i]!.kind.resource.namespaced) return ref.name;
    // A cluster-scoped object cannot be owned by a namespaced one; such references are ignored.
    return dependent.metadata.namespace ? `${dependent.metadata.namespace}/${ref.name}` : undefined;
  }

  private dependentsOf(uid: string): { i: number; obj: KObject }[] {
    return this.tracked.flatMap(({ informer }, i) => informer.byIndex(OWNER_INDEX, uid).map((obj) => ({ i, obj })));
  }

  private rememberAbsent(uid: string): void {
    this.absentOwners.add(uid);
    if (this.absentOwners.size > ABSENT_OWNERS_REMEMBERED) this.absentOwners.delete(this.absentOwners.values().next().value!);
  }

  /** Queues a dependent when, by the caches, one of its owners is gone or waiting for it. */
  private checkDependent(i: number, obj: KObject): void {
    if (obj.metadata.deletionTimestamp) return;
    const attention = (obj.metadata.ownerReferences ?? []).some((ref) => {
      const k = this.kindFor(ref);
      const key = k < 0 ? undefined : this.ownerKey(k, ref, obj);
      if (key === undefined) return false;
      if (this.absentOwners.has(ref.uid)) return true;
      const owner = this.tracked[k]!.informer.get(key);
      return !owner || owner.metadata.uid !== ref.uid || waitsForDependents(owner);
    });
    if (attention) this.queue.add(`d|${i}|${keyOf(obj)}`);
  }

  private checkOwner(i: number, obj: KObject): void {
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion'))) this.queue.add(`o|${i}|${keyOf(obj)}`);
  }

  private deleted(obj: KObject): void {
    const uid = obj.metadata.uid!;
    this.rememberAbsent(uid);
    this.foregroundStarted.delete(uid);
    if (!this.started) return;
    for (const d of this.dependentsOf(uid)) this.checkDependent(d.i, d.obj);
    this.recheckWaitingOwners(obj, obj.metadata.ownerReferences ?? []);
  }

  /** Owners in foreground deletion that `dependent` stopped depending on may now be free to go. */
  private recheckWaitingOwners(dependent: KObject, refs: readonly OwnerReference[]): void {
    for (const ref of refs) {
      const k = this.kindFor(ref);
      const key = k < 0 ? undefined : this.ownerKey(k, ref, dependent);
      const owner = key === undefined ? undefined : this.tracked[k]!.informer.get(key);
      if (owner && owner.metadata.uid === ref.uid && waitsForDependents(owner)) this.queue.add(`o|${k}|${key}`);
    }
  }

  /** Work items: `d|<kind>|<key>` a dependent to check, `o|<kind>|<key>` an owner's finalizer, `p|<key>` an orphaned pod. */
  private async process(item: string): Promise<void> {
    const parts = item.split('|');
    if (parts[0] === 'p') return this.deleteOrphanedPod(parts[1]!);
    const i = Number(parts[1]);
    return parts[0] === 'd' ? this.attemptToDelete(i, parts[2]!) : this.processOwner(i, parts[2]!);
  }

  private async ownerState(ref: OwnerReference, dependent: KObject): Promise<OwnerState> {
    const k = this.kindFor(ref);
    const key = k < 0 ? undefined : this.ownerKey(k, ref, dependent);
    // Owners of kinds we do not follow cannot be checked; leave their dependents alone.
    if (key === undefined) return 'solid';
    if (this.absentOwners.has(ref.uid)) return 'dangling';
    let owner = this.tracked[k]!.informer.get(key);
    if (!owner || owner.metadata.uid !== ref.uid) {
      // The cache may lag behind: only the API server can say the owner is gone.
      const { resource } = this.tracked[k]!.kind;
      try {
        owner = await this.ctx.client.get(resource, resource.namespaced ? dependent.metadata.namespace : undefined, ref.name);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
        owner = undefined;
      }
      if (!owner || owner.metadata.uid !== ref.uid) {
        this.rememberAbsent(ref.uid);
        return 'dangling';
      }
    }
    return waitsForDependents(owner) ? 'waitingForDependentsDeletion' : 'solid';
  }

  private async attemptToDelete(i: number, key: string): Promise<void> {
    const { kind, informer } = this.tracked[i]!;
    const obj = informer.get(key);
    if (!obj || obj.metadata.deletionTimestamp) return;
    const refs = obj.metadata.ownerReferences ?? [];
    const owners = await Promise.all(refs.map(async (ref) => ({ uid: ref.uid, state: await this.ownerState(ref, obj) })));
    const action = attemptToDeleteDecision(owners, { hasDependents: this.dependentsOf(obj.metadata.uid!).length > 0, finalizers: obj.metadata.finalizers });
    const { namespace, name, uid } = obj.metadata;
    try {
      if (action.type === 'removeOwnerReferences') await this.removeOwnerReferences(i, obj, action.uids);
      else if (action.type === 'delete') {
        this.ctx.log.debug({ kind: kind.kind, object: key, policy: action.propagationPolicy }, 'deleting object whose owners are gone');
        await this.ctx.client.delete(kind.resource, namespace, name!, { propagationPolicy: action.propagationPolicy, preconditions: { uid } });
      }
    } catch (err) {
      ignoreGone(err);
    }
  }

  private async removeOwnerReferences(i: number, obj: KObject, uids: readonly string[]): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    const kept = refs.filter((r) => !uids.includes(r.uid));
    if (kept.length === refs.length) return;
    const ops = [{ op: 'test', path: '/metadata/uid', value: obj.metadata.uid }, ...replaceList('/metadata/ownerReferences', refs, kept)];
    await this.ctx.client.patch(this.tracked[i]!.kind.resource, obj.metadata.namespace, obj.metadata.name!, 'json', ops);
  }

  private async removeFinalizer(i: number, obj: KObject, finalizer: string): Promise<void> {
    const finalizers = obj.metadata.finalizers ?? [];
    const ops = [{ op: 'test', path: '/metadata/uid', value: obj.metadata.uid }, ...replaceList('/metadata/finalizers', finalizers, finalizers.filter((f) => f !== finalizer))];
    await this.ctx.client.patch(this.tracked[i]!.kind.resource, obj.metadata.namespace, obj.metadata.name!, 'json', ops);
  }

  /** An owner being deleted with the orphan or foregroundDeletion finalizer. */
  private async processOwner(i: number, key: string): Promise<void> {
    const owner = this.tracked[i]!.informer.get(key);
    if (!owner?.metadata.deletionTimestamp) return;
    const uid = owner.metadata.uid!;
    const finalizers = owner.metadata.finalizers ?? [];
    const dependents = this.dependentsOf(uid);
    try {
      if (finalizers.includes('orphan')) {
        await Promise.all(dependents.map((d) => this.removeOwnerReferences(d.i, d.obj, [uid]).catch(ignoreGone)));
        await this.removeFinalizer(i, owner, 'orphan');
        return;
      }
      if (!finalizers.includes('foregroundDeletion')) return;
      const blocking = dependents.filter((d) => d.obj.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
      if (blocking.length === 0) {
        await this.removeFinalizer(i, owner, 'foregroundDeletion');
        return;
      }
      // Every dependent goes; only the blocking ones hold the owner back. They come back here
      // as they disappear.
      if (!this.foregroundStarted.has(uid)) {
        this.foregroundStarted.add(uid);
        for (const d of dependents) this.checkDependent(d.i, d.obj);
      }
    } catch (err) {
      ignoreGone(err);
    }
  }

  // --- pods on nodes that are gone (upstream pod GC) -----------------------------------------

  private checkPodNode(pod: KObject): void {
    const nodeName = (pod.spec as Pod['spec'])?.nodeName;
    if (this.started && nodeName && !this.nodes.get(nodeName)) this.nodeMissing(nodeName);
  }

  /** After the grace, a node still missing from the cache and the API has its pods removed. */
  private nodeMissing(nodeName: string): void {
    if (this.missingNodes.has(nodeName)) return;
    const timer = setTimeout(() => {
      this.missingNodes.delete(nodeName);
      if (this.started && !this.nodes.get(nodeName)) void this.confirmNodeGone(nodeName);
    }, this.opts.podGcGraceSeconds * 1000);
    this.missingNodes.set(nodeName, timer);
  }

  private async confirmNodeGone(nodeName: string): Promise<void> {
    try {
      await this.ctx.client.get(R.nodes, undefined, nodeName);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) {
        this.ctx.log.warn({ err, node: nodeName }, 'checking a missing node failed; retrying');
        this.nodeMissing(nodeName);
        return;
      }
    }
    for (const pod of this.pods.byIndex(POD_NODE_INDEX, nodeName)) this.queue.add(`p|${keyOf(pod)}`);
  }

  /** Marks the pod Failed (nobody else will) with the DisruptionTarget condition, then force-deletes it. */
  private async deleteOrphanedPod(key: string): Promise<void> {
    const pod = this.pods.get(key) as Pod | undefined;
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName || this.nodes.get(nodeName)) return;
    const { namespace, name, uid } = pod.metadata!;
    try {
      const phase = pod.status?.phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') {
        const condition = {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByPodGC',
          message: 'PodGC: node no longer exists',
          lastTransitionTime: this.ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        };
        await this.ctx.client.patch(R.pods, namespace, name!, 'strategic', { status: { phase: 'Failed', conditions: [condition] } }, 'status');
      }
      this.ctx.log.info({ pod: key, node: nodeName }, 'force deleting pod bound to a node that no longer exists');
      await this.ctx.client.delete(R.pods, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      ignoreGone(err);
    }
  }

  // --- Events past their TTL -----------------------------------------------------------------

  private async sweepEvents(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const ttl = this.ctx.options.eventTtlSeconds;
      let cont: string | undefined;
      do {
        const page = await this.ctx.client.list(R.events, undefined, { limit: EVENT_PAGE, continue: cont });
        const now = this.ctx.now().getTime();
        await Promise.all(
          page.items
            .filter((e) => eventExpired(e, now, ttl))
            .map((e) => this.ctx.client.delete(R.events, e.metadata.namespace, e.metadata.name!, { preconditions: { uid: e.metadata.uid } }).catch(ignoreGone)),
        );
        cont = page.continue;
      } while (cont && this.started);
    } catch (err) {
      this.ctx.log.warn({ err }, 'deleting expired events failed');
    } finally {
      this.sweeping = false;
    }
  }
}
