// The scheduler's view of one pod and one node: the default filter plugins in upstream order
// with upstream's reason strings, the "0/N nodes are available: …" summary, and the score inputs
// (preferred node affinity, PreferNoSchedule taints). Pure.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { matchRequiredNodeAffinity, preferredAffinityScore } from './node-affinity.js';
import { ReasonCode, SchedulerMessage, unschedulableDetail, untoleratedTaintReason, type Reason } from './reasons.js';
import { fitsHostPorts, fitsResources } from './resources.js';
import { countUntoleratedPreferNoSchedule, doNotSchedule, findUntoleratedTaint, NodeTaintKey, tolerationsTolerateTaint } from './taints.js';

type Filter = (pod: Pod, node: Node, podsOnNode: readonly Pod[]) => Reason[];

const nodeUnschedulable: Filter = (pod, node) => {
  if (!node.spec?.unschedulable) return [];
  const cordon = { key: NodeTaintKey.unschedulable, effect: 'NoSchedule' };
  if (tolerationsTolerateTaint(pod.spec?.tolerations, cordon)) return [];
  return [{ code: ReasonCode.NodeUnschedulable, message: SchedulerMessage.nodeUnschedulable, detail: unschedulableDetail }];
};

const nodeName: Filter = (pod, node) => {
  const want = pod.spec?.nodeName;
  if (!want || want === node.metadata?.name) return [];
  return [{ code: ReasonCode.NodeNameMismatch, message: SchedulerMessage.nodeName, detail: `pod is bound to ${want}` }];
};

const taintToleration: Filter = (pod, node) => {
  const taint = findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, doNotSchedule);
  if (!taint) return [];
  return [{
    code: ReasonCode.TaintNotTolerated,
    message: SchedulerMessage.untoleratedTaint(taint.key, taint.value ?? ''),
    detail: untoleratedTaintReason(taint).message,
  }];
};

const nodeAffinity: Filter = (pod, node) => {
  const result = matchRequiredNodeAffinity(pod.spec, node);
  if (result.matches) return [];
  const detail = result.reasons.map((r) => r.message).join('; ');
  return [{ code: ReasonCode.NodeAffinityMismatch, message: SchedulerMessage.nodeAffinity, detail }];
};

const nodePorts: Filter = (pod, _node, podsOnNode) => fitsHostPorts(pod, podsOnNode);

const nodeResourcesFit: Filter = (pod, node, podsOnNode) => fitsResources(pod, node, podsOnNode);

/** kube-scheduler's default filter order (volume, topology and inter-pod plugins not modelled). */
const FILTERS: readonly Filter[] = [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit];

/**
 * Runs the filters for one node. Like kube-scheduler it stops at the first failing filter (whose
 * reasons may be several, e.g. `Insufficient cpu` and `Insufficient memory`), so the counts in
 * summarizeUnschedulable match upstream; `runAllFilters` collects every failure instead (for
 * `why`). Empty = the pod fits.
 */
export function filterNode(pod: Pod, node: Node, podsOnNode: readonly Pod[], options: { runAllFilters?: boolean } = {}): Reason[] {
  const reasons: Reason[] = [];
  for (const filter of FILTERS) {
    reasons.push(...filter(pod, node, podsOnNode));
    if (reasons.length && !options.runAllFilters) break;
  }
  return reasons;
}

/**
 * NodeAffinity PreFilter: the node names the pod's required affinity restricts it to through
 * `matchFields metadata.name In` (a daemon pod names exactly its node), or null if any node may
 * do. An empty set means the terms conflict (SchedulerMessage.affinityTermsConflict). Nodes left
 * out are reported with outsideAffinityNodeNames.
 */
export function affinityNodeNames(pod: Pod): Set<string> | null {
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return null;
  const names = new Set<string>();
  for (const term of terms) {
    // Requirements within a term are ANDed: intersect their name lists.
    const lists = (term.matchFields ?? []).filter((r) => r.key === 'metadata.name' && r.operator === 'In').map((r) => r.values ?? []);
    // Terms are ORed: one term without a name restriction lets every node through.
    if (lists.length === 0) return null;
    for (const n of lists[0]!) if (lists.every((l) => l.includes(n))) names.add(n);
  }
  return names;
}

/** The reason to count for each node outside affinityNodeNames(pod), as upstream does. */
export const outsideAffinityNodeNames: Reason = {
  code: ReasonCode.NodeAffinityMismatch,
  message: SchedulerMessage.notInAffinityNodeNames,
  detail: "the pod's required node affinity names other nodes",
};

/**
 * The FailedScheduling message: `0/5 nodes are available: 1 Insufficient memory, 4 node(s)
 * didn't match Pod's node affinity/selector.` — each distinct reason message with the number of
 * times it occurs, sorted as strings. A PreFilter rejection replaces the per-node part; a
 * PostFilter (preemption) message is appended.
 */
export function summarizeUnschedulable(
  totalNodes: number,
  reasonsPerNode: Iterable<readonly Reason[]>,
  options: { preFilterMessage?: string; postFilterMessage?: string } = {},
): string {
  if (totalNodes === 0) return SchedulerMessage.noNodes;
  let message = `0/${totalNodes} nodes are available:`;
  if (options.preFilterMessage) {
    message += ` ${options.preFilterMessage}.`;
  } else {
    const counts = new Map<string, number>();
    for (const reasons of reasonsPerNode) for (const r of reasons) counts.set(r.message, (counts.get(r.message) ?? 0) + 1);
    // Go's sort.Strings: plain code-unit order ("10 x" sorts before "2 y").
    const parts = [...counts].map(([text, n]) => `${n} ${text}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length) message += ` ${parts.join(', ')}.`;
  }
  if (options.postFilterMessage) message += ` ${options.postFilterMessage}.`;
  return message;
}

/** Raw score inputs for one node; normalise across all feasible nodes with totalScores. */
export interface NodeScore {
  /** Sum of the weights of matching preferred node-affinity terms (higher is better). */
  preferredAffinity: number;
  /** PreferNoSchedule taints the pod does not tolerate (lower is better). */
  untoleratedPreferNoSchedule: number;
}

export function scoreNode(pod: Pod, node: Node): NodeScore {
  return {
    preferredAffinity: preferredAffinityScore(pod.spec, node),
    untoleratedPreferNoSchedule: countUntoleratedPreferNoSchedule(node.spec?.taints, pod.spec?.tolerations),
  };
}

const MAX_NODE_SCORE = 100;
const NODE_AFFINITY_WEIGHT = 2;
const TAINT_TOLERATION_WEIGHT = 3;

/** DefaultNormalizeScore: scale to 0–100 by the highest raw score (reversed: fewer is better). */
function normalize(raw: readonly number[], reverse: boolean): number[] {
  const max = Math.max(0, ...raw);
  if (max === 0) return raw.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return raw.map((s) => {
    const scaled = Math.trunc((MAX_NODE_SCORE * s) / max);
    return reverse ? MAX_NODE_SCORE - scaled : scaled;
  });
}

/** The weighted, normalised totals (NodeAffinity ×2, TaintToleration ×3), index for index. */
export function totalScores(scores: readonly NodeScore[]): number[] {
  const affinity = normalize(scores.map((s) => s.preferredAffinity), false);
  const taints = normalize(scores.map((s) => s.untoleratedPreferNoSchedule), true);
  return scores.map((_, i) => NODE_AFFINITY_WEIGHT * affinity[i]! + TAINT_TOLERATION_WEIGHT * taints[i]!);
}
