// Preemption, as kube-scheduler's DefaultPreemption plugin does it: for a pod no node can take,
// find a node where evicting pods of lower priority makes it fit, evicting as few and as
// unimportant pods as possible. Without PodDisruptionBudgets, upstream's PDB rules drop out.
// Pure: the outcome says which pods to evict; the Scheduler does it.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { filterNode, fitsResources, ReasonCode, summarizeUnschedulable, type Reason } from '../placement/index.js';
import { podKey, podPriority, podStartMs } from './pods.js';
import { podsCountedOn, reasonsPerNode, type ClusterView, type Unschedulable } from './schedule.js';

export const PreemptionMessage = {
  policyNever: 'not eligible due to preemptionPolicy=Never.',
  terminatingOnNominatedNode: 'not eligible due to a terminating pod on the nominated node.',
  noVictims: 'No preemption victims found for incoming pod',
  notHelpful: 'Preemption is not helpful for scheduling',
} as const;

/** The DisruptionTarget condition a victim gets before it is deleted. */
export const PREEMPTION_REASON = 'PreemptionByScheduler';

export type PreemptionOutcome =
  /** Evict `victims` from `node` and nominate the pod there; `demoted` lose their nomination to it. */
  | { kind: 'preempt'; node: string; victims: Pod[]; demoted: Pod[] }
  /** The pod may not preempt now; its nominated node (if any) stays. */
  | { kind: 'ineligible'; message: string }
  /** No node would do even with evictions; the pod's nominated node is cleared. */
  | { kind: 'failed'; message: string };

export interface PreemptionOptions {
  /** Where among the candidate nodes the dry run starts (upstream: random). */
  offset?: number;
}

/** Filter codes no eviction can cure (upstream: UnschedulableAndUnresolvable). */
const UNRESOLVABLE = new Set<string>([
  ReasonCode.NodeUnschedulable,
  ReasonCode.NodeNameMismatch,
  ReasonCode.TaintNotTolerated,
  ReasonCode.NodeAffinityMismatch,
]);

/**
 * Whether evicting pods could make the node fit: not when a hard filter failed, nor when the pod
 * asks for more of a resource than the node has in all (it does not fit an empty node).
 */
function helpsToEvict(pod: Pod, node: Node, reasons: readonly Reason[]): boolean {
  if (reasons.some((r) => UNRESOLVABLE.has(r.code))) return false;
  if (!reasons.some((r) => r.code === ReasonCode.InsufficientResource)) return true;
  return !fitsResources(pod, node, []).some((r) => r.code === ReasonCode.InsufficientResource);
}

/** Upstream's MoreImportantPod: higher priority first, then the one that started earlier. */
export function moreImportantFirst(a: Pod, b: Pod): number {
  return podPriority(b) - podPriority(a) || podStartMs(a) - podStartMs(b);
}

/** The victim pods' status says the scheduler is evicting them (graceful deletion under way). */
function terminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  const c = pod.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
  return c?.status === 'True' && c.reason === PREEMPTION_REASON;
}

type VictimSelection = { victims: Pod[] } | { reasons: Reason[] };

/**
 * The pods to evict from the node so that `pod` fits: remove every pod of lower priority, check
 * that it fits, then put them back one by one, most important first, keeping each that still
 * leaves room. Victims come out most important first.
 */
export function selectVictims(pod: Pod, view: ClusterView, nodeName: string): VictimSelection {
  const node = view.node(nodeName)!;
  const priority = podPriority(pod);
  const assigned = view.assignedPods(nodeName);
  const lower = assigned.filter((p) => podPriority(p) < priority);
  const noVictims = { reasons: [{ code: 'NoPreemptionVictims', message: PreemptionMessage.noVictims }] };
  if (lower.length === 0) return noVictims;
  const assignedKeys = new Set(assigned.map(podKey));
  const nominatedAhead = podsCountedOn(view, nodeName, pod).filter((p) => !assignedKeys.has(podKey(p)));
  const staying = assigned.filter((p) => podPriority(p) >= priority);
  const fits = (): Reason[] => filterNode(pod, node, [...staying, ...nominatedAhead]);
  const reasons = fits();
  if (reasons.length) return { reasons };
  const victims: Pod[] = [];
  for (const p of lower.sort(moreImportantFirst)) {
    staying.push(p);
    if (fits().length) {
      staying.pop();
      victims.push(p);
    }
  }
  // It fits with every pod back: nothing needs to go (the node was not full after all).
  return victims.length ? { victims } : noVictims;
}

interface Candidate {
  node: string;
  victims: Pod[];
}

/**
 * Upstream's pickOneNodeForPreemption without PDBs: the node whose most important victim is
 * least important, then the smallest sum of victim priorities, then the fewest victims, then the
 * one whose most important victims started latest, then the first.
 */
export function pickCandidate<T extends Candidate>(candidates: readonly T[]): T | undefined {
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -podPriority(c.victims[0]!),
    // Shifted by 2^31 so that many victims with negative priority still sum higher than few.
    (c) => -c.victims.reduce((sum, p) => sum + podPriority(p) + 2 ** 31, 0),
    (c) => -c.victims.length,
    (c) => {
      const top = podPriority(c.victims[0]!);
      return Math.min(...c.victims.filter((p) => podPriority(p) === top).map(podStartMs));
    },
  ];
  let left = [...candidates];
  for (const score of criteria) {
    if (left.length <= 1) break;
    const scores = left.map(score);
    const max = Math.max(...scores);
    left = left.filter((_, i) => scores[i] === max);
  }
  return left[0];
}

const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

/** How many candidate nodes the dry run collects before choosing (10%, at least 100). */
export function numCandidates(potentialNodes: number): number {
  const n = Math.max(MIN_CANDIDATE_NODES_ABSOLUTE, Math.trunc((potentialNodes * MIN_CANDIDATE_NODES_PERCENTAGE) / 100));
  return Math.min(n, potentialNodes);
}

function failed(numAllNodes: number, statuses: Map<string, Reason[]>): PreemptionOutcome {
  const notHelpful: Reason = { code: 'PreemptionNotHelpful', message: PreemptionMessage.notHelpful };
  return { kind: 'failed', message: summarizeUnschedulable(numAllNodes, reasonsPerNode(numAllNodes, statuses, notHelpful)) };
}

/**
 * Runs after schedulePod found no node. `failure` is its per-node diagnosis. Messages are the
 * PostFilter part of the FailedScheduling message, without the `preemption: ` prefix.
 */
export function preempt(pod: Pod, view: ClusterView, failure: Unschedulable, opts: PreemptionOptions = {}): PreemptionOutcome {
  if (pod.spec?.preemptionPolicy === 'Never') return { kind: 'ineligible', message: PreemptionMessage.policyNever };
  const priority = podPriority(pod);
  const isPotential = (name: string): boolean => {
    const reasons = failure.failed.get(name);
    const node = view.node(name);
    return reasons !== undefined && node !== undefined && helpsToEvict(pod, node, reasons);
  };

  // While pods it preempted earlier are still terminating, it waits rather than evicting more.
  const nominated = pod.status?.nominatedNodeName;
  if (nominated && isPotential(nominated)) {
    const waiting = view.assignedPods(nominated).some((p) => podPriority(p) < priority && terminatingByPreemption(p));
    if (waiting) return { kind: 'ineligible', message: PreemptionMessage.terminatingOnNominatedNode };
  }

  const potential = [...failure.failed.keys()].filter(isPotential);
  const statuses = new Map<string, Reason[]>();
  if (potential.length === 0) return failed(failure.numAllNodes, statuses);
  const wanted = numCandidates(potential.length);
  const offset = (opts.offset ?? 0) % potential.length;
  const candidates: Candidate[] = [];
  for (let i = 0; i < potential.length && candidates.length < wanted; i++) {
    const name = potential[(offset + i) % potential.length]!;
    const selection = selectVictims(pod, view, name);
    if ('reasons' in selection) statuses.set(name, selection.reasons);
    else candidates.push({ node: name, victims: selection.victims });
  }
  const best = pickCandidate(candidates);
  if (!best) return failed(failure.numAllNodes, statuses);
  const self = podKey(pod);
  const demoted = view.nominatedPods(best.node).filter((p) => podPriority(p) < priority && podKey(p) !== self);
  return { kind: 'preempt', node: best.node, victims: best.victims, demoted };
}
