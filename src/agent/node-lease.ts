// PURE: the node Lease (`kube-node-lease/<node>`) a kubelet keeps renewing as its cheap
// heartbeat: holderIdentity = the node, 40 s duration, renewTime in MicroTime format, and owned
// by its Node so it goes away with it.
import type { Lease } from 'kubernetes-types/coordination/v1.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const NODE_LEASE_DURATION_SECONDS = 40;

/**
 * metav1.MicroTime: RFC 3339 with six fractional digits (`2026-11-22T05:00:00.123456Z`).
 * `epochMs` may carry a fraction of a millisecond (e.g. performance.timeOrigin + performance.now()).
 */
export function microTime(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const micros = Math.min(999, Math.floor((epochMs - whole) * 1000));
  return new Date(whole).toISOString().replace(/Z$/, `${String(micros).padStart(3, '0')}Z`);
}

export function newNodeLease(node: { name: string; uid: string }, renewTime: string, durationSeconds = NODE_LEASE_DURATION_SECONDS): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: node.name,
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }],
    },
    spec: { holderIdentity: node.name, leaseDurationSeconds: durationSeconds, renewTime },
  };
}

/**
 * The lease renewed at `renewTime`: holder and duration are put back to ours (someone may have
 * changed them), and the owner reference is restored if missing (upstream does the same).
 */
export function renewedNodeLease(lease: Lease, node: { name: string; uid: string }, renewTime: string, durationSeconds = NODE_LEASE_DURATION_SECONDS): Lease {
  const owners = lease.metadata?.ownerReferences ?? [];
  const owned = owners.some((o) => o.kind === 'Node' && o.uid === node.uid);
  return {
    ...lease,
    metadata: {
      ...lease.metadata,
      ...(owned ? {} : { ownerReferences: [...owners, { apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }] }),
    },
    spec: { ...lease.spec, holderIdentity: node.name, leaseDurationSeconds: durationSeconds, renewTime },
  };
}
