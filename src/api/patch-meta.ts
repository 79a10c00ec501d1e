// Strategic-merge-patch metadata per kind: which lists merge (and on which key), which are sets
// of primitives, and which are replaced whole. It mirrors the patchStrategy/patchMergeKey tags
// of the upstream Go types; any list not described here is atomic.

/** An object field. `fields` names only the children that matter for patching. */
export interface ObjectSchema {
  readonly fields?: Readonly<Record<string, FieldSchema>>;
}

export type ListSchema =
  /** Replaced whole by a patch (the default for undescribed lists). */
  | { readonly list: 'atomic' }
  /** Primitives merged as a set (finalizers): union, de-duplicated. */
  | { readonly list: 'set' }
  /**
   * Objects merged item by item on `mergeKey`. `retainKeys` mirrors the upstream
   * `merge,retainKeys` tag (volumes: kubectl sends `$retainKeys` in their items).
   */
  | { readonly list: 'map'; readonly mergeKey: string; readonly items?: ObjectSchema; readonly retainKeys?: boolean };

export type FieldSchema = ObjectSchema | ListSchema;
export type PatchMeta = ObjectSchema;

export function isListSchema(s: FieldSchema): s is ListSchema {
  return 'list' in s;
}

const atomic: ListSchema = { list: 'atomic' };
const set: ListSchema = { list: 'set' };
const stringMap: ObjectSchema = {};
const mergeOn = (mergeKey: string, items?: ObjectSchema, retainKeys?: boolean): ListSchema =>
  retainKeys ? { list: 'map', mergeKey, items, retainKeys } : { list: 'map', mergeKey, items };
const conditions = mergeOn('type');

const objectMeta: ObjectSchema = {
  fields: {
    labels: stringMap,
    annotations: stringMap,
    finalizers: set,
    ownerReferences: mergeOn('uid'),
    managedFields: atomic,
  },
};

const labelSelector: ObjectSchema = { fields: { matchLabels: stringMap, matchExpressions: atomic } };

const container: ObjectSchema = {
  fields: {
    command: atomic,
    args: atomic,
    ports: mergeOn('containerPort'),
    envFrom: atomic,
    env: mergeOn('name'),
    volumeMounts: mergeOn('mountPath'),
    volumeDevices: mergeOn('devicePath'),
    resizePolicy: atomic,
  },
};

const podSpec: ObjectSchema = {
  fields: {
    volumes: mergeOn('name', undefined, true),
    initContainers: mergeOn('name', container),
    containers: mergeOn('name', container),
    ephemeralContainers: mergeOn('name', container),
    imagePullSecrets: mergeOn('name'),
    nodeSelector: stringMap,
    tolerations: atomic,
    hostAliases: mergeOn('ip'),
    readinessGates: atomic,
    topologySpreadConstraints: mergeOn('topologyKey'),
    schedulingGates: mergeOn('name'),
    resourceClaims: mergeOn('name', undefined, true),
  },
};

const podStatus: ObjectSchema = {
  fields: {
    conditions,
    podIPs: mergeOn('ip'),
    hostIPs: mergeOn('ip'),
    resourceClaimStatuses: mergeOn('name', undefined, true),
  },
};

const podTemplateSpec: ObjectSchema = { fields: { metadata: objectMeta, spec: podSpec } };

const daemonSetSpec: ObjectSchema = { fields: { selector: labelSelector, template: podTemplateSpec } };
const daemonSetStatus: ObjectSchema = { fields: { conditions } };

const nodeSpec: ObjectSchema = { fields: { podCIDRs: set, taints: atomic } };
const nodeStatus: ObjectSchema = {
  fields: { capacity: stringMap, allocatable: stringMap, conditions, addresses: mergeOn('type') },
};

/** A kind whose only patch-relevant structure is its metadata. */
const metadataOnly: PatchMeta = { fields: { metadata: objectMeta } };

const byKind: Readonly<Record<string, PatchMeta>> = {
  '/Namespace': { fields: { metadata: objectMeta, spec: { fields: { finalizers: atomic } }, status: { fields: { conditions } } } },
  '/Node': { fields: { metadata: objectMeta, spec: nodeSpec, status: nodeStatus } },
  '/Pod': { fields: { metadata: objectMeta, spec: podSpec, status: podStatus } },
  '/Event': metadataOnly,
  'events.k8s.io/Event': metadataOnly,
  'apps/DaemonSet': { fields: { metadata: objectMeta, spec: daemonSetSpec, status: daemonSetStatus } },
  'apps/ControllerRevision': metadataOnly,
  'coordination.k8s.io/Lease': metadataOnly,
  'scheduling.k8s.io/PriorityClass': metadataOnly,
};

/** Patch metadata for a kind; unknown kinds get the metadata-only tree. */
export function patchMetaFor(group: string, kind: string): PatchMeta {
  return byKind[`${group}/${kind}`] ?? metadataOnly;
}
