// Taints and tolerations (upstream: core/v1 toleration.go, component-helpers scheduling helpers,
// the taint-eviction controller's wait computation). Pure.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

export type TaintFilter = (taint: Taint) => boolean;

/** The effects the scheduler and the DaemonSet controller refuse to place new pods under. */
export const doNotSchedule: TaintFilter = (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';
export const noExecute: TaintFilter = (t) => t.effect === 'NoExecute';

/**
 * Whether one toleration tolerates one taint: the effect matches (empty = all effects), the key
 * matches (empty = all keys, only meaningful with Exists), and `Equal` (or no operator) compares
 * values exactly while `Exists` accepts any value. Any other operator tolerates nothing (the
 * alpha Lt/Gt operators are off by default upstream).
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** Every taint passing `filter` that no toleration tolerates, in node order. */
export function untoleratedTaints(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter: TaintFilter = () => true,
): Taint[] {
  return (taints ?? []).filter((t) => filter(t) && !tolerationsTolerateTaint(tolerations, t));
}

/** FindMatchingUntoleratedTaint: the first such taint, or undefined if all are tolerated. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter: TaintFilter = () => true,
): Taint | undefined {
  return (taints ?? []).find((t) => filter(t) && !tolerationsTolerateTaint(tolerations, t));
}

/**
 * How long a pod bound to a node with these taints may stay, as the taint-eviction controller
 * decides: for each NoExecute taint the *first* toleration (pod order) that tolerates it is the
 * one used; any NoExecute taint without one → 0 (evict now); otherwise the minimum
 * tolerationSeconds of the used tolerations, where a value ≤ 0 means 0 and no value at all means
 * Infinity (never evicted). No NoExecute taint → Infinity.
 */
export function tolerationSecondsFor(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined): number {
  let wait = Infinity;
  for (const taint of (taints ?? []).filter(noExecute)) {
    const used = (tolerations ?? []).find((t) => toleratesTaint(t, taint));
    if (!used) return 0;
    if (used.tolerationSeconds !== undefined && used.tolerationSeconds !== null) {
      wait = Math.min(wait, Math.max(0, used.tolerationSeconds));
    }
  }
  return wait;
}

/**
 * The TaintToleration score before normalisation: PreferNoSchedule taints not tolerated by the
 * pod's tolerations whose effect is empty or PreferNoSchedule. Fewer is better.
 */
export function countUntoleratedPreferNoSchedule(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
): number {
  const relevant = (tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return (taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(relevant, t)).length;
}

/** Taint keys the node lifecycle controller (and kubectl cordon) put on nodes. */
export const NodeTaintKey = {
  notReady: 'node.kubernetes.io/not-ready',
  unreachable: 'node.kubernetes.io/unreachable',
  unschedulable: 'node.kubernetes.io/unschedulable',
  memoryPressure: 'node.kubernetes.io/memory-pressure',
  diskPressure: 'node.kubernetes.io/disk-pressure',
  pidPressure: 'node.kubernetes.io/pid-pressure',
  networkUnavailable: 'node.kubernetes.io/network-unavailable',
} as const;
