// NodeShouldRunDaemonPod: should this DaemonSet have a pod on this node, may an existing one
// stay, and why not. Only node name, required node affinity and taints count; resources, host
// ports, the unschedulable flag (except through its taint) and node conditions are left to the
// scheduler and the kubelet. Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { daemonPodTolerations } from './daemon-tolerations.js';
import { matchRequiredNodeAffinity } from './node-affinity.js';
import { templateNodeNameReason, untoleratedTaintReason, type Reason } from './reasons.js';
import { doNotSchedule, untoleratedTaints } from './taints.js';

export interface DaemonPlacement {
  /** Create a pod here if there is none. */
  shouldRun: boolean;
  /** An existing pod here may stay. */
  shouldContinueRunning: boolean;
  /** Every failing check, in check order: node name, nodeSelector keys, node affinity, taints. */
  reasons: Reason[];
}

/**
 * The pod the controller reasons about (upstream NewPod): the template's metadata and spec, the
 * DaemonSet's namespace, bound to `nodeName`, with the automatic daemon tolerations. Shallow:
 * nested template objects are shared, never modified.
 */
export function hypotheticalDaemonPod(ds: DaemonSet, nodeName: string): Pod {
  const template = ds.spec?.template;
  const spec = template?.spec ?? { containers: [] };
  return {
    metadata: { ...template?.metadata, namespace: ds.metadata?.namespace },
    spec: { ...spec, nodeName, tolerations: daemonPodTolerations(spec) },
  };
}

export function shouldRunDaemonPod(node: Node, ds: DaemonSet): DaemonPlacement {
  const nodeName = node.metadata?.name ?? '';
  const pod = hypotheticalDaemonPod(ds, nodeName);
  const reasons: Reason[] = [];

  const templateNodeName = ds.spec?.template?.spec?.nodeName;
  const fitsNodeName = !templateNodeName || templateNodeName === nodeName;
  if (!fitsNodeName) reasons.push(templateNodeNameReason(templateNodeName));

  const affinity = matchRequiredNodeAffinity(pod.spec, node);
  reasons.push(...affinity.reasons);

  // PreferNoSchedule taints never keep a daemon pod away.
  const untolerated = untoleratedTaints(node.spec?.taints, pod.spec!.tolerations, doNotSchedule);
  reasons.push(...untolerated.map(untoleratedTaintReason));

  if (!fitsNodeName || !affinity.matches) return { shouldRun: false, shouldContinueRunning: false, reasons };
  if (untolerated.length) {
    // Only an untolerated NoExecute taint evicts; NoSchedule alone keeps existing pods.
    const evicts = untolerated.some((t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !evicts, reasons };
  }
  return { shouldRun: true, shouldContinueRunning: true, reasons };
}
