// Small facts about a pod that the scheduler asks again and again. Pure.
import type { Pod } from 'kubernetes-types/core/v1.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** `namespace/name`, the key of the pod informer's cache. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** spec.priority as admission resolved it from the PriorityClass (0 when there is none). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/** Succeeded and Failed pods hold no resources and are never scheduled again. */
export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * Whether this scheduler should place the pod: unbound, ours (schedulerName default-scheduler
 * or empty), not being deleted, not finished, and not held back by scheduling gates.
 */
export function needsScheduling(pod: Pod): boolean {
  const spec = pod.spec;
  if (!spec || spec.nodeName) return false;
  if ((spec.schedulerName || DEFAULT_SCHEDULER_NAME) !== DEFAULT_SCHEDULER_NAME) return false;
  if (pod.metadata?.deletionTimestamp || isTerminal(pod)) return false;
  return (spec.schedulingGates ?? []).length === 0;
}

/**
 * When the pod started, in ms since the epoch; a pod that has not started counts as starting
 * now, i.e. later than any that has (upstream's GetPodStartTime).
 */
export function podStartMs(pod: Pod): number {
  const t = pod.status?.startTime;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}
