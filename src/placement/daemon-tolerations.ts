// What the DaemonSet controller adds to every daemon pod: the automatic tolerations, and the
// node affinity that pins an (unbound) pod to its node; plus reading that pin back. Pure: every
// function returns new values and leaves its inputs alone.
import type { Affinity, NodeSelectorTerm, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { NodeTaintKey } from './taints.js';

/** Upstream treats tolerations with the same key, effect, operator and value as "the same". */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (
    (a.key ?? '') === (b.key ?? '') &&
    (a.effect ?? '') === (b.effect ?? '') &&
    (a.operator ?? '') === (b.operator ?? '') &&
    (a.value ?? '') === (b.value ?? '')
  );
}

function identicalToleration(a: Toleration, b: Toleration): boolean {
  return sameToleration(a, b) && (a.tolerationSeconds ?? null) === (b.tolerationSeconds ?? null);
}

/**
 * AddOrUpdateTolerationInPodSpec: if an identical toleration is met while walking the list, the
 * list stays as it was; otherwise every "same" toleration (see above) is replaced in place by
 * `toleration`, and if there was none it is appended.
 */
export function addOrUpdateToleration(tolerations: readonly Toleration[] | undefined, toleration: Toleration): Toleration[] {
  const result: Toleration[] = [];
  let replaced = false;
  for (const existing of tolerations ?? []) {
    if (!sameToleration(toleration, existing)) {
      result.push(existing);
      continue;
    }
    if (identicalToleration(toleration, existing)) return [...(tolerations ?? [])];
    result.push({ ...toleration });
    replaced = true;
  }
  if (!replaced) result.push({ ...toleration });
  return result;
}

/** The tolerations every daemon pod gets (network-unavailable only for hostNetwork pods). */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const tolerations: Toleration[] = [
    // Never evicted for node health: no tolerationSeconds.
    { key: NodeTaintKey.notReady, operator: 'Exists', effect: 'NoExecute' },
    { key: NodeTaintKey.unreachable, operator: 'Exists', effect: 'NoExecute' },
    { key: NodeTaintKey.diskPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: NodeTaintKey.memoryPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: NodeTaintKey.pidPressure, operator: 'Exists', effect: 'NoSchedule' },
    { key: NodeTaintKey.unschedulable, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) tolerations.push({ key: NodeTaintKey.networkUnavailable, operator: 'Exists', effect: 'NoSchedule' });
  return tolerations;
}

/** AddOrUpdateDaemonPodTolerations: the spec's tolerations with the automatic ones applied. */
export function daemonPodTolerations(spec: PodSpec | undefined): Toleration[] {
  let tolerations = [...(spec?.tolerations ?? [])];
  for (const t of daemonTolerations(spec?.hostNetwork === true)) tolerations = addOrUpdateToleration(tolerations, t);
  return tolerations;
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: the affinity with its required node affinity replaced
 * by the single term `matchFields metadata.name In [nodeName]`. Preferred node affinity and pod
 * (anti-)affinity are kept; every previous required term is dropped.
 */
export function nodeNameAffinity(affinity: Affinity | undefined, nodeName: string): Affinity {
  const pin: NodeSelectorTerm = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  const result: Affinity = affinity ? structuredClone(affinity) : {};
  const nodeAffinity = (result.nodeAffinity ??= {});
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    ...nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
    nodeSelectorTerms: [pin],
  };
  return result;
}

export type TargetNode = { nodeName: string } | { error: string };

/**
 * GetTargetNodeName: the node a daemon pod belongs to — `spec.nodeName` if bound, else the first
 * `matchFields metadata.name In` requirement of its required terms, which must have exactly one
 * value. Pods for which this fails are ignored by the controller.
 */
export function targetNodeName(pod: Pod): TargetNode {
  if (pod.spec?.nodeName) return { nodeName: pod.spec.nodeName };
  const who = `pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return { error: `${who} is not bound and has no required node affinity` };
  const terms = required.nodeSelectorTerms ?? [];
  if (terms.length === 0) return { error: `${who} has a required node affinity without terms` };
  for (const term of terms) {
    for (const r of term.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const values = r.values ?? [];
      if (values.length !== 1) return { error: `${who} names ${values.length} nodes in matchFields metadata.name In, not one` };
      return { nodeName: values[0]! };
    }
  }
  return { error: `${who} has no matchFields metadata.name In requirement` };
}
