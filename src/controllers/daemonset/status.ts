// DaemonSet status (upstream updateDaemonSetStatus / storeDaemonSetStatus): the counters behind
// DESIRED CURRENT READY UP-TO-DATE AVAILABLE, computed over the nodes in the cache, and the
// rule that skips a write when nothing changed. Computation is pure; `storeStatus` does the
// write with upstream's single retry.
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { clone, type KObject } from '../../api/object.js';
import type { PlacedNode } from './node-placement.js';
import { isPodAvailable, isPodReady, isPodUpdated, sortPods, templateGeneration } from './pods.js';

export interface StatusCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

const COUNTERS: (keyof StatusCounts)[] = [
  'desiredNumberScheduled',
  'currentNumberScheduled',
  'numberMisscheduled',
  'numberReady',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
];
/** Go writes these even when zero; the others (omitempty) vanish at zero. */
const ALWAYS_WRITTEN = new Set<keyof StatusCounts>(['desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady']);

/**
 * The counters. A node counts only if it is in the cache; of a node's pods only the preferred
 * one (bound first, then oldest) decides ready / available / updated.
 */
export function computeStatus(ds: DaemonSet, nodes: readonly PlacedNode[], podsByNode: ReadonlyMap<string, Pod[]>, hash: string, now: Date): StatusCounts {
  const c: StatusCounts = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
  };
  const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
  const generation = templateGeneration(ds);
  for (const n of nodes) {
    const pods = podsByNode.get(n.name) ?? [];
    const scheduled = pods.length > 0;
    if (!n.shouldRun) {
      // shouldRun, not shouldContinueRunning: a pod kept on a NoSchedule-tainted node is misscheduled.
      if (scheduled) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (!scheduled) continue;
    c.currentNumberScheduled++;
    const pod = pods.length === 1 ? pods[0]! : sortPods(pods)[0]!;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReadySeconds, now)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}

/** Write-avoidance: the stored status already says this and the generation has been observed. */
export function statusUpToDate(ds: DaemonSet, counts: StatusCounts): boolean {
  const s = ds.status;
  return COUNTERS.every((k) => (s?.[k] ?? 0) === counts[k]) && (s?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
}

/**
 * The DaemonSet with `counts` in its status (collisionCount and conditions carried over), and
 * observedGeneration set to `observedGeneration` if given. Zero omitempty counters are left out.
 */
export function withStatus(ds: DaemonSet, counts: StatusCounts, observedGeneration?: number): KObject {
  const obj = clone(ds) as unknown as KObject;
  const status: Record<string, unknown> = { ...(obj.status as DaemonSetStatus | undefined) };
  if (observedGeneration !== undefined) status.observedGeneration = observedGeneration;
  if (!status.observedGeneration) delete status.observedGeneration;
  for (const k of COUNTERS) {
    if (counts[k] === 0 && !ALWAYS_WRITTEN.has(k)) delete status[k];
    else status[k] = counts[k];
  }
  obj.status = status;
  return obj;
}

export interface StatusWriter {
  updateStatus(obj: KObject): Promise<KObject>;
  get(namespace: string, name: string): Promise<KObject>;
}

/**
 * storeDaemonSetStatus: skips the write when nothing changed, else UpdateStatus; on failure one
 * retry on a fresh copy (a failed GET is returned in preference to the update error).
 */
export async function storeStatus(writer: StatusWriter, ds: DaemonSet, counts: StatusCounts, observed: boolean): Promise<boolean> {
  if (statusUpToDate(ds, counts)) return false;
  // The generation this sync looked at, even when retrying on a fresher copy.
  const observedGeneration = observed ? (ds.metadata?.generation ?? 0) : undefined;
  let current = ds;
  for (let attempt = 0; ; attempt++) {
    try {
      await writer.updateStatus(withStatus(current, counts, observedGeneration));
      return true;
    } catch (err) {
      if (attempt >= 1) throw err;
    }
    current = (await writer.get(ds.metadata?.namespace ?? '', ds.metadata?.name ?? '')) as unknown as DaemonSet;
  }
}
