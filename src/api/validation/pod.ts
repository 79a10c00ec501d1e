// Pod, PodSpec and PodTemplateSpec validation: the rules (and texts) of upstream's core
// validation that matter for pods and DaemonSet templates.
import type {
  Affinity,
  Container,
  ContainerPort,
  EnvVar,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PodAffinityTerm,
  PodSpec,
  PodTemplateSpec,
  ResourceRequirements,
  Toleration,
  Volume,
  VolumeMount,
  WeightedPodAffinityTerm,
} from 'kubernetes-types/core/v1.js';
import { isPlainObject, jsonEqual, type KObject } from '../object.js';
import { FieldPath, duplicate, forbidden, formatValue, invalid, notSupported, required, type FieldError } from './field-errors.js';
import {
  NEGATIVE_ERROR,
  invalidRendered,
  validateAnnotations,
  validateLabelSelector,
  validateLabels,
  validateObjectMetaCreate,
  validateObjectMetaUpdate,
} from './meta.js';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, nameIsDNSSubdomain } from './names.js';
import { compareQuantities, formatQuantity, isInteger, parseQuantity, type Quantity } from './quantity.js';

const MAX_INT32 = 2147483647;
const MAX_ID = 4294967295;

function notFound(field: FieldPath, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field: String(field), message: `Not found: ${formatValue(value)}` };
}

const eachMsg = (msgs: string[], field: FieldPath, value: unknown): FieldError[] => msgs.map((m) => invalid(field, value, m));

// ---- volumes -------------------------------------------------------------------------------

// Volume source fields in upstream's checking order; the path in the "more than 1" error keeps
// upstream's spelling (cephFS, downwarAPI).
const VOLUME_SOURCES: [field: string, errorPath: string][] = [
  ['emptyDir', 'emptyDir'], ['hostPath', 'hostPath'], ['gitRepo', 'gitRepo'], ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'], ['secret', 'secret'], ['nfs', 'nfs'], ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'], ['flocker', 'flocker'], ['persistentVolumeClaim', 'persistentVolumeClaim'], ['rbd', 'rbd'],
  ['cinder', 'cinder'], ['cephfs', 'cephFS'], ['quobyte', 'quobyte'], ['downwardAPI', 'downwarAPI'], ['fc', 'fc'],
  ['flexVolume', 'flexVolume'], ['configMap', 'configMap'], ['azureFile', 'azureFile'], ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'], ['portworxVolume', 'portworxVolume'], ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'], ['projected', 'projected'], ['scaleIO', 'scaleIO'], ['csi', 'csi'], ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function noBacksteps(p: string, path: FieldPath): FieldError[] {
  return p.split('/').includes('..') ? [invalid(path, p, "must not contain '..'")] : [];
}

function validateVolumeSource(vol: Volume, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const src = vol as unknown as Record<string, unknown>;
  let count = 0;
  for (const [key, errorPath] of VOLUME_SOURCES) {
    if (src[key] === undefined || src[key] === null) continue;
    if (count > 0) {
      errs.push(forbidden(path.child(errorPath), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const p = path.child(key);
    if (key === 'hostPath') {
      const hp = vol.hostPath!;
      if (!hp.path) errs.push(required(p.child('path')));
      else {
        errs.push(...noBacksteps(hp.path, p.child('path')));
        if (hp.type !== undefined && hp.type !== null && !HOST_PATH_TYPES.includes(hp.type)) {
          errs.push(notSupported(p.child('type'), hp.type, HOST_PATH_TYPES));
        }
      }
    } else if (key === 'secret' && !vol.secret!.secretName) errs.push(required(p.child('secretName')));
    else if (key === 'configMap' && !vol.configMap!.name) errs.push(required(p.child('name')));
    else if (key === 'persistentVolumeClaim' && !vol.persistentVolumeClaim!.claimName) errs.push(required(p.child('claimName')));
  }
  if (count === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

/** Returns the errors and the names of the volumes that validated (mounts may only use those). */
function validateVolumes(volumes: Volume[] | undefined, path: FieldPath): [FieldError[], Set<string>] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((vol, i) => {
    const namePath = path.index(i).child('name');
    const el = validateVolumeSource(vol, path.index(i));
    if (!vol.name) el.push(required(namePath));
    else el.push(...eachMsg(isDNS1123Label(vol.name), namePath, vol.name));
    if (names.has(vol.name)) el.push(duplicate(namePath, vol.name));
    if (el.length === 0) names.add(vol.name);
    else errs.push(...el);
  });
  return [errs, names];
}

// ---- containers ----------------------------------------------------------------------------

function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

const portNumErrors = (n: number): string[] => (n >= 1 && n <= 65535 ? [] : [inclusiveRangeError(1, 65535)]);

function validatePorts(ports: ContainerPort[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = path.index(i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length > 0) errs.push(...eachMsg(msgs, p.child('name'), port.name));
      else if (names.has(port.name)) errs.push(duplicate(p.child('name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(p.child('containerPort')));
    else errs.push(...eachMsg(portNumErrors(port.containerPort), p.child('containerPort'), port.containerPort));
    if (port.hostPort) errs.push(...eachMsg(portNumErrors(port.hostPort), p.child('hostPort'), port.hostPort));
    if (!port.protocol) errs.push(required(p.child('protocol')));
    else if (!['SCTP', 'TCP', 'UDP'].includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol, ['SCTP', 'TCP', 'UDP']));
  });
  return errs;
}

function validateEnv(env: EnvVar[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((ev, i) => {
    const p = path.index(i);
    if (!ev.name) errs.push(required(p.child('name')));
    else if (/[^\x20-\x7e]|=/.test(ev.name)) {
      errs.push(invalid(p.child('name'), ev.name, "a valid environment variable name must consist only of printable ASCII characters other than '='"));
    }
    if (ev.valueFrom) {
      const from = ev.valueFrom;
      const sources = [from.fieldRef, from.resourceFieldRef, from.configMapKeyRef, from.secretKeyRef].filter((s) => s).length;
      const vp = p.child('valueFrom');
      if (sources === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (ev.value) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
      else if (sources > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
      if (from.fieldRef && !from.fieldRef.fieldPath) errs.push(required(vp.child('fieldRef').child('fieldPath')));
    }
  });
  return errs;
}

function validateVolumeMounts(mounts: VolumeMount[] | undefined, volumes: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mountPaths = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = path.index(i);
    if (!m.name) errs.push(required(p.child('name')));
    if (!volumes.has(m.name)) errs.push(notFound(p.child('name'), m.name ?? ''));
    if (!m.mountPath) errs.push(required(p.child('mountPath')));
    if (mountPaths.has(m.mountPath)) errs.push(invalid(p.child('mountPath'), m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
    if (m.subPath) {
      // Upstream reports subPath problems on the list path, without the index.
      if (m.subPath.startsWith('/')) errs.push(invalid(path.child('subPath'), m.subPath, 'must be a relative path'));
      errs.push(...noBacksteps(m.subPath, path.child('subPath')));
    }
  });
  return errs;
}

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'storage', 'ephemeral-storage', 'pods', 'services', 'replicationcontrollers',
  'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);
const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
// Only native, non-hugepage resources may be requested below their limit.
const overcommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);

function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = eachMsg(isQualifiedName(name), path, name);
  if (errs.length > 0) return errs;
  if (!name.includes('/')) {
    const standard = STANDARD_RESOURCES.has(name) || isHugePages(name) || /^(requests|limits)\./.test(name);
    if (!standard) errs.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
    if (!['cpu', 'memory', 'ephemeral-storage'].includes(name) && !isHugePages(name)) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNative(name) && (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length > 0)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Parses each quantity of a resource list, reporting names and values that are not valid. */
function validateResourceList(list: Record<string, unknown> | undefined, path: FieldPath, errs: FieldError[]): Map<string, Quantity> {
  const parsed = new Map<string, Quantity>();
  for (const [name, raw] of Object.entries(list ?? {})) {
    const p = path.key(name);
    errs.push(...validateResourceName(name, p));
    let q: Quantity;
    try {
      q = parseQuantity(raw as string | number);
    } catch (e) {
      errs.push(invalid(p, raw, (e as Error).message));
      continue;
    }
    if (q.mantissa < 0n) errs.push(invalid(p, formatQuantity(q), NEGATIVE_ERROR));
    if (!isNative(name) && !isInteger(q)) errs.push(invalidRendered(p, formatQuantity(q), 'must be an integer'));
    parsed.set(name, q);
  }
  return parsed;
}

function validateResources(res: ResourceRequirements | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = validateResourceList(res?.limits, limPath, errs);
  const requests = validateResourceList(res?.requests, reqPath, errs);
  for (const [name, q] of requests) {
    const limit = limits.get(name);
    if (limit) {
      const cmp = compareQuantities(q, limit);
      if (cmp !== 0 && !overcommitAllowed(name)) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be equal to ${name} limit of ${formatQuantity(limit)}`));
      } else if (cmp > 0) {
        errs.push(invalid(reqPath, formatQuantity(q), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
      }
    } else if (!overcommitAllowed(name) && !res?.limits?.[name]) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  const names = [...limits.keys(), ...requests.keys()];
  if (names.some(isHugePages) && !names.some((n) => n === 'cpu' || n === 'memory')) {
    errs.push(forbidden(path, 'HugePages require cpu or memory'));
  }
  return errs;
}

function validateIds(sc: Record<string, unknown> | undefined, path: FieldPath, fields: string[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) {
    const v = sc?.[f];
    if (typeof v === 'number' && (v < 0 || v > MAX_ID)) errs.push(invalid(path.child(f), v, inclusiveRangeError(0, MAX_ID)));
  }
  return errs;
}

function validateContainerCommon(c: Container, volumes: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(path.child('name')));
  else errs.push(...eachMsg(isDNS1123Label(c.name), path.child('name'), c.name));
  if (!c.image) errs.push(required(path.child('image')));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(required(path.child('terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(notSupported(path.child('terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validatePorts(c.ports, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, path.child('volumeMounts')));
  const pull = c.imagePullPolicy;
  if (!pull) errs.push(required(path.child('imagePullPolicy')));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(pull)) {
    errs.push(notSupported(path.child('imagePullPolicy'), pull, ['Always', 'IfNotPresent', 'Never']));
  }
  errs.push(...validateResources(c.resources, path.child('resources')));
  const sc = c.securityContext;
  if (sc) {
    const scPath = path.child('securityContext');
    errs.push(...validateIds(sc as Record<string, unknown>, scPath, ['runAsUser', 'runAsGroup']));
    if (sc.allowPrivilegeEscalation === false && sc.privileged === true) {
      errs.push(invalid(scPath, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    }
  }
  return errs;
}

/** Host ports may not collide (same protocol, host IP and port) within one list of containers. */
function hostPortConflicts(containers: Container[], path: FieldPath): FieldError[] {
  const seen = new Set<string>();
  const errs: FieldError[] = [];
  containers.forEach((c, ci) =>
    (c.ports ?? []).forEach((p, pi) => {
      if (!p.hostPort) return;
      const key = `${p.protocol ?? ''}/${p.hostIP ?? ''}/${p.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      seen.add(key);
    }),
  );
  return errs;
}

function validateContainers(containers: Container[] | undefined, volumes: Set<string>, path: FieldPath): FieldError[] {
  if (!containers || containers.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    errs.push(...validateContainerCommon(c, volumes, path.index(i)));
    if (names.has(c.name)) errs.push(duplicate(path.index(i).child('name'), c.name));
    else names.add(c.name);
    if (c.restartPolicy !== undefined) errs.push(forbidden(path.index(i).child('restartPolicy'), 'may not be set for non-init containers'));
  });
  return [...errs, ...hostPortConflicts(containers, path)];
}

function validateInitContainers(inits: Container[] | undefined, regular: Container[] | undefined, volumes: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set((regular ?? []).map((c) => c.name));
  (inits ?? []).forEach((c, i) => {
    const p = path.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
      errs.push(notSupported(p.child('restartPolicy'), c.restartPolicy, ['Always']));
    }
    if (names.has(c.name)) errs.push(duplicate(p.child('name'), c.name));
    else if (c.name) names.add(c.name);
    errs.push(...hostPortConflicts([c], path));
    if (c.restartPolicy !== 'Always') {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[f]) errs.push(forbidden(p.child(f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

// ---- scheduling ----------------------------------------------------------------------------

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaintEffect(effect: string | undefined, allowEmpty: boolean, path: FieldPath): FieldError[] {
  if (!allowEmpty && !effect) return [required(path)];
  return TAINT_EFFECTS.includes(effect ?? '') ? [] : [notSupported(path, effect ?? '', TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: Toleration[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = path.index(i);
    if (t.key) errs.push(...eachMsg(isQualifiedName(t.key), p.child('key'), t.key));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(p.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(invalid(p.child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (!t.operator || t.operator === 'Equal') {
      const msgs = isValidLabelValue(t.value ?? '');
      if (msgs.length > 0) errs.push(invalid(p.child('operator'), t.value ?? '', msgs.join(';')));
    } else if (t.operator === 'Exists') {
      if (t.value) errs.push(invalid(p.child('operator'), t.value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(p.child('operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...validateTaintEffect(t.effect, true, p.child('effect')));
  });
  return errs;
}

function validateNodeSelectorRequirement(r: NodeSelectorRequirement, strictValues: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(required(path.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(path.child('operator'), r.operator ?? '', 'not a valid selector operator'));
  }
  errs.push(...eachMsg(isQualifiedName(r.key ?? ''), path.child('key'), r.key ?? ''));
  if (strictValues) values.forEach((v, i) => errs.push(...eachMsg(isValidLabelValue(v), path.child('values').index(i), v)));
  return errs;
}

function validateNodeFieldRequirement(r: NodeSelectorRequirement, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (r.operator === 'In' || r.operator === 'NotIn') {
    if ((r.values ?? []).length !== 1) {
      errs.push(required(path.child('values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    }
  } else {
    errs.push(invalid(path.child('operator'), r.operator ?? '', 'not a valid selector operator'));
  }
  if (r.key !== 'metadata.name') errs.push(invalid(path.child('key'), r.key ?? '', 'not a valid field selector key'));
  else (r.values ?? []).forEach((v, i) => errs.push(...eachMsg(isDNS1123Subdomain(v), path.child('values').index(i), v)));
  return errs;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, strictValues: boolean, path: FieldPath): FieldError[] {
  return [
    ...(term.matchExpressions ?? []).flatMap((r, j) => validateNodeSelectorRequirement(r, strictValues, path.child('matchExpressions').index(j))),
    ...(term.matchFields ?? []).flatMap((r, j) => validateNodeFieldRequirement(r, path.child('matchFields').index(j))),
  ];
}

function validateNodeSelector(sel: NodeSelector, path: FieldPath): FieldError[] {
  const termsPath = path.child('nodeSelectorTerms');
  if (!sel.nodeSelectorTerms || sel.nodeSelectorTerms.length === 0) {
    return [required(termsPath, 'must have at least one node selector term')];
  }
  return sel.nodeSelectorTerms.flatMap((t, i) => validateNodeSelectorTerm(t, true, termsPath.index(i)));
}

const weightError = (w: number | undefined, path: FieldPath): FieldError[] =>
  typeof w === 'number' && w >= 1 && w <= 100 ? [] : [invalid(path, w ?? 0, 'must be in the range 1-100')];

function validatePodAffinityTerm(t: PodAffinityTerm, path: FieldPath): FieldError[] {
  const errs = validateLabelSelector(t.labelSelector, path.child('labelSelector'));
  errs.push(...validateLabelSelector(t.namespaceSelector, path.child('namespaceSelector')));
  if (!t.topologyKey) errs.push(required(path.child('topologyKey'), 'can not be empty'));
  errs.push(...eachMsg(isQualifiedName(t.topologyKey ?? ''), path.child('topologyKey'), t.topologyKey ?? ''));
  return errs;
}

function validatePodAffinityRules(
  rules: { requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[]; preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[] },
  path: FieldPath,
): FieldError[] {
  const req = path.child('requiredDuringSchedulingIgnoredDuringExecution');
  const pref = path.child('preferredDuringSchedulingIgnoredDuringExecution');
  return [
    ...(rules.requiredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((t, i) => validatePodAffinityTerm(t, req.index(i))),
    ...(rules.preferredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((w, i) => [
      ...weightError(w.weight, pref.index(i).child('weight')),
      ...validatePodAffinityTerm(w.podAffinityTerm ?? ({} as PodAffinityTerm), pref.index(i).child('podAffinityTerm')),
    ]),
  ];
}

function validateAffinity(a: Affinity | undefined, path: FieldPath): FieldError[] {
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = a.nodeAffinity;
  if (na) {
    const p = path.child('nodeAffinity');
    if (na.requiredDuringSchedulingIgnoredDuringExecution) {
      errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, p.child('requiredDuringSchedulingIgnoredDuringExecution')));
    }
    const pref = p.child('preferredDuringSchedulingIgnoredDuringExecution');
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      errs.push(...weightError(t.weight, pref.index(i).child('weight')));
      // Preferred terms tolerate bad label values: they can still succeed on a one-node cluster.
      errs.push(...validateNodeSelectorTerm(t.preference ?? {}, false, pref.index(i).child('preference')));
    });
  }
  if (a.podAffinity) errs.push(...validatePodAffinityRules(a.podAffinity, path.child('podAffinity')));
  if (a.podAntiAffinity) errs.push(...validatePodAffinityRules(a.podAntiAffinity, path.child('podAntiAffinity')));
  return errs;
}

// ---- pod spec ------------------------------------------------------------------------------

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
export const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

/** A required enum: Required when empty, NotSupported when unknown. */
function oneOf(value: string | undefined, allowed: string[], path: FieldPath): FieldError[] {
  if (!value) return [required(path)];
  return allowed.includes(value) ? [] : [notSupported(path, value, allowed)];
}

const dnsSubdomainField = (v: string | undefined, path: FieldPath): FieldError[] => (v ? eachMsg(isDNS1123Subdomain(v), path, v) : []);

/** PodSpec as in a Pod (`isPod`) or embedded in a template (a few checks are pod-only). */
export function validatePodSpec(spec: PodSpec | undefined, path: FieldPath, isPod: boolean): FieldError[] {
  const s = spec ?? ({} as PodSpec);
  const errs: FieldError[] = [];
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    errs.push(required(path.child('terminationGracePeriodSeconds')));
  }
  const [volErrs, volumes] = validateVolumes(s.volumes, path.child('volumes'));
  errs.push(...volErrs);
  errs.push(...validateContainers(s.containers, volumes, path.child('containers')));
  errs.push(...validateInitContainers(s.initContainers, s.containers, volumes, path.child('initContainers')));
  if (s.hostNetwork) {
    // With host networking the host port is the container port; templates may leave it 0 (defaulted on the pod).
    (s.containers ?? []).forEach((c, i) =>
      (c.ports ?? []).forEach((p, j) => {
        const hp = p.hostPort ?? 0;
        if ((isPod || hp !== 0) && hp !== p.containerPort) {
          errs.push(invalid(path.child('containers').index(i).child('ports').index(j).child('hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      }),
    );
  }
  errs.push(...oneOf(s.restartPolicy, RESTART_POLICIES, path.child('restartPolicy')));
  errs.push(...oneOf(s.dnsPolicy, DNS_POLICIES, path.child('dnsPolicy')));
  errs.push(...validateLabels(s.nodeSelector, path.child('nodeSelector')));
  if (s.securityContext) {
    const scPath = path.child('securityContext');
    errs.push(...validateIds(s.securityContext as Record<string, unknown>, scPath, ['fsGroup', 'runAsUser', 'runAsGroup']));
    (s.securityContext.supplementalGroups ?? []).forEach((g, i) => {
      if (g < 0 || g > MAX_ID) errs.push(invalid(scPath.child('supplementalGroups').index(i), g, inclusiveRangeError(0, MAX_ID)));
    });
  }
  errs.push(...validateAffinity(s.affinity, path.child('affinity')));
  if (s.dnsPolicy === 'None') {
    if (!s.dnsConfig) errs.push(required(path.child('dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
    else if (!s.dnsConfig.nameservers?.length) {
      errs.push(required(path.child('dnsConfig').child('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
    }
  }
  errs.push(...dnsSubdomainField(s.serviceAccountName, path.child('serviceAccountName')));
  errs.push(...dnsSubdomainField(s.nodeName, path.child('nodeName')));
  const ads = s.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null && (ads < 1 || ads > MAX_INT32)) {
    errs.push(invalid(path.child('activeDeadlineSeconds'), ads, inclusiveRangeError(1, MAX_INT32)));
  }
  if (s.hostname) errs.push(...eachMsg(isDNS1123Label(s.hostname), path.child('hostname'), s.hostname));
  if (s.subdomain) errs.push(...eachMsg(isDNS1123Label(s.subdomain), path.child('subdomain'), s.subdomain));
  errs.push(...validateTolerations(s.tolerations, path.child('tolerations')));
  errs.push(...dnsSubdomainField(s.priorityClassName, path.child('priorityClassName')));
  if (s.runtimeClassName !== undefined && s.runtimeClassName !== null) {
    errs.push(...eachMsg(isDNS1123Subdomain(s.runtimeClassName), path.child('runtimeClassName'), s.runtimeClassName));
  }
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null) {
    errs.push(...oneOf(s.preemptionPolicy, PREEMPTION_POLICIES, path.child('preemptionPolicy')));
  }
  return errs;
}

export function validatePodTemplateSpec(template: PodTemplateSpec | undefined, path: FieldPath): FieldError[] {
  const t = template ?? {};
  // Upstream reports template labels/annotations at `<path>.labels`, not `<path>.metadata.labels`.
  const errs = [
    ...validateLabels(t.metadata?.labels, path.child('labels')),
    ...validateAnnotations(t.metadata?.annotations, path.child('annotations')),
    ...validatePodSpec(t.spec, path.child('spec'), false),
  ];
  if (t.spec?.ephemeralContainers?.length) {
    errs.push(forbidden(path.child('spec').child('ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

// ---- pods ----------------------------------------------------------------------------------

const specPath = FieldPath.root('spec');

function imageWhitespace(containers: Container[] | undefined, path: FieldPath): FieldError[] {
  return (containers ?? []).flatMap((c, i) =>
    c.image !== undefined && c.image !== c.image.trim() ? [invalid(path.index(i).child('image'), c.image, 'must not have leading or trailing whitespace')] : [],
  );
}

function validatePodMetadataAndSpec(pod: Pod): FieldError[] {
  return [
    ...validateObjectMetaCreate(pod.metadata, { namespaced: true, nameRule: nameIsDNSSubdomain }),
    ...validatePodSpec(pod.spec, specPath, true),
    ...imageWhitespace(pod.spec?.containers, specPath.child('containers')),
    ...imageWhitespace(pod.spec?.initContainers, specPath.child('initContainers')),
  ];
}

export function validatePodCreate(obj: KObject): FieldError[] {
  const pod = obj as unknown as Pod;
  const errs = validatePodMetadataAndSpec(pod);
  if (pod.spec?.ephemeralContainers?.length) errs.push(forbidden(specPath.child('ephemeralContainers'), 'cannot be set on create'));
  if (pod.spec?.nodeName && pod.spec.schedulingGates?.length) {
    errs.push(forbidden(specPath.child('nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

const UPDATABLE_POD_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
].join(',');

/** A short cmp.Diff-like listing of the top-level spec fields that differ. */
function specDiff(oldSpec: Record<string, unknown>, newSpec: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const goName = (k: string): string => k[0]!.toUpperCase() + k.slice(1);
  const lines = keys
    .filter((k) => !jsonEqual(oldSpec[k] ?? null, newSpec[k] ?? null))
    .flatMap((k) => [`- \t${goName(k)}: ${JSON.stringify(oldSpec[k] ?? null)},`, `+ \t${goName(k)}: ${JSON.stringify(newSpec[k] ?? null)},`]);
  return ['  core.PodSpec{', ...lines, '  }', ''].join('\n');
}

function containerUpdates(next: Container[] | undefined, prev: Container[] | undefined, path: FieldPath): [FieldError[], boolean] {
  if ((next ?? []).length !== (prev ?? []).length) return [[forbidden(path, 'pod updates may not add or remove containers')], true];
  const errs = (next ?? []).flatMap((c, i) => (c.image ? [] : [required(path.index(i).child('image'))]));
  return [[...errs, ...imageWhitespace(next, path)], false];
}

const tolerationIdentity = (t: Toleration): Toleration => ({ ...t, tolerationSeconds: undefined });

export function validatePodUpdate(obj: KObject, oldObj: KObject): FieldError[] {
  const pod = obj as unknown as Pod;
  const old = oldObj as unknown as Pod;
  const spec = pod.spec ?? ({} as PodSpec);
  const oldSpec = old.spec ?? ({} as PodSpec);
  const errs = [...validateObjectMetaUpdate(pod.metadata, old.metadata), ...validatePodMetadataAndSpec(pod)];

  for (const list of ['containers', 'initContainers'] as const) {
    const [cErrs, stop] = containerUpdates(spec[list], oldSpec[list], specPath.child(list));
    errs.push(...cErrs);
    if (stop) return errs;
  }

  const adsPath = specPath.child('activeDeadlineSeconds');
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (ads < 0 || ads > MAX_INT32) return [...errs, invalid(adsPath, ads, inclusiveRangeError(0, MAX_INT32))];
    const oldAds = oldSpec.activeDeadlineSeconds;
    if (oldAds !== undefined && oldAds !== null && oldAds < ads) return [...errs, invalid(adsPath, ads, 'must be less than or equal to previous value')];
  } else if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null) {
    errs.push(invalidRendered(adsPath, 'null', 'must not update from a positive integer to nil value'));
  }

  const tolPath = specPath.child('tolerations');
  const kept = (oldSpec.tolerations ?? []).every((o) => (spec.tolerations ?? []).some((n) => jsonEqual(tolerationIdentity(o), tolerationIdentity(n))));
  if (!kept) errs.push(forbidden(tolPath, 'existing toleration can not be modified except its tolerationSeconds'));
  else errs.push(...validateTolerations(spec.tolerations, tolPath));

  // Put back what may change, then anything still different is forbidden.
  const munged: PodSpec = {
    ...spec,
    activeDeadlineSeconds: oldSpec.activeDeadlineSeconds,
    tolerations: oldSpec.tolerations,
    schedulingGates: oldSpec.schedulingGates,
  };
  for (const list of ['containers', 'initContainers'] as const) {
    const next = spec[list];
    if (next) munged[list] = next.map((c, i) => ({ ...c, image: oldSpec[list]?.[i]?.image })) as Container[];
  }
  if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (!jsonEqual(munged, oldSpec)) {
    const diff = specDiff(oldSpec as unknown as Record<string, unknown>, munged as unknown as Record<string, unknown>);
    errs.push(forbidden(specPath, `pod updates may not change fields other than ${UPDATABLE_POD_FIELDS}\n${diff}`));
  }
  return errs;
}

/** Status writes (kubelet, scheduler): metadata rules, and the node binding cannot move. */
export function validatePodStatusUpdate(obj: KObject, oldObj: KObject): FieldError[] {
  const errs = validateObjectMetaUpdate(obj.metadata, oldObj.metadata);
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const oldSpec = isPlainObject(oldObj.spec) ? oldObj.spec : {};
  if ((spec.nodeName ?? '') !== (oldSpec.nodeName ?? '')) errs.push(forbidden('status.nodeName', 'may not be changed directly'));
  return errs;
}
