// The `data` of a DaemonSet ControllerRevision: `{"spec":{"template":{"$patch":"replace",...}}}`,
// exactly as upstream (and kubectl) produce it from a DaemonSet: the template is run through Go's
// encoding/json — keys sorted at every level, `omitempty` fields dropped when empty, struct
// fields that Go always writes present (`metadata.creationTimestamp: null`, `resources: {}`).
// kubectl compares these bytes with the revision's data to print "skipped rollback", and the
// controller uses the same bytes to find the revision of the current template. Pure.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { isPlainObject } from '../../api/object.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Map-typed fields (Go maps with omitempty): an empty `{}` is dropped. */
const MAP_FIELDS = new Set(['labels', 'annotations', 'nodeSelector', 'limits', 'requests', 'matchLabels', 'overhead', 'volumeAttributes', 'options']);
/** Slices without omitempty: an empty `[]` is kept. Every other empty list is dropped. */
const REQUIRED_LISTS = new Set(['containers', 'nodeSelectorTerms', 'sources']);
/** String fields with omitempty that are commonly written empty. */
const OMITEMPTY_STRINGS = new Set([
  'image', 'imagePullPolicy', 'workingDir', 'subPath', 'subPathExpr', 'hostIP', 'protocol', 'terminationMessagePath',
  'terminationMessagePolicy', 'nodeName', 'hostname', 'subdomain', 'serviceAccountName', 'serviceAccount',
  'priorityClassName', 'schedulerName', 'dnsPolicy', 'namespace', 'generateName', 'effect',
]);
/** `value`, `key` and `operator` are omitempty only in some types. */
const OMITEMPTY_IN: Record<string, Set<string>> = {
  value: new Set(['env', 'tolerations']),
  key: new Set(['tolerations']),
  operator: new Set(['tolerations']),
  restartPolicy: new Set(['spec']),
};
/** bool fields with omitempty (false is dropped); pointer bools keep `false`. */
const OMITEMPTY_BOOLS = new Set(['hostNetwork', 'hostPID', 'hostIPC', 'stdin', 'stdinOnce', 'tty']);
/** `readOnly` is a plain bool except in these volume sources, where it is a pointer. */
const POINTER_READONLY = new Set(['csi', 'azureDisk']);
/** int fields with omitempty (0 is dropped). */
const OMITEMPTY_INTS = new Set(['hostPort']);
const PROBES = new Set(['livenessProbe', 'readinessProbe', 'startupProbe']);
const PROBE_INTS = new Set(['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']);
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

function dropped(key: string, value: Json, parent: string): boolean {
  if (value === null) return true;
  if (Array.isArray(value)) return value.length === 0 && !REQUIRED_LISTS.has(key);
  if (typeof value === 'object') return Object.keys(value).length === 0 && MAP_FIELDS.has(key);
  if (value === '') return OMITEMPTY_STRINGS.has(key) || (OMITEMPTY_IN[key]?.has(parent) ?? false);
  if (value === false) return OMITEMPTY_BOOLS.has(key) || (key === 'readOnly' && !POINTER_READONLY.has(parent));
  if (value === 0) return OMITEMPTY_INTS.has(key) || (PROBE_INTS.has(key) && PROBES.has(parent));
  return false;
}

/**
 * `value` as Go would re-encode it. `key` is the field holding it; `parent` the field holding
 * the enclosing object (for list items, the list's field).
 */
function goValue(value: Json, key: string, parent: string): Json {
  if (Array.isArray(value)) return value.map((item) => goValue(item, key, parent));
  if (!isPlainObject(value)) return value;
  const obj: JsonObject = { ...(value as JsonObject) };
  // Struct (not pointer) fields: Go always writes them, empty or not.
  if (CONTAINER_LISTS.has(key)) obj.resources ??= {};
  if (key === 'resourceFieldRef') obj.divisor ??= '0';
  if (key === 'volumeClaimTemplate') {
    obj.metadata = { ...(isPlainObject(obj.metadata) ? (obj.metadata as JsonObject) : {}), creationTimestamp: null };
    obj.spec = { resources: {}, ...(isPlainObject(obj.spec) ? (obj.spec as JsonObject) : {}) };
  }
  const out: JsonObject = {};
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined) continue;
    // Go writes a zero time as null, even with omitempty.
    if (k === 'creationTimestamp' && v === null && key === 'metadata') {
      out[k] = null;
      continue;
    }
    const child = goValue(v, k, key);
    if (!dropped(k, child, key)) out[k] = child;
  }
  return out;
}

/** The pod template as Go's json.Marshal writes it (keys sorted, omitempty applied). */
export function goTemplate(template: PodTemplateSpec | undefined): JsonObject {
  const t = (template ?? {}) as unknown as JsonObject;
  const metadata = isPlainObject(t.metadata) ? (t.metadata as JsonObject) : {};
  const spec = isPlainObject(t.spec) ? (t.spec as JsonObject) : {};
  return goValue({ ...t, metadata: { ...metadata, creationTimestamp: null }, spec }, 'template', 'spec') as JsonObject;
}

/** The revision data of the DaemonSet's current template (an object whose keys are in Go's order). */
export function revisionData(ds: DaemonSet): JsonObject {
  return { spec: { template: { $patch: 'replace', ...goTemplate(ds.spec?.template) } } };
}

/** Upstream's getPatch: the bytes of `revisionData`. */
export function revisionDataBytes(ds: DaemonSet): string {
  return JSON.stringify(revisionData(ds));
}

/** Serializes stored revision data with keys sorted, as Go would have written it. */
export function storedDataBytes(data: unknown): string {
  return JSON.stringify(sortKeys(data as Json));
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const k of Object.keys(value).sort()) if ((value as JsonObject)[k] !== undefined) out[k] = sortKeys((value as JsonObject)[k]!);
  return out;
}
