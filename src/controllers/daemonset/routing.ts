// Which DaemonSets an informer event wakes (upstream's event handlers): a pod or revision with a
// DaemonSet controllerRef wakes that DaemonSet (and counts toward its expectations); an orphan
// wakes every DaemonSet that selects it, so one can adopt it; a node wakes the DaemonSets whose
// placement on it changed.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { jsonEqual, type KObject } from '../../api/object.js';
import { fromLabelSelector, selectorMatches, shouldRunDaemonPod } from '../../placement/index.js';
import type { Expectations } from './expectations.js';
import { controllerOf } from './ownership.js';
import { isPodReady } from './pods.js';

export interface RoutingDeps {
  /** The cached DaemonSet `namespace/name`. */
  daemonSet(namespace: string, name: string): DaemonSet | undefined;
  /** Every cached DaemonSet. */
  daemonSets(): Iterable<DaemonSet>;
  enqueue(key: string): void;
  enqueueAfter(key: string, ms: number): void;
  expectations: Expectations;
}

export function daemonSetKey(ds: { metadata?: { namespace?: string; name?: string } }): string {
  return `${ds.metadata?.namespace ?? ''}/${ds.metadata?.name ?? ''}`;
}

/** Node updates that change neither labels nor taints cannot change any placement. */
export function shouldIgnoreNodeUpdate(old: Node, cur: Node): boolean {
  return jsonEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {}) && jsonEqual(old.spec?.taints ?? [], cur.spec?.taints ?? []);
}

export class EventRouter {
  constructor(private readonly deps: RoutingDeps) {}

  // --- DaemonSets ---------------------------------------------------------------------------

  addDaemonSet(ds: DaemonSet): void {
    this.deps.enqueue(daemonSetKey(ds));
  }

  updateDaemonSet(cur: DaemonSet, old: DaemonSet): void {
    // Deleted and recreated under the same name: the old one's expectations no longer apply.
    if (old.metadata?.uid !== cur.metadata?.uid) this.deps.expectations.delete(daemonSetKey(old));
    this.deps.enqueue(daemonSetKey(cur));
  }

  deleteDaemonSet(ds: DaemonSet): void {
    const key = daemonSetKey(ds);
    this.deps.expectations.delete(key);
    this.deps.enqueue(key);
  }

  // --- pods ---------------------------------------------------------------------------------

  addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.deletePod(pod);
    const ref = controllerOf(pod);
    if (ref) {
      const ds = this.resolve(pod.metadata?.namespace, ref);
      if (!ds) return;
      const key = daemonSetKey(ds);
      this.deps.expectations.creationObserved(key);
      this.deps.enqueue(key);
      return;
    }
    for (const ds of this.selecting(pod)) this.deps.enqueue(daemonSetKey(ds));
  }

  updatePod(cur: Pod, old: Pod): void {
    if (cur.metadata?.resourceVersion === old.metadata?.resourceVersion) return;
    // A pod marked for deletion is as good as gone: let the DaemonSet replace it now.
    if (cur.metadata?.deletionTimestamp) return this.deletePod(cur);
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const ds = this.resolve(old.metadata?.namespace, oldRef);
      if (ds) this.deps.enqueue(daemonSetKey(ds));
    }
    if (curRef) {
      const ds = this.resolve(cur.metadata?.namespace, curRef);
      if (!ds) return;
      const key = daemonSetKey(ds);
      this.deps.enqueue(key);
      const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
      // Availability arrives minReadySeconds after readiness without another event; one second of slack.
      if (minReadySeconds > 0 && !isPodReady(old) && isPodReady(cur)) this.deps.enqueueAfter(key, (minReadySeconds + 1) * 1000);
      return;
    }
    if (refChanged || !jsonEqual(cur.metadata?.labels ?? {}, old.metadata?.labels ?? {})) {
      for (const ds of this.selecting(cur)) this.deps.enqueue(daemonSetKey(ds));
    }
  }

  deletePod(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref) return;
    const ds = this.resolve(pod.metadata?.namespace, ref);
    if (!ds) return;
    const key = daemonSetKey(ds);
    this.deps.expectations.deletionObserved(key);
    this.deps.enqueue(key);
  }

  // --- ControllerRevisions ------------------------------------------------------------------

  addRevision(cr: KObject): void {
    if (cr.metadata.deletionTimestamp) return this.deleteRevision(cr);
    // An owned revision is one this controller just wrote: nothing to do.
    if (controllerOf(cr)) return;
    for (const ds of this.selecting(cr)) this.deps.enqueue(daemonSetKey(ds));
  }

  updateRevision(cur: KObject, old: KObject): void {
    if (cur.metadata.resourceVersion === old.metadata.resourceVersion) return;
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const ds = this.resolve(old.metadata.namespace, oldRef);
      if (ds) this.deps.enqueue(daemonSetKey(ds));
    }
    if (curRef) {
      const ds = this.resolve(cur.metadata.namespace, curRef);
      if (ds) this.deps.enqueue(daemonSetKey(ds));
      return;
    }
    if (refChanged || !jsonEqual(cur.metadata.labels ?? {}, old.metadata.labels ?? {})) {
      for (const ds of this.selecting(cur)) this.deps.enqueue(daemonSetKey(ds));
    }
  }

  deleteRevision(cr: KObject): void {
    const ref = controllerOf(cr);
    const ds = ref && this.resolve(cr.metadata.namespace, ref);
    if (ds) this.deps.enqueue(daemonSetKey(ds));
  }

  // --- nodes --------------------------------------------------------------------------------

  addNode(node: Node): void {
    for (const ds of this.deps.daemonSets()) if (shouldRunDaemonPod(node, ds).shouldRun) this.deps.enqueue(daemonSetKey(ds));
  }

  updateNode(cur: Node, old: Node): void {
    if (shouldIgnoreNodeUpdate(old, cur)) return;
    for (const ds of this.deps.daemonSets()) {
      const before = shouldRunDaemonPod(old, ds);
      const after = shouldRunDaemonPod(cur, ds);
      if (before.shouldRun !== after.shouldRun || before.shouldContinueRunning !== after.shouldContinueRunning) this.deps.enqueue(daemonSetKey(ds));
    }
  }

  // ------------------------------------------------------------------------------------------

  /** resolveControllerRef: the cached DaemonSet the reference names, if it is that very object. */
  private resolve(namespace: string | undefined, ref: OwnerReference): DaemonSet | undefined {
    if (ref.kind !== 'DaemonSet') return undefined;
    const ds = this.deps.daemonSet(namespace ?? '', ref.name);
    return ds && ds.metadata?.uid === ref.uid ? ds : undefined;
  }

  /** The DaemonSets in the object's namespace whose (non-empty) selector matches its labels. */
  private *selecting(obj: { metadata?: { namespace?: string; labels?: Record<string, string> } }): Iterable<DaemonSet> {
    for (const ds of this.deps.daemonSets()) {
      if (ds.metadata?.namespace !== obj.metadata?.namespace) continue;
      let selector;
      try {
        selector = fromLabelSelector(ds.spec?.selector);
      } catch {
        continue;
      }
      // An empty selector would select everything; for orphans it selects nothing.
      if (selector?.length === 0) continue;
      if (selectorMatches(selector, obj.metadata?.labels)) yield ds;
    }
  }
}
