// manage (upstream podsShouldBeOnNode + getUnscheduledPodsWithoutNode): per node, whether a
// daemon pod must be created and which pods must go — extra pods, Failed pods (with a per-node
// back-off), Succeeded pods, pods on nodes the daemon must leave, and unbound pods pinned to a
// node that no longer exists. Pure apart from advancing the failed-pod back-off it is given.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Backoff } from './backoff.js';
import type { PlacedNode } from './node-placement.js';
import { HASH_LABEL, isPodAvailable, isPodReady, sortPods } from './pods.js';
import { allowsSurge } from './rolling-update.js';

export interface DaemonSetEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ManagePlan {
  /** Nodes that need a new daemon pod. */
  nodesNeedingPods: string[];
  /** Names of pods to delete. */
  podsToDelete: string[];
  /** Events to record on the DaemonSet. */
  events: DaemonSetEvent[];
  /** Sync again after this long (a Failed pod is waiting out its back-off). */
  requeueAfterMs?: number;
}

export interface ManageInput {
  ds: DaemonSet;
  nodes: readonly PlacedNode[];
  podsByNode: ReadonlyMap<string, Pod[]>;
  hash: string;
  now: Date;
  failedPodsBackoff: Backoff;
}

/** Back-off key: a spec change (new observedGeneration) starts a fresh back-off. */
export function failedPodsBackoffKey(ds: DaemonSet, nodeName: string): string {
  return `${ds.metadata?.uid ?? ''}/${ds.status?.observedGeneration ?? 0}/${nodeName}`;
}

function podName(pod: Pod): string {
  return pod.metadata?.name ?? '';
}

/** The decisions for one node; appends to `plan`. */
export function podsShouldBeOnNode(input: ManageInput, placed: PlacedNode, plan: ManagePlan): void {
  const { ds, podsByNode, hash, now, failedPodsBackoff } = input;
  const { name: nodeName, shouldRun, shouldContinueRunning } = placed;
  const pods = podsByNode.get(nodeName);

  if (shouldRun && !pods) {
    plan.nodesNeedingPods.push(nodeName);
    return;
  }
  if (shouldContinueRunning) {
    const running: Pod[] = [];
    for (const pod of pods ?? []) {
      if (pod.metadata?.deletionTimestamp) continue;
      const phase = pod.status?.phase;
      const ns = pod.metadata?.namespace ?? '';
      if (phase === 'Failed') {
        const key = failedPodsBackoffKey(ds, nodeName);
        if (failedPodsBackoff.inBackoff(key, now)) {
          const delay = failedPodsBackoff.get(key);
          plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? delay, delay);
          continue;
        }
        failedPodsBackoff.next(key, now);
        plan.events.push({ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${ns}/${podName(pod)} on node ${nodeName}, will try to kill it` });
        plan.podsToDelete.push(podName(pod));
      } else if (phase === 'Succeeded') {
        plan.events.push({ type: 'Normal', reason: 'SucceededDaemonPod', message: `Found succeeded daemon pod ${ns}/${podName(pod)} on node ${nodeName}, will try to delete it` });
        plan.podsToDelete.push(podName(pod));
      } else {
        running.push(pod);
      }
    }

    if (!allowsSurge(ds)) {
      // One pod per node: keep the preferred one. With none left, create on a later sync.
      for (const extra of sortPods(running).slice(1)) plan.podsToDelete.push(podName(extra));
      return;
    }
    if (running.length <= 1) {
      // Surging: replace a failed or terminating pod at once.
      if (running.length === 0 && shouldRun) plan.nodesNeedingPods.push(nodeName);
      return;
    }
    // At most the oldest pod of the current revision and the oldest of any other; the old one
    // goes once it is not ready or the new one is available.
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const pod of sortPods(running)) {
      if (pod.metadata?.labels?.[HASH_LABEL] === hash) {
        if (!oldestNew) {
          oldestNew = pod;
          continue;
        }
      } else if (!oldestOld) {
        oldestOld = pod;
        continue;
      }
      plan.podsToDelete.push(podName(pod));
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, now))) {
      plan.podsToDelete.push(podName(oldestOld));
    }
    return;
  }
  if (pods) {
    // The daemon must leave this node (an untolerated NoExecute taint, or it no longer matches).
    for (const pod of pods) if (!pod.metadata?.deletionTimestamp) plan.podsToDelete.push(podName(pod));
  }
}

/** manage: the plan for every node in the cache, plus unbound pods pinned to vanished nodes. */
export function planManage(input: ManageInput): ManagePlan {
  const plan: ManagePlan = { nodesNeedingPods: [], podsToDelete: [], events: [] };
  for (const placed of input.nodes) podsShouldBeOnNode(input, placed, plan);
  // The pod garbage collector only cleans up bound pods; unbound ones pinned to a vanished node
  // would stay Pending forever.
  const known = new Set(input.nodes.map((n) => n.name));
  for (const [nodeName, pods] of input.podsByNode) {
    if (known.has(nodeName)) continue;
    for (const pod of pods) if (!pod.spec?.nodeName) plan.podsToDelete.push(podName(pod));
  }
  return plan;
}
