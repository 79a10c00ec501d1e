// ObjectMeta and LabelSelector validation, plus the Go-syntax renderings upstream prints for
// map and selector values (`map[string]string{"a":"b"}`, `v1.LabelSelector{...}`).
import type { LabelSelector, LabelSelectorRequirement, ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { labelSelectorMatches } from '../../placement/labels.js';
import { jsonEqual } from '../object.js';
import { FieldPath, forbidden, invalid, required, tooLong, type FieldError } from './field-errors.js';
import {
  TOTAL_ANNOTATION_SIZE_LIMIT,
  annotationsSize,
  isDNS1123Label,
  isQualifiedName,
  isValidLabelValue,
  type NameRule,
} from './names.js';

export const FIELD_IMMUTABLE = 'field is immutable';
export const NEGATIVE_ERROR = 'must be greater than or equal to 0';

/** An Invalid error whose value is already rendered (Go syntax), so it is printed unquoted. */
export function invalidRendered(field: FieldPath | string, rendered: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: String(field), message: `Invalid value: ${rendered}: ${detail}` };
}

export function nonNegative(value: number | undefined, field: FieldPath): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalid(field, value, NEGATIVE_ERROR)] : [];
}

const goString = (s: string): string => JSON.stringify(s);
const goStrings = (v: string[] | undefined): string =>
  v === undefined || v === null ? '[]string(nil)' : `[]string{${v.map(goString).join(', ')}}`;

/** Go's %#v of a map[string]string: keys sorted, nil when absent. */
export function goStringMap(m: Record<string, string> | undefined | null): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${goString(k)}:${goString(String(m[k]))}`);
  return `map[string]string{${entries.join(', ')}}`;
}

/** Go's %#v of a metav1.LabelSelector, as printed by e.g. the selector-immutable error. */
export function goLabelSelector(sel: LabelSelector | undefined | null): string {
  if (sel === undefined || sel === null) return 'null';
  const exprs = sel.matchExpressions;
  const renderedExprs =
    exprs === undefined || exprs === null
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map((r) => `v1.LabelSelectorRequirement{Key:${goString(r.key ?? '')}, Operator:${goString(r.operator ?? '')}, Values:${goStrings(r.values)}}`)
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${renderedExprs}}`;
}

/** Go's time.Time String() for an RFC 3339 timestamp (the zero time when absent). */
export function goTime(ts: string | undefined): string {
  const d = ts ? new Date(ts) : undefined;
  if (!d || Number.isNaN(d.getTime())) return ts ? goString(ts) : '0001-01-01 00:00:00 +0000 UTC';
  const iso = d.toISOString(); // 2024-01-02T03:04:05.000Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of isValidLabelValue(String(v))) errs.push(invalid(path, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  // Annotation keys follow the qualified-name rule, case-insensitively.
  for (const k of Object.keys(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
  }
  if (annotations && annotationsSize(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  }
  return errs;
}

function validateOwnerReferences(refs: OwnerReference[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    const apiVersion = ref.apiVersion ?? '';
    const slash = apiVersion.indexOf('/');
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    if (!version) errs.push(invalid(path.child('apiVersion'), apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(path.child('kind'), ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errs.push(invalid(path.child('name'), ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(invalid(path.child('uid'), ref.uid ?? '', 'must not be empty'));
    if (apiVersion === 'v1' && ref.kind === 'Event') {
      errs.push(invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

// Finalizers without a domain prefix must be one of the names Kubernetes itself defines.
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function standardFinalizerErrors(name: string, path: FieldPath): FieldError[] {
  return !name.includes('/') && !STANDARD_FINALIZERS.has(name)
    ? [invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified')]
    : [];
}

/** A finalizer name: qualified-name syntax, and a standard name unless domain-prefixed. */
export function validateFinalizerName(name: string, path: FieldPath): FieldError[] {
  return [...isQualifiedName(name).map((msg) => invalid(path, name, msg)), ...standardFinalizerErrors(name, path)];
}

/** Checks shared by create and update: labels, annotations, owner references, finalizers. */
function validateMetaCommon(meta: ObjectMeta, path: FieldPath): FieldError[] {
  const finalizersPath = path.child('finalizers');
  const finalizers = meta.finalizers ?? [];
  const errs = [
    ...validateLabels(meta.labels, path.child('labels')),
    ...validateAnnotations(meta.annotations, path.child('annotations')),
    ...validateOwnerReferences(meta.ownerReferences, path.child('ownerReferences')),
    ...finalizers.flatMap((f) => isQualifiedName(f).map((msg) => invalid(finalizersPath, f, msg))),
  ];
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalid(finalizersPath, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  // Upstream's core layer adds the standard-name check last, per index.
  errs.push(...finalizers.flatMap((f, i) => standardFinalizerErrors(f, finalizersPath.index(i))));
  return errs;
}

export interface MetaRules {
  namespaced: boolean;
  nameRule: NameRule;
}

/** ObjectMeta on create (name generation has already happened, as upstream expects). */
export function validateObjectMetaCreate(meta: ObjectMeta | undefined, rules: MetaRules, path = FieldPath.root('metadata')): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of rules.nameRule(m.generateName, true)) errs.push(invalid(path.child('generateName'), m.generateName, msg));
  }
  if (!m.name) errs.push(required(path.child('name'), 'name or generateName is required'));
  else for (const msg of rules.nameRule(m.name, false)) errs.push(invalid(path.child('name'), m.name, msg));

  if (rules.namespaced) {
    if (!m.namespace) errs.push(required(path.child('namespace')));
    else for (const msg of isDNS1123Label(m.namespace)) errs.push(invalid(path.child('namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(m.generation, path.child('generation')));
  errs.push(...validateMetaCommon(m, path));
  return errs;
}

/** ObjectMeta on update: identity fields are immutable, the rest is re-validated. */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, path = FieldPath.root('metadata')): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const added = [...new Set(m.finalizers ?? [])].filter((f) => !(o.finalizers ?? []).includes(f)).sort();
    if (added.length > 0) {
      errs.push(
        forbidden(
          path.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map(goString).join(', ')}}`,
        ),
      );
    }
  }
  if (!m.resourceVersion) errs.push(invalid(path.child('resourceVersion'), '', 'must be specified for an update'));
  if ((m.generation ?? 0) < (o.generation ?? 0)) errs.push(invalid(path.child('generation'), m.generation ?? 0, 'must not be decremented'));

  const immutable = (field: string, a: unknown, b: unknown, rendered: string): void => {
    if (!jsonEqual(a ?? null, b ?? null)) errs.push(invalidRendered(path.child(field), rendered, FIELD_IMMUTABLE));
  };
  immutable('name', m.name ?? '', o.name ?? '', goString(m.name ?? ''));
  immutable('namespace', m.namespace ?? '', o.namespace ?? '', goString(m.namespace ?? ''));
  immutable('uid', m.uid ?? '', o.uid ?? '', goString(m.uid ?? ''));
  immutable('creationTimestamp', m.creationTimestamp, o.creationTimestamp, goTime(m.creationTimestamp));
  immutable('deletionTimestamp', m.deletionTimestamp, o.deletionTimestamp, m.deletionTimestamp ? goTime(m.deletionTimestamp) : 'null');
  immutable(
    'deletionGracePeriodSeconds',
    m.deletionGracePeriodSeconds,
    o.deletionGracePeriodSeconds,
    m.deletionGracePeriodSeconds === undefined || m.deletionGracePeriodSeconds === null ? 'null' : String(m.deletionGracePeriodSeconds),
  );
  errs.push(...validateMetaCommon(m, path));
  return errs;
}

export interface SelectorRules {
  /** Upstream tolerates bad values in matchExpressions on update when the old object had them. */
  allowInvalidLabelValues?: boolean;
}

/** LabelSelector syntax (nil is valid here; callers decide whether a selector is required). */
export function validateLabelSelector(sel: LabelSelector | undefined | null, path: FieldPath, rules: SelectorRules = {}): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, path.child('matchLabels'));
  (sel.matchExpressions ?? []).forEach((req, i) => {
    errs.push(...validateSelectorRequirement(req, path.child('matchExpressions').index(i), rules));
  });
  return errs;
}

function validateSelectorRequirement(req: LabelSelectorRequirement, path: FieldPath, rules: SelectorRules): FieldError[] {
  const errs: FieldError[] = [];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(invalid(path.child('operator'), req.operator ?? '', 'not a valid selector operator'));
  }
  for (const msg of isQualifiedName(req.key ?? '')) errs.push(invalid(path.child('key'), req.key ?? '', msg));
  if (!rules.allowInvalidLabelValues) {
    values.forEach((v, i) => {
      for (const msg of isValidLabelValue(v)) errs.push(invalid(path.child('values').index(i), v, msg));
    });
  }
  return errs;
}

/**
 * Whether a LabelSelector selects a label set, with upstream's conversion rules (nil selects
 * nothing, empty selects everything); a selector that does not validate gives undefined
 * (upstream skips the match check then).
 */
export function selectorMatchesLabels(sel: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean | undefined {
  if (sel && validateLabelSelector(sel, FieldPath.root('selector')).length > 0) return undefined;
  return labelSelectorMatches(sel, labels);
}
