// Per-kind create/update validation, ready to wire into registry entries. Each function takes the
// (already defaulted) object and returns every FieldError, in upstream's order and wording.
import { isIP } from 'node:net';
import type { DaemonSet, DaemonSetUpdateStrategy } from 'kubernetes-types/apps/v1.js';
import type { Event, Namespace, Node, Taint } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { jsonEqual, type KObject } from '../object.js';
import { FieldPath, duplicate, forbidden, invalid, notSupported, required, type FieldError } from './field-errors.js';
import {
  FIELD_IMMUTABLE,
  NEGATIVE_ERROR,
  goLabelSelector,
  goStringMap,
  goTime,
  invalidRendered,
  selectorMatchesLabels,
  nonNegative,
  validateFinalizerName,
  validateLabelSelector,
  validateObjectMetaCreate,
  validateObjectMetaUpdate,
} from './meta.js';
import { isDNS1123Subdomain, isQualifiedName, isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain, regexError } from './names.js';
import { PREEMPTION_POLICIES, validatePodTemplateSpec, validateTaintEffect } from './pod.js';

export { validatePodCreate, validatePodStatusUpdate, validatePodUpdate } from './pod.js';

const path = FieldPath.root;
const clusterScoped = (nameRule = nameIsDNSSubdomain) => ({ namespaced: false, nameRule });
const namespaced = { namespaced: true, nameRule: nameIsDNSSubdomain };

// ---- Namespace -----------------------------------------------------------------------------

export function validateNamespaceCreate(obj: KObject): FieldError[] {
  const ns = obj as unknown as Namespace;
  return [
    ...validateObjectMetaCreate(ns.metadata, clusterScoped(nameIsDNSLabel)),
    ...(ns.spec?.finalizers ?? []).flatMap((f) => validateFinalizerName(f, path('spec').child('finalizers'))),
  ];
}

export function validateNamespaceUpdate(obj: KObject, old: KObject): FieldError[] {
  return validateObjectMetaUpdate(obj.metadata, old.metadata);
}

/** The `finalize` subresource: the only way to change spec.finalizers. */
export function validateNamespaceFinalizeUpdate(obj: KObject, old: KObject): FieldError[] {
  const finalizersPath = path('spec').child('finalizers');
  const finalizers = (obj as unknown as Namespace).spec?.finalizers ?? [];
  return [
    ...validateObjectMetaUpdate(obj.metadata, old.metadata),
    ...finalizers.flatMap((f, i) => validateFinalizerName(f, finalizersPath.index(i))),
  ];
}

export function validateNamespaceStatusUpdate(obj: KObject, old: KObject): FieldError[] {
  const ns = obj as unknown as Namespace;
  const errs = validateObjectMetaUpdate(obj.metadata, old.metadata);
  const phase = ns.status?.phase ?? '';
  // Upstream spells this path with a capital P.
  if (!ns.metadata?.deletionTimestamp && phase !== 'Active') {
    errs.push(invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (ns.metadata?.deletionTimestamp && phase !== 'Terminating') {
    errs.push(invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

// ---- Node ----------------------------------------------------------------------------------

const goTaint = (t: Taint): string =>
  `core.Taint{Key:${JSON.stringify(t.key ?? '')}, Value:${JSON.stringify(t.value ?? '')}, Effect:${JSON.stringify(t.effect ?? '')}, ` +
  `TimeAdded:${t.timeAdded ? `&v1.Time{${goTime(t.timeAdded)}}` : '(*v1.Time)(nil)'}}`;

// Upstream validates node taints under `metadata.taints`, not `spec.taints`; kept for identical output.
const TAINTS_PATH = path('metadata').child('taints');

function validateTaints(taints: Taint[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (taints ?? []).forEach((t, i) => {
    const p = TAINTS_PATH.index(i);
    for (const msg of isQualifiedName(t.key ?? '')) errs.push(invalid(p.child('key'), t.key ?? '', msg));
    const valueErrs = isValidLabelValue(t.value ?? '');
    if (valueErrs.length > 0) errs.push(invalid(p.child('value'), t.value ?? '', valueErrs.join(';')));
    errs.push(...validateTaintEffect(t.effect, false, p.child('effect')));
    const id = `${t.effect ?? ''}\u0000${t.key ?? ''}`;
    if (seen.has(id)) {
      errs.push({ type: 'FieldValueDuplicate', field: String(p), message: `Duplicate value: ${goTaint(t)}: taints must be unique by key and effect pair` });
    } else {
      seen.add(id);
    }
  });
  return errs;
}

function isValidCIDR(value: string): boolean {
  const [ip, prefix, extra] = value.split('/');
  const family = isIP(ip ?? '');
  if (extra !== undefined || !family || !prefix || !/^[0-9]+$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function validatePodCIDRs(cidrs: string[] | undefined): FieldError[] {
  const list = cidrs ?? [];
  const cidrPath = path('spec').child('podCIDRs');
  const errs = list.flatMap((c, i) =>
    isValidCIDR(c) ? [] : [invalid(cidrPath.index(i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')],
  );
  if (list.length > 1 && errs.length === 0) {
    const families = new Set(list.map((c) => isIP(c.split('/')[0]!)));
    if (families.size !== list.length || list.length > 2) {
      errs.push(invalid(cidrPath, list, 'may specify no more than one CIDR for each IP family'));
    }
    list.forEach((c, i) => {
      if (list.indexOf(c) !== i) errs.push(duplicate(cidrPath.index(i), c));
    });
  }
  return errs;
}

export function validateNodeCreate(obj: KObject): FieldError[] {
  const node = obj as unknown as Node;
  return [...validateObjectMetaCreate(node.metadata, clusterScoped()), ...validateTaints(node.spec?.taints), ...validatePodCIDRs(node.spec?.podCIDRs)];
}

export function validateNodeUpdate(obj: KObject, oldObj: KObject): FieldError[] {
  const node = obj as unknown as Node;
  const old = oldObj as unknown as Node;
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  // The pod CIDRs and the provider ID may be set once (from empty), never changed.
  const oldCIDRs = old.spec?.podCIDRs ?? [];
  if (oldCIDRs.length > 0 && !jsonEqual(oldCIDRs, node.spec?.podCIDRs ?? [])) {
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (old.spec?.providerID && old.spec.providerID !== node.spec?.providerID) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateTaints(node.spec?.taints));
  return errs;
}

// ---- DaemonSet -----------------------------------------------------------------------------

const PERCENT_FMT = '[0-9]+%';
const PERCENT_ERROR = regexError("a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, '1%', '93%');

/** An int-or-string as upstream reads it: a percent, or an integer (non-numeric strings count as 0). */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return 0;
  const digits = /^[0-9]+%$/.test(v) ? v.slice(0, -1) : v;
  return /^[+-]?[0-9]+$/.test(digits) ? Number(digits) : 0;
}

/** IntOrString prints bare (its String() method): 1, 50%. */
const renderIntOrString = (v: unknown): string => (typeof v === 'number' || typeof v === 'string' ? String(v) : '0');

function validateIntOrPercent(v: unknown, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof v === 'string') {
    if (!/^[0-9]+%$/.test(v)) errs.push(invalidRendered(p, v, PERCENT_ERROR));
    else if (Number(v.slice(0, -1)) > 100) errs.push(invalidRendered(p, v, 'must not be greater than 100%'));
  } else if (typeof v === 'number' && v < 0) {
    errs.push(invalid(p, v, NEGATIVE_ERROR));
  }
  return errs;
}

const goRollingUpdate = (s: DaemonSetUpdateStrategy): string =>
  s.rollingUpdate
    ? `&apps.RollingUpdateDaemonSet{MaxUnavailable:${renderIntOrString(s.rollingUpdate.maxUnavailable)}, MaxSurge:${renderIntOrString(s.rollingUpdate.maxSurge)}}`
    : '(*apps.RollingUpdateDaemonSet)(nil)';

function validateUpdateStrategy(strategy: DaemonSetUpdateStrategy | undefined, p: FieldPath): FieldError[] {
  const s = strategy ?? {};
  if (s.type === 'OnDelete') return []; // a rollingUpdate block is tolerated and ignored
  if (s.type !== 'RollingUpdate') {
    const rendered = `apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(s.type ?? '')}, RollingUpdate:${goRollingUpdate(s)}}`;
    return [{ type: 'FieldValueNotSupported', field: String(p), message: `Unsupported value: ${rendered}: supported values: "RollingUpdate", "OnDelete"` }];
  }
  const ruPath = p.child('rollingUpdate');
  if (!s.rollingUpdate) return [required(ruPath)];
  const { maxUnavailable, maxSurge } = s.rollingUpdate;
  const errs = [...validateIntOrPercent(maxUnavailable, ruPath.child('maxUnavailable')), ...validateIntOrPercent(maxSurge, ruPath.child('maxSurge'))];
  const hasUnavailable = intOrPercentValue(maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(maxSurge) !== 0;
  if (hasUnavailable && hasSurge) {
    errs.push(invalidRendered(ruPath.child('maxSurge'), renderIntOrString(maxSurge), 'may not be set when maxUnavailable is non-zero'));
  } else if (!hasUnavailable && !hasSurge) {
    errs.push(required(ruPath.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  }
  return errs;
}

function validateDaemonSetSpec(ds: DaemonSet, allowInvalidSelectorValues: boolean): FieldError[] {
  const spec = ds.spec ?? ({} as DaemonSet['spec'] & object);
  const specPath = path('spec');
  const errs = validateLabelSelector(spec.selector, specPath.child('selector'), { allowInvalidLabelValues: allowInvalidSelectorValues });
  const labels = spec.template?.metadata?.labels;
  if (selectorMatchesLabels(spec.selector, labels) === false) {
    errs.push(invalidRendered(specPath.child('template').child('metadata').child('labels'), goStringMap(labels), '`selector` does not match template `labels`'));
  }
  const sel = spec.selector;
  if (sel && Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    errs.push(invalidRendered(specPath.child('selector'), goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  }
  const templatePath = specPath.child('template');
  errs.push(...validatePodTemplateSpec(spec.template, templatePath));
  const podSpec = spec.template?.spec;
  if (podSpec?.restartPolicy !== 'Always') {
    errs.push(notSupported(templatePath.child('spec').child('restartPolicy'), podSpec?.restartPolicy ?? '', ['Always']));
  }
  if (podSpec?.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(templatePath.child('spec').child('activeDeadlineSeconds'), 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...nonNegative(spec.minReadySeconds, specPath.child('minReadySeconds')));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, specPath.child('updateStrategy')));
  errs.push(...nonNegative(spec.revisionHistoryLimit ?? undefined, specPath.child('revisionHistoryLimit')));
  return errs;
}

export function validateDaemonSetCreate(obj: KObject): FieldError[] {
  const ds = obj as unknown as DaemonSet;
  return [...validateObjectMetaCreate(ds.metadata, namespaced), ...validateDaemonSetSpec(ds, false)];
}

/** Selector equality as upstream's semantic DeepEqual sees it (empty and absent lists/maps are equal). */
function normalizeSelector(sel: LabelSelector | undefined): unknown {
  if (!sel) return null;
  const labels = sel.matchLabels && Object.keys(sel.matchLabels).length > 0 ? sel.matchLabels : undefined;
  const exprs = (sel.matchExpressions ?? []).map((r) => ({ ...r, values: r.values?.length ? r.values : undefined }));
  return { matchLabels: labels, matchExpressions: exprs.length > 0 ? exprs : undefined };
}

export function validateDaemonSetUpdate(obj: KObject, oldObj: KObject): FieldError[] {
  const ds = obj as unknown as DaemonSet;
  const old = oldObj as unknown as DaemonSet;
  // Bad selector values already stored stay tolerated, so the object can still be updated.
  const oldHadBadValues = validateLabelSelector(old.spec?.selector, path('spec')).length > 0;
  const errs = [...validateObjectMetaUpdate(ds.metadata, old.metadata), ...validateDaemonSetSpec(ds, oldHadBadValues)];
  if (!jsonEqual(normalizeSelector(ds.spec?.selector), normalizeSelector(old.spec?.selector))) {
    errs.push(invalidRendered('spec.selector', goLabelSelector(ds.spec?.selector), FIELD_IMMUTABLE));
  }
  return errs;
}

const DS_COUNTERS = [
  'currentNumberScheduled',
  'numberMisscheduled',
  'desiredNumberScheduled',
  'numberReady',
  'observedGeneration',
  'updatedNumberScheduled',
  'numberAvailable',
  'numberUnavailable',
  'collisionCount',
] as const;

export function validateDaemonSetStatusUpdate(obj: KObject, oldObj: KObject): FieldError[] {
  const status = (obj as unknown as DaemonSet).status;
  const oldStatus = (oldObj as unknown as DaemonSet).status;
  const errs = validateObjectMetaUpdate(obj.metadata, oldObj.metadata);
  for (const counter of DS_COUNTERS) errs.push(...nonNegative(status?.[counter], path('status').child(counter)));
  const next = status?.collisionCount;
  const prev = oldStatus?.collisionCount;
  if (typeof prev === 'number' && (typeof next !== 'number' || next < prev)) {
    errs.push(invalid('status.collisionCount', next ?? 0, 'cannot be decremented'));
  }
  return errs;
}

// ---- ControllerRevision --------------------------------------------------------------------

/** Go's %#v of a runtime.RawExtension holding this JSON. */
const goRawExtension = (data: unknown): string => {
  const bytes = [...Buffer.from(JSON.stringify(data) ?? 'null')].map((b) => `0x${b.toString(16)}`);
  return `runtime.RawExtension{Raw:[]uint8{${bytes.join(', ')}}, Object:runtime.Object(nil)}`;
};

export function validateControllerRevisionCreate(obj: KObject): FieldError[] {
  const errs = validateObjectMetaCreate(obj.metadata, namespaced);
  if (obj.data === undefined || obj.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...nonNegative(typeof obj.revision === 'number' ? obj.revision : undefined, path('revision')));
  return errs;
}

/** `data` is frozen; `revision` may change (the DaemonSet controller renumbers on rollback). */
export function validateControllerRevisionUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateControllerRevisionCreate(obj)];
  if (!jsonEqual(obj.data ?? null, old.data ?? null)) errs.push(invalidRendered('data', goRawExtension(obj.data), FIELD_IMMUTABLE));
  return errs;
}

// ---- Event (core/v1: the lenient legacy rules) ---------------------------------------------

export function validateEventCreate(obj: KObject): FieldError[] {
  const ev = obj as unknown as Event;
  const ns = ev.metadata?.namespace ?? '';
  const involvedNs = ev.involvedObject?.namespace ?? '';
  const errs: FieldError[] = [];
  const mismatch = (): FieldError => invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace');
  const atMost = (field: string, value: string | undefined, limit: number): void => {
    if ((value ?? '').length > limit) errs.push(invalid(field, '', `can have at most ${limit} characters`));
  };
  if (!ev.eventTime) {
    // Old-style events: an event about a cluster-scoped object lives in "" or "default".
    if (!involvedNs ? ns !== '' && ns !== 'default' : ns !== involvedNs) errs.push(mismatch());
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch());
    if (!ev.reportingComponent) errs.push(required('reportingController'));
    for (const msg of isQualifiedName(ev.reportingComponent ?? '')) errs.push(invalid('reportingController', ev.reportingComponent ?? '', msg));
    if (!ev.reportingInstance) errs.push(required('reportingInstance'));
    atMost('reportingInstance', ev.reportingInstance, 128);
    if (!ev.action) errs.push(required('action'));
    atMost('action', ev.action, 128);
    if (!ev.reason) errs.push(required('reason'));
    atMost('reason', ev.reason, 128);
    atMost('message', ev.message, 1024);
  }
  for (const msg of isDNS1123Subdomain(ns)) errs.push(invalid('namespace', ns, msg));
  return errs;
}

/** core/v1 updates get only the legacy checks, like creates. */
export function validateEventUpdate(obj: KObject): FieldError[] {
  return validateEventCreate(obj);
}

// ---- Lease ---------------------------------------------------------------------------------

// Coordinated leader election fields (v1.31+) are newer than the bundled typings.
type LeaseSpec = NonNullable<Lease['spec']> & { strategy?: string; preferredHolder?: string };

function validateLeaseSpec(lease: Lease): FieldError[] {
  const spec: LeaseSpec = lease.spec ?? {};
  const p = path('spec');
  const errs: FieldError[] = [];
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.push(invalid(p.child('leaseDurationSeconds'), spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  errs.push(...nonNegative(spec.leaseTransitions, p.child('leaseTransitions')));
  if (spec.strategy !== undefined && spec.strategy !== null) {
    // Upstream nests the path once more here: spec.strategy.strategy.
    const sp = p.child('strategy').child('strategy');
    if (!spec.strategy.includes('/')) {
      if (spec.strategy !== 'OldestEmulationVersion') errs.push(notSupported(sp, spec.strategy, ['OldestEmulationVersion']));
    } else {
      for (const msg of isQualifiedName(spec.strategy)) errs.push(invalid(sp, spec.strategy, msg));
    }
  }
  if (spec.preferredHolder && !spec.strategy) {
    errs.push(forbidden(p.child('preferredHolder'), 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

export function validateLeaseCreate(obj: KObject): FieldError[] {
  return [...validateObjectMetaCreate(obj.metadata, namespaced), ...validateLeaseSpec(obj as unknown as Lease)];
}

export function validateLeaseUpdate(obj: KObject, old: KObject): FieldError[] {
  return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...validateLeaseSpec(obj as unknown as Lease)];
}

// ---- PriorityClass -------------------------------------------------------------------------

const HIGHEST_USER_PRIORITY = 1_000_000_000;
const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};

function systemClassError(pc: PriorityClass): string | undefined {
  const name = pc.metadata?.name ?? '';
  const value = SYSTEM_PRIORITY_CLASSES[name];
  if (value === undefined) return `${name} is not a known system priority class`;
  if (pc.value !== value) return `value of ${name} PriorityClass must be ${value}`;
  if (pc.globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClassCreate(obj: KObject): FieldError[] {
  const pc = obj as unknown as PriorityClass;
  const errs = validateObjectMetaCreate(pc.metadata, clusterScoped());
  if ((pc.metadata?.name ?? '').startsWith('system-')) {
    const problem = systemClassError(pc);
    if (problem) {
      errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${problem}`));
    }
  } else if (pc.value > HIGHEST_USER_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (pc.preemptionPolicy !== undefined && pc.preemptionPolicy !== null) {
    if (!pc.preemptionPolicy) errs.push(required('preemptionPolicy'));
    else if (!PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

export function validatePriorityClassUpdate(obj: KObject, oldObj: KObject): FieldError[] {
  const pc = obj as unknown as PriorityClass;
  const old = oldObj as unknown as PriorityClass;
  const errs = validateObjectMetaUpdate(pc.metadata, old.metadata);
  if (pc.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
  if ((pc.preemptionPolicy ?? null) !== (old.preemptionPolicy ?? null)) {
    errs.push(invalidRendered('preemptionPolicy', pc.preemptionPolicy ? JSON.stringify(pc.preemptionPolicy) : 'null', FIELD_IMMUTABLE));
  }
  return errs;
}
