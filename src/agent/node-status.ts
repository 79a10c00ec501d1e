// PURE: the Node object a kubelet registers and the conditions it reports. A healthy node
// reports MemoryPressure, DiskPressure and PIDPressure False and Ready True, in that order, each
// with the time of this heartbeat and the time its status last changed.
import type { Node, NodeCondition, NodeSystemInfo } from 'kubernetes-types/core/v1.js';

export interface NodeDescription {
  name: string;
  /** The node's primary address (NodeInternalIP). */
  internalIP: string;
  /** Extra labels (`--labels`), on top of the well-known ones the kubelet sets. */
  labels?: Record<string, string>;
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  nodeInfo: NodeSystemInfo;
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

const HEALTHY: { type: string; status: 'True' | 'False'; reason: string; message: string }[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

/**
 * The conditions of a healthy node at `now` (RFC 3339, seconds). A condition keeps its
 * lastTransitionTime from `previous` while its status is unchanged (e.g. Ready stays True), and
 * gets `now` when it changes (e.g. Unknown, set by node lifecycle while the agent was away, back to True).
 */
export function healthyNodeConditions(now: string, previous: NodeCondition[] = []): NodeCondition[] {
  return HEALTHY.map((c) => {
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

/** The status fields the kubelet owns besides conditions. */
export function nodeStatusFields(d: NodeDescription): Pick<NonNullable<Node['status']>, 'addresses' | 'capacity' | 'allocatable' | 'daemonEndpoints' | 'nodeInfo'> {
  return {
    addresses: [
      { type: 'InternalIP', address: d.internalIP },
      { type: 'Hostname', address: d.name },
    ],
    capacity: { ...d.capacity },
    allocatable: { ...d.allocatable },
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
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
    spec: {},
    status: { ...nodeStatusFields(d), conditions: healthyNodeConditions(now) },
  };
}

/** RFC 3339 with whole seconds, as metav1.Time serialises. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
