// Why a pod does not (or may not) go on a node. Every placement check returns these, so the
// controller, the scheduler, `everynode why` and the dashboard can all say *why not on node X*.
// All wording lives here, in one place.

export interface Reason {
  /** Stable machine-readable code (one of ReasonCode). */
  code: string;
  /**
   * What to show. For the DaemonSet checks: a human sentence. For the scheduler filters:
   * kube-scheduler's own reason string (it is counted verbatim in "0/N nodes are available").
   */
  message: string;
  /** Scheduler reasons only: the specific human explanation behind the upstream wording. */
  detail?: string;
}

export const ReasonCode = {
  NodeNameMismatch: 'NodeNameMismatch',
  NodeSelectorMismatch: 'NodeSelectorMismatch',
  NodeAffinityMismatch: 'NodeAffinityMismatch',
  TaintNotTolerated: 'TaintNotTolerated',
  NodeUnschedulable: 'NodeUnschedulable',
  InsufficientResource: 'InsufficientResource',
  TooManyPods: 'TooManyPods',
  HostPortConflict: 'HostPortConflict',
} as const;

/** kube-scheduler's filter reasons, word for word. */
export const SchedulerMessage = {
  nodeUnschedulable: 'node(s) were unschedulable',
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  /** For nodes left out because the pod's affinity names other nodes (PreFilter narrowing). */
  notInAffinityNodeNames: "node(s) didn't satisfy plugin(s) [NodeAffinity]",
  affinityTermsConflict: 'pod affinity terms conflict',
  hostPorts: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  noNodes: 'no nodes available to schedule pods',
  untoleratedTaint: (key: string, value: string): string => `node(s) had untolerated taint {${key}: ${value}}`,
  insufficient: (resource: string): string => `Insufficient ${resource}`,
} as const;

/** `key=value:Effect`, or `key:Effect` without a value — kubectl's taint notation. */
export function formatTaint(taint: { key?: string; value?: string; effect?: string }): string {
  const kv = taint.value ? `${taint.key ?? ''}=${taint.value}` : (taint.key ?? '');
  return taint.effect ? `${kv}:${taint.effect}` : kv;
}

// --- DaemonSet (controller) reasons: human sentences --------------------------------------

export function templateNodeNameReason(templateNodeName: string): Reason {
  return { code: ReasonCode.NodeNameMismatch, message: `template nodeName ${templateNodeName} is not this node` };
}

export function nodeSelectorReason(key: string, want: string, labels: Record<string, string> | undefined): Reason {
  const has = labels !== undefined && Object.hasOwn(labels, key);
  const why = has ? `node has ${key}=${labels[key]}` : `node has no label ${key}`;
  return { code: ReasonCode.NodeSelectorMismatch, message: `nodeSelector ${key}=${want}: ${why}` };
}

/** `termExplanations` are the per-term failures, e.g. `term 1: type In [a]: node has no label type`. */
export function nodeAffinityReason(termExplanations: string[]): Reason {
  const message = termExplanations.length
    ? `node affinity: no term matches (${termExplanations.join('; ')})`
    : 'node affinity: no nodeSelectorTerms, so no node matches';
  return { code: ReasonCode.NodeAffinityMismatch, message };
}

export function untoleratedTaintReason(taint: { key?: string; value?: string; effect?: string }): Reason {
  return { code: ReasonCode.TaintNotTolerated, message: `taint ${formatTaint(taint)} is not tolerated` };
}

export const unschedulableDetail = 'node is unschedulable (cordoned)';
