// Daemon pods: what a new one looks like, which ones are "updated", ready and available, the
// order in which they are preferred, and how they are grouped by the node they belong to. Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { clone } from '../../api/object.js';
import { TEMPLATE_GENERATION_ANNOTATION } from '../../api/resources.js';
import { daemonPodTolerations, nodeNameAffinity, targetNodeName } from '../../placement/index.js';
import { controllerRefTo } from './ownership.js';

export const HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** The DaemonSet's template generation from its annotation; undefined if absent or not an integer. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const raw = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (raw === undefined || !/^[+-]?\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** IsPodUpdated: the pod carries the current hash, or the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  const hashMatches = hash.length > 0 && labels[HASH_LABEL] === hash;
  const generationMatches = generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
  return hashMatches || generationMatches;
}

function readyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Ready, and (with minReadySeconds) Ready since strictly more than minReadySeconds before `now`. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  if (!ready.lastTransitionTime) return false;
  return Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 < now.getTime();
}

/** podByCreationTimestampAndPhase: bound pods first, then older first, then by name. */
export function comparePods(a: Pod, b: Pod): number {
  const boundA = !!a.spec?.nodeName;
  const boundB = !!b.spec?.nodeName;
  if (boundA !== boundB) return boundA ? -1 : 1;
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return Date.parse(ta) - Date.parse(tb) || (ta < tb ? -1 : 1);
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export function sortPods(pods: readonly Pod[]): Pod[] {
  return [...pods].sort(comparePods);
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * getNodesToDaemonPods: claimed pods grouped by target node (spec.nodeName, else the injected
 * matchFields pin). Pods without a target are left out; so are terminal pods already being
 * deleted, unless `includeDeletedTerminal` (history cleanup wants their hashes).
 */
export function groupByNode(pods: Iterable<Pod>, includeDeletedTerminal = false): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (!includeDeletedTerminal && pod.metadata?.deletionTimestamp && isTerminal(pod)) continue;
    const target = targetNodeName(pod);
    if (!('nodeName' in target)) continue;
    const list = byNode.get(target.nodeName);
    if (list) list.push(pod);
    else byNode.set(target.nodeName, [pod]);
  }
  return byNode;
}

/**
 * CreatePodTemplate: the DaemonSet's template with the automatic tolerations and the
 * `pod-template-generation` and `controller-revision-hash` labels.
 */
export function daemonPodTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const template = clone(ds.spec?.template ?? {}) as PodTemplateSpec;
  const spec = (template.spec ??= { containers: [] });
  spec.tolerations = daemonPodTolerations(spec);
  const metadata = (template.metadata ??= {});
  const labels: Record<string, string> = { ...metadata.labels };
  const generation = templateGeneration(ds);
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[HASH_LABEL] = hash;
  metadata.labels = labels;
  return template;
}

/** Longest prefix the API server accepts for generateName (a DNS subdomain of ≤ 253 characters). */
const MAX_GENERATE_NAME = 253;

/**
 * The pod the controller creates for one node: unbound (the scheduler binds it through the
 * injected `metadata.name` node affinity), owned by the DaemonSet, named `<ds>-<random>`.
 */
export function newDaemonPod(ds: DaemonSet, template: PodTemplateSpec, nodeName: string): Pod {
  const name = ds.metadata?.name ?? '';
  const meta = template.metadata ?? {};
  const spec = clone(template.spec ?? { containers: [] });
  spec.affinity = nodeNameAffinity(spec.affinity, nodeName);
  const metadata: Pod['metadata'] & object = {
    generateName: name.length + 1 <= MAX_GENERATE_NAME ? `${name}-` : name,
    namespace: ds.metadata?.namespace,
    labels: { ...meta.labels },
    ownerReferences: [controllerRefTo(ds)],
  };
  if (meta.annotations) metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) metadata.finalizers = [...meta.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}
