// One scheduling decision, as kube-scheduler's schedulePod makes it: narrow the nodes by the
// pod's `matchFields metadata.name` affinity (a daemon pod names one node, so one node is checked,
// not all of them), try the nominated node first, run the filters, stop once enough feasible
// nodes are found, score them and take the best. Pure: the cluster comes in as a ClusterView.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import {
  affinityNodeNames,
  filterNode,
  outsideAffinityNodeNames,
  SchedulerMessage,
  scoreNode,
  summarizeUnschedulable,
  totalScores,
  type Reason,
} from '../placement/index.js';
import { podKey, podPriority } from './pods.js';

/** The scheduler's picture of the cluster. */
export interface ClusterView {
  /** Every node name, in a stable order (scans start where the previous one stopped). */
  readonly nodeNames: readonly string[];
  node(name: string): Node | undefined;
  /** Non-terminal pods bound to the node, or assumed bound by the scheduler. */
  assignedPods(nodeName: string): readonly Pod[];
  /** Unbound pods whose status.nominatedNodeName (preemption) reserves room on the node. */
  nominatedPods(nodeName: string): readonly Pod[];
}

/**
 * The pods the filters count on a node for `pod`: those assigned there, plus those nominated
 * there with at least its priority (upstream's RunFilterPluginsWithNominatedPods; our filters
 * only get stricter with more pods, so the run with them is the one that decides).
 */
export function podsCountedOn(view: ClusterView, nodeName: string, pod: Pod): readonly Pod[] {
  const assigned = view.assignedPods(nodeName);
  const nominated = view.nominatedPods(nodeName);
  if (nominated.length === 0) return assigned;
  const self = podKey(pod);
  const priority = podPriority(pod);
  const ahead = nominated.filter((p) => podPriority(p) >= priority && podKey(p) !== self);
  return ahead.length ? [...assigned, ...ahead] : assigned;
}

export interface Scheduled {
  kind: 'scheduled';
  node: string;
  /** Nodes looked at (feasible and not): where the next round-robin scan starts. */
  evaluated: number;
}

export interface Unschedulable {
  kind: 'unschedulable';
  /** All nodes in the cluster: the N of "0/N nodes are available". */
  numAllNodes: number;
  /** Nodes that were checked, with the reasons of their first failing filter. */
  failed: Map<string, Reason[]>;
  /** The reason of every node not in `failed` (they were never candidates); none if there are none. */
  absent?: Reason;
  /** A rejection before any node was looked at (it replaces the per-node counts in the message). */
  preFilterMessage?: string;
  evaluated: number;
}

export type ScheduleResult = Scheduled | Unschedulable;

export interface ScheduleOptions {
  /** Where the scan of the node list starts (upstream's nextStartNodeIndex). */
  startIndex?: number;
  /** [0, 1) source for breaking ties between equally scored nodes. */
  random?: () => number;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/**
 * How many feasible nodes are enough before scoring (percentageOfNodesToScore left at its
 * adaptive default): all of them below 100 nodes, else 50% shrinking by 1% per 125 nodes, at
 * least 5% and at least 100.
 */
export function numFeasibleNodesToFind(numNodes: number): number {
  if (numNodes < MIN_FEASIBLE_NODES_TO_FIND) return numNodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.trunc(numNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((numNodes * percentage) / 100));
}

function unschedulable(view: ClusterView, failed: Map<string, Reason[]>, extra: Partial<Unschedulable> = {}): Unschedulable {
  return { kind: 'unschedulable', numAllNodes: view.nodeNames.length, failed, evaluated: failed.size, ...extra };
}

/** The highest total score; ties are broken at random (reservoir sampling), like upstream. */
function bestScored(pod: Pod, view: ClusterView, feasible: readonly string[], random: () => number): string {
  const totals = totalScores(feasible.map((name) => scoreNode(pod, view.node(name)!)));
  let best = feasible[0]!;
  let bestScore = totals[0]!;
  let ties = 1;
  for (let i = 1; i < feasible.length; i++) {
    const score = totals[i]!;
    if (score > bestScore) {
      best = feasible[i]!;
      bestScore = score;
      ties = 1;
    } else if (score === bestScore && random() * ++ties < 1) {
      best = feasible[i]!;
    }
  }
  return best;
}

/** Picks a node for an unbound pod, or says per node why none will do. */
export function schedulePod(pod: Pod, view: ClusterView, opts: ScheduleOptions = {}): ScheduleResult {
  const failed = new Map<string, Reason[]>();
  if (view.nodeNames.length === 0) return unschedulable(view, failed);
  const names = affinityNodeNames(pod);
  if (names && names.size === 0) return unschedulable(view, failed, { preFilterMessage: SchedulerMessage.affinityTermsConflict });

  const check = (name: string): Reason[] => filterNode(pod, view.node(name)!, podsCountedOn(view, name, pod));

  // A pod that preempted others was nominated to the node it made room on: try that one first.
  const nominated = pod.status?.nominatedNodeName;
  if (nominated && view.node(nominated)) {
    const reasons = check(nominated);
    if (reasons.length === 0) return { kind: 'scheduled', node: nominated, evaluated: 1 };
    failed.set(nominated, reasons);
  }

  const candidates = names ? [...names].filter((n) => view.node(n) !== undefined) : view.nodeNames;
  const enough = numFeasibleNodesToFind(candidates.length);
  const start = candidates.length ? (opts.startIndex ?? 0) % candidates.length : 0;
  const feasible: string[] = [];
  for (let i = 0; i < candidates.length && feasible.length < enough; i++) {
    const name = candidates[(start + i) % candidates.length]!;
    const reasons = check(name);
    if (reasons.length === 0) feasible.push(name);
    else failed.set(name, reasons);
  }
  const evaluated = feasible.length + failed.size;
  if (feasible.length === 0) return unschedulable(view, failed, { evaluated, ...(names ? { absent: outsideAffinityNodeNames } : {}) });
  const node = feasible.length === 1 ? feasible[0]! : bestScored(pod, view, feasible, opts.random ?? Math.random);
  return { kind: 'scheduled', node, evaluated };
}

/** Every node's reasons: the checked ones, then `absent` once for each node never checked. */
export function* reasonsPerNode(numAllNodes: number, failed: ReadonlyMap<string, readonly Reason[]>, absent?: Reason): Iterable<readonly Reason[]> {
  yield* failed.values();
  if (!absent) return;
  const one = [absent];
  for (let i = failed.size; i < numAllNodes; i++) yield one;
}

/**
 * The FailedScheduling message and PodScheduled=False condition message, e.g. `0/5 nodes are
 * available: 1 Insufficient memory, 4 node(s) didn't match Pod's node affinity/selector.`,
 * followed by what preemption said, if anything (`preemption: 0/5 nodes are available: …`).
 */
export function unschedulableMessage(u: Unschedulable, postFilterMessage?: string): string {
  return summarizeUnschedulable(u.numAllNodes, reasonsPerNode(u.numAllNodes, u.failed, u.absent), {
    preFilterMessage: u.preFilterMessage,
    // Upstream appends it as it is, and it already ends in a full stop; summarizeUnschedulable adds one.
    postFilterMessage: postFilterMessage?.replace(/\.$/, ''),
  });
}
