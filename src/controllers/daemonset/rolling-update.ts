// RollingUpdate (upstream update.go): how many pods may be unavailable or surged, which old pods
// to delete, and on which nodes to start a new pod next to an old one. Manage recreates deleted
// pods from the current template on later syncs. Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PlacedNode } from './node-placement.js';
import { isPodAvailable, isPodUpdated, templateGeneration } from './pods.js';

type IntOrString = number | string;

/**
 * GetScaledValueFromIntOrPercent with rounding up: an int as is, "P%" as ceil(P × total / 100).
 * Throws for a string that is not a percentage.
 */
export function scaledValue(value: IntOrString | undefined, total: number): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

function rollingUpdate(ds: DaemonSet) {
  const strategy = ds.spec?.updateStrategy;
  return strategy?.type === 'RollingUpdate' ? strategy.rollingUpdate : undefined;
}

/** util.UnavailableCount: maxUnavailable scaled to `desired` (0 unless RollingUpdate). */
export function unavailableCount(ds: DaemonSet, desired: number): number {
  return scaledValue(rollingUpdate(ds)?.maxUnavailable as IntOrString | undefined, desired);
}

/** util.SurgeCount: maxSurge scaled to `desired` (0 unless RollingUpdate). */
export function surgeCount(ds: DaemonSet, desired: number): number {
  return scaledValue(rollingUpdate(ds)?.maxSurge as IntOrString | undefined, desired);
}

/** util.AllowsSurge: manage keeps an old and a new pod per node while surging. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) > 0;
  } catch {
    return false;
  }
}

export interface Budget {
  maxSurge: number;
  maxUnavailable: number;
  desiredNumberScheduled: number;
}

/**
 * updatedDesiredNodeCounts: the budgets, and `podsByNode` extended with an empty list for every
 * node that should run the daemon but has no pod (returned as a new map).
 */
export function updatedDesiredNodeCounts(ds: DaemonSet, nodes: readonly PlacedNode[], podsByNode: ReadonlyMap<string, Pod[]>): Budget & { podsByNode: Map<string, Pod[]> } {
  const extended = new Map(podsByNode);
  let desired = 0;
  for (const n of nodes) {
    if (!n.shouldRun) continue;
    desired++;
    if (!extended.has(n.name)) extended.set(n.name, []);
  }
  let maxUnavailable: number;
  let maxSurge: number;
  try {
    maxUnavailable = unavailableCount(ds, desired);
  } catch (err) {
    throw new Error(`invalid value for MaxUnavailable: ${(err as Error).message}`);
  }
  try {
    maxSurge = surgeCount(ds, desired);
  } catch (err) {
    throw new Error(`invalid value for MaxSurge: ${(err as Error).message}`);
  }
  // An impossible configuration (both zero) falls back to accepting one unavailable pod.
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desiredNumberScheduled: desired, podsByNode: extended };
}

/**
 * findUpdatedPodsOnNode: the node's new and old pod, ignoring pods being deleted; `ok` false
 * when there is more than one of either (manage prunes those first).
 */
export function findUpdatedPodsOnNode(pods: readonly Pod[], hash: string, generation: number | undefined): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

export interface RollingUpdatePlan {
  /** Names of old pods to delete. */
  podsToDelete: string[];
  /** Nodes to start a new pod on next to the old one (surge only). */
  nodesToCreate: string[];
}

function clamp(n: number, max: number): number {
  return Math.max(0, Math.min(n, max));
}

/** The pods to replace in this sync, within the budgets (rollingUpdate in update.go). */
export function planRollingUpdate(ds: DaemonSet, nodes: readonly PlacedNode[], podsByNode: ReadonlyMap<string, Pod[]>, hash: string, now: Date): RollingUpdatePlan {
  const budget = updatedDesiredNodeCounts(ds, nodes, podsByNode);
  const minReadySeconds = ds.spec?.minReadySeconds ?? 0;
  const generation = templateGeneration(ds);
  const available = (pod: Pod) => isPodAvailable(pod, minReadySeconds, now);

  if (budget.maxSurge === 0) {
    // Delete just enough old pods to stay within maxUnavailable; manage creates their successors.
    let numUnavailable = 0;
    const allowedReplacements: string[] = [];
    const candidates: string[] = [];
    for (const pods of budget.podsByNode.values()) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(pods, hash, generation);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) {
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (!available(oldPod!)) {
        // An unavailable old pod is always replaced.
        allowedReplacements.push(oldPod!.metadata!.name!);
        numUnavailable++;
      } else if (numUnavailable < budget.maxUnavailable) {
        candidates.push(oldPod!.metadata!.name!);
      }
    }
    const remaining = clamp(budget.maxUnavailable - numUnavailable, candidates.length);
    return { podsToDelete: [...allowedReplacements, ...candidates.slice(0, remaining)], nodesToCreate: [] };
  }

  // Surging: start a new pod next to an old one (at most maxSurge at a time, but at once where the
  // old pod is unavailable), and delete the old pod once the new one is available.
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const shouldRun = (nodeName: string): boolean => {
    const n = byName.get(nodeName);
    if (!n) throw new Error(`couldn't get node for nodeName "${nodeName}": node "${nodeName}" not found`);
    return n.shouldRun;
  };
  const podsToDelete: string[] = [];
  const shouldNotRunPodsToDelete: string[] = [];
  const candidateNewNodes: string[] = [];
  const allowedNewNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [nodeName, pods] of budget.podsByNode) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(pods, hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    // Availability counts every node, including those the daemon is leaving.
    if (oldPod ? available(oldPod) : newPod && available(newPod)) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(nodeName)) podsToDelete.push(oldPod.metadata!.name!);
        else allowedNewNodes.push(nodeName);
      } else if (!shouldRun(nodeName)) {
        shouldNotRunPodsToDelete.push(oldPod.metadata!.name!);
      } else if (numSurge < budget.maxSurge) {
        candidateNewNodes.push(nodeName);
      }
    } else if (!available(newPod)) {
      numSurge++;
    } else {
      podsToDelete.push(oldPod.metadata!.name!);
    }
  }
  // Pods on nodes the daemon leaves go only while enough pods are available elsewhere.
  const deletable = numAvailable - budget.desiredNumberScheduled;
  if (deletable > 0) podsToDelete.push(...shouldNotRunPodsToDelete.slice(0, deletable));
  const remainingSurge = clamp(budget.maxSurge - numSurge, candidateNewNodes.length);
  return { podsToDelete, nodesToCreate: [...allowedNewNodes, ...candidateNewNodes.slice(0, remainingSurge)] };
}
