// placement/: pure decisions about pods and nodes, each with its reasons. Used by the DaemonSet
// controller, the scheduler, `everynode why` / `simulate` and the dashboard.
export type { Reason } from './reasons.js';
export { ReasonCode, SchedulerMessage, formatTaint } from './reasons.js';

export {
  fromLabelSelector,
  labelSelectorMatches,
  selectorMatches,
  parseSelector,
  formatLabelSelector,
  formatLabels,
  isEverythingSelector,
  SelectorParseError,
} from './labels.js';
export type { Labels, Selector, Requirement } from './labels.js';

export type { AffinityMatch } from './node-affinity.js';
export {
  matchRequiredNodeAffinity,
  matchNodeSelectorTerms,
  nodeSelectorTermMatches,
  preferredAffinityScore,
  describeRequirement,
} from './node-affinity.js';

export type { TaintFilter } from './taints.js';
export {
  toleratesTaint,
  tolerationsTolerateTaint,
  findUntoleratedTaint,
  untoleratedTaints,
  tolerationSecondsFor,
  countUntoleratedPreferNoSchedule,
  doNotSchedule,
  noExecute,
  NodeTaintKey,
} from './taints.js';

export type { TargetNode } from './daemon-tolerations.js';
export {
  addOrUpdateToleration,
  daemonTolerations,
  daemonPodTolerations,
  nodeNameAffinity,
  targetNodeName,
} from './daemon-tolerations.js';

export type { DaemonPlacement } from './daemon.js';
export { shouldRunDaemonPod, hypotheticalDaemonPod } from './daemon.js';

export type { ResourceAmounts } from './resources.js';
export { parseQuantityMilli, podRequests, nodeAllocatable, fitsResources, hostPorts, fitsHostPorts } from './resources.js';

export type { NodeScore } from './scheduling.js';
export { filterNode, affinityNodeNames, outsideAffinityNodeNames, summarizeUnschedulable, scoreNode, totalScores } from './scheduling.js';
