// The status patches the scheduler sends for a pod (strategic merge, `status` subresource):
// PodScheduled=False with why, the nominated node, and the DisruptionTarget condition a
// preemption victim gets. Pure.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PREEMPTION_REASON } from './preemption.js';

export type UnschedulableReason = 'Unschedulable' | 'SchedulerError';

/** The nominated node to set (a name), to clear (null), or to leave as it is (undefined). */
export type Nomination = string | null | undefined;

function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The patch recording a failed attempt, or undefined when the pod already says exactly that
 * (as upstream, a repeat of the same condition is not written again). The transition time only
 * moves when the condition's status changes.
 */
export function unschedulablePatch(pod: Pod, reason: UnschedulableReason, message: string, nomination: Nomination, now: Date): object | undefined {
  const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const conditionChanged = !current || current.status !== 'False' || current.reason !== reason || current.message !== message;
  const nominationChanged = nomination !== undefined && (nomination ?? '') !== (pod.status?.nominatedNodeName ?? '');
  if (!conditionChanged && !nominationChanged) return undefined;
  const status: Record<string, unknown> = {};
  if (conditionChanged) {
    const since = current?.status === 'False' && current.lastTransitionTime ? current.lastTransitionTime : timestamp(now);
    status.conditions = [{ type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null, lastTransitionTime: since }];
  }
  if (nominationChanged) status.nominatedNodeName = nomination ?? null;
  return { status };
}

/** Marks a victim before it is deleted, so that others can tell why it is terminating. */
export function preemptedPatch(schedulerName: string, now: Date): object {
  return {
    status: {
      conditions: [
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: PREEMPTION_REASON,
          message: `${schedulerName}: preempting to accommodate a higher priority pod`,
          lastProbeTime: null,
          lastTransitionTime: timestamp(now),
        },
      ],
    },
  };
}

export const clearNominationPatch = { status: { nominatedNodeName: null } };
