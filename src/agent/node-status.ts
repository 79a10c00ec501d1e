// PURE: the Node object a kubelet registers and the conditions it reports: MemoryPressure,
// DiskPressure and PIDPressure (False on a healthy node, True under pressure) and Ready True, in
// that order, each with the time of this heartbeat and the time its status last changed.
import type { Node, NodeCondition, NodeSystemInfo, Taint } from 'kubernetes-types/core/v1.js';

/** The kubelet's default port, where the API server reaches an agent (logs). */
export const DEFAULT_KUBELET_PORT = 10250;

/** Which resources the node is short of (from the eviction thresholds); all false when healthy. */
export interface NodePressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

export const NO_PRESSURE: NodePressure = { memory: false, disk: false, pid: false };

export interface NodeDescription {
  name: string;
  /** The node's primary address (NodeInternalIP). */
  internalIP: string;
  /** The Hostname address (default: the node name). */
  hostname?: string;
  /** Extra labels (`--labels`), on top of the well-known ones the kubelet sets. */
  labels?: Record<string, string>;
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  nodeInfo: NodeSystemInfo;
  /** Taints the Node is created with (`--taints`, upstream's --register-with-taints); an existing Node keeps its own. */
  taints?: Taint[];
  /** Where the agent serves logs (default 10250). */
  kubeletPort?: number;
  /** What the node is short of when it registers (default: nothing). */
  pressure?: NodePressure;
}

/** The labels every kubelet puts on its Node. */
export function wellKnownNodeLabels(name: string, os: string, arch: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': os,
  };
}

interface ConditionText {
  reason: string;
  message: string;
}

/** Each condition's wording, as the kubelet's: [when False, when True] for pressure, [True] for Ready. */
const PRESSURE: { type: string; of: keyof NodePressure; no: ConditionText; yes: ConditionText }[] = [
  {
    type: 'MemoryPressure',
    of: 'memory',
    no: { reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    yes: { reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' },
  },
  {
    type: 'DiskPressure',
    of: 'disk',
    no: { reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    yes: { reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' },
  },
  {
    type: 'PIDPressure',
    of: 'pid',
    no: { reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    yes: { reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' },
  },
];
const READY: ConditionText = { reason: 'KubeletReady', message: 'kubelet is posting ready status' };

/**
 * The conditions of a node at `now` (RFC 3339, seconds) under `pressure`. A condition keeps its
 * lastTransitionTime from `previous` while its status is unchanged (e.g. Ready stays True), and
 * gets `now` when it changes (e.g. Unknown, set by node lifecycle while the agent was away, back
 * to True; or MemoryPressure False → True).
 */
export function nodeConditions(now: string, previous: NodeCondition[] = [], pressure: NodePressure = NO_PRESSURE): NodeCondition[] {
  const wanted = [
    ...PRESSURE.map((p) => ({ type: p.type, status: pressure[p.of] ? 'True' : 'False', ...(pressure[p.of] ? p.yes : p.no) })),
    { type: 'Ready', status: 'True', ...READY },
  ];
  return wanted.map((c) => {
    const old = previous.find((p) => p.type === c.type);
    return {
      type: c.type,
      status: c.status,
      lastHeartbeatTime: now,
      lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now,
      reason: c.reason,
      message: c.message,
    };
  });
}

/** The conditions of a healthy node (no pressure); see nodeConditions. */
export function healthyNodeConditions(now: string, previous: NodeCondition[] = []): NodeCondition[] {
  return nodeConditions(now, previous, NO_PRESSURE);
}

/** The status fields the kubelet owns besides conditions. */
export function nodeStatusFields(d: NodeDescription): Pick<NonNullable<Node['status']>, 'addresses' | 'capacity' | 'allocatable' | 'daemonEndpoints' | 'nodeInfo'> {
  return {
    addresses: [
      { type: 'InternalIP', address: d.internalIP },
      { type: 'Hostname', address: d.hostname ?? d.name },
    ],
    capacity: { ...d.capacity },
    allocatable: { ...d.allocatable },
    daemonEndpoints: { kubeletEndpoint: { Port: d.kubeletPort ?? DEFAULT_KUBELET_PORT } },
    nodeInfo: { ...d.nodeInfo },
  };
}

/** The labels the Node must carry: the well-known ones, then the user's. */
export function nodeLabels(d: NodeDescription): Record<string, string> {
  return { ...wellKnownNodeLabels(d.name, d.nodeInfo.operatingSystem, d.nodeInfo.architecture), ...d.labels };
}

/** The Node a kubelet creates when it registers. */
export function initialNode(d: NodeDescription, now: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: d.name,
      labels: nodeLabels(d),
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: d.taints?.length ? { taints: d.taints.map((t) => ({ ...t })) } : {},
    status: { ...nodeStatusFields(d), conditions: nodeConditions(now, [], d.pressure) },
  };
}

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
