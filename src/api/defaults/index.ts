// Defaulting as the upstream v1 defaulting functions do it: each function fills, in place, the
// fields a Kubernetes API server would fill before validation and storage.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type {
  Container,
  Namespace,
  Node,
  ObjectFieldSelector,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Volume,
} from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { KObject } from '../object.js';
import { formatQuantity, parseQuantity, roundUp } from '../validation/quantity.js';

/** What the image pull policy defaults to: Always for `:latest` or untagged images, else IfNotPresent. */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  const [name = '', digest] = (image ?? '').split('@');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  const repo = hasTag ? name.slice(0, colon) : name;
  // The first component is a registry host when it looks like one; the rest must be lower case.
  const slash = repo.indexOf('/');
  const host = slash > 0 ? repo.slice(0, slash) : '';
  const path = host && (/[.:A-Z]/.test(host) || host === 'localhost') ? repo.slice(slash + 1) : repo;
  // A reference that does not parse has no tag, which reads as IfNotPresent.
  if (!path || /[\sA-Z]/.test(path)) return 'IfNotPresent';
  const tag = hasTag ? name.slice(colon + 1) : '';
  if (!tag && !digest) return 'Always'; // no tag means :latest
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Quantities are rounded up to milli precision and stored in canonical form; invalid ones are left to validation. */
function defaultResourceList(list: Record<string, unknown> | undefined): void {
  for (const [name, raw] of Object.entries(list ?? {})) {
    try {
      list![name] = formatQuantity(roundUp(parseQuantity(raw as string | number), -3));
    } catch {
      // reported by validation
    }
  }
}

function defaultFieldRef(ref: ObjectFieldSelector | undefined): void {
  if (ref && !ref.apiVersion) ref.apiVersion = 'v1';
}

function defaultProbe(probe: Probe | undefined): void {
  if (!probe) return;
  probe.timeoutSeconds ||= 1;
  probe.periodSeconds ||= 10;
  probe.successThreshold ||= 1;
  probe.failureThreshold ||= 3;
  if (probe.httpGet) {
    probe.httpGet.path ||= '/';
    probe.httpGet.scheme ||= 'HTTP';
  }
}

function defaultContainer(c: Container): void {
  c.imagePullPolicy ||= defaultPullPolicy(c.image);
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  for (const port of c.ports ?? []) port.protocol ||= 'TCP';
  for (const env of c.env ?? []) defaultFieldRef(env.valueFrom?.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const handler of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (handler?.httpGet) {
      handler.httpGet.path ||= '/';
      handler.httpGet.scheme ||= 'HTTP';
    }
  }
  defaultResourceList(c.resources?.limits);
  defaultResourceList(c.resources?.requests);
}

const VOLUME_FILE_MODE = 0o644; // 420, the default mode of secret/configMap/downwardAPI/projected files

function defaultVolume(v: Volume): void {
  const fields = v as unknown as Record<string, unknown>;
  const hasSource = Object.keys(fields).some((k) => k !== 'name' && fields[k] !== undefined && fields[k] !== null);
  if (!hasSource) v.emptyDir = {};
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.secret) v.secret.defaultMode ??= VOLUME_FILE_MODE;
  if (v.configMap) v.configMap.defaultMode ??= VOLUME_FILE_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= VOLUME_FILE_MODE;
    for (const item of v.downwardAPI.items ?? []) defaultFieldRef(item.fieldRef);
  }
  if (v.projected) {
    v.projected.defaultMode ??= VOLUME_FILE_MODE;
    for (const source of v.projected.sources ?? []) {
      if (source.serviceAccountToken) source.serviceAccountToken.expirationSeconds ??= 3600;
      for (const item of source.downwardAPI?.items ?? []) defaultFieldRef(item.fieldRef);
    }
  }
}

/** PodSpec defaults shared by pods and pod templates (upstream SetDefaults_PodSpec and nested types). */
function defaultPodSpec(spec: PodSpec): void {
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...((spec.ephemeralContainers ?? []) as Container[])]) {
    defaultContainer(c);
  }
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

export function defaultPodTemplateSpec(template: PodTemplateSpec | undefined): void {
  if (!template) return;
  template.spec ??= {} as PodSpec;
  defaultPodSpec(template.spec);
}

// Only pods (not templates) get requests copied from limits, as upstream SetDefaults_Pod does.
function defaultRequestsFromLimits(res: ResourceRequirements | undefined): void {
  if (!res?.limits) return;
  res.requests ??= {};
  for (const [name, limit] of Object.entries(res.limits)) {
    if (!(name in res.requests)) res.requests[name] = limit;
  }
}

/**
 * Pod defaults. priority and preemptionPolicy are left to the priority admission step, which
 * takes both from the PriorityClass (defaulting preemptionPolicy here would hide a class's Never).
 */
export function defaultPod(obj: KObject): void {
  const pod = obj as unknown as Pod;
  const spec = (pod.spec ??= {} as PodSpec);
  defaultPodSpec(spec);
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) defaultRequestsFromLimits(c.resources);
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const port of c.ports ?? []) port.hostPort ||= port.containerPort;
    }
  }
}

/** DaemonSet defaults (daemonset-semantics §1.2): strategy, surge/unavailable (RollingUpdate only), history limit. */
export function defaultDaemonSet(obj: KObject): void {
  const ds = obj as unknown as DaemonSet;
  const spec = (ds.spec ??= {} as NonNullable<DaemonSet['spec']>);
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  // The template is a struct upstream, so its defaults apply even when the request left it out.
  defaultPodTemplateSpec((spec.template ??= {}));
}

/** Namespace defaults applied on every write: the name label and an Active phase. */
export function defaultNamespace(obj: KObject): void {
  const ns = obj as unknown as Namespace;
  const meta = ns.metadata;
  if (meta?.name) {
    meta.labels ??= {};
    meta.labels['kubernetes.io/metadata.name'] = meta.name;
  }
  ns.status ??= {};
  ns.status.phase ||= 'Active';
}

/**
 * Create-only namespace preparation (upstream PrepareForCreate): status reset to Active and the
 * `kubernetes` finalizer ensured. Not part of defaultNamespace because the finalizer is later
 * removed through `finalize` and must not come back on updates.
 */
export function prepareNamespaceForCreate(obj: KObject): void {
  const ns = obj as unknown as Namespace;
  ns.status = { phase: 'Active' };
  ns.spec ??= {};
  const finalizers = (ns.spec.finalizers ??= []);
  if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
}

/** Node defaults: allocatable mirrors capacity when not reported. */
export function defaultNode(obj: KObject): void {
  const node = obj as unknown as Node;
  if (node.status?.capacity && !node.status.allocatable) node.status.allocatable = { ...node.status.capacity };
}

export function defaultPriorityClass(obj: KObject): void {
  const pc = obj as unknown as PriorityClass;
  pc.preemptionPolicy ??= 'PreemptLowerPriority';
}
