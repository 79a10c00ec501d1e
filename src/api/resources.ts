// Every kind everynode serves: one registry entry each (design.md §2: adding a resource must
// not touch the router). Names, short names and categories are upstream's.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { clone, jsonEqual, type KObject } from './object.js';
import { FieldPath, forbidden, type FieldError } from './validation/field-errors.js';
import type { ResourceDef, Strategy } from './registry-types.js';
import * as printers from './printers/index.js';
import * as defaults from './defaults/index.js';
import * as v from './validation/kinds.js';

export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
/** Marks a mirror pod: the read-only copy an agent keeps of a static pod; its value is the static pod's hash. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

type Entry = Omit<ResourceDef, 'listKind' | 'singular' | 'fieldSelectors' | 'strategy' | 'applyDefaults' | 'categories' | 'shortNames'> &
  Partial<Pick<ResourceDef, 'fieldSelectors' | 'strategy' | 'applyDefaults' | 'categories' | 'shortNames'>>;

function entry(e: Entry): ResourceDef {
  return {
    listKind: `${e.kind}List`,
    singular: e.kind.toLowerCase(),
    fieldSelectors: {},
    strategy: {},
    applyDefaults: () => {},
    categories: [],
    shortNames: [],
    ...e,
  };
}

const get =
  (...path: string[]) =>
  (obj: KObject): string | undefined => {
    let cur: unknown = obj;
    for (const p of path) cur = (cur as Record<string, unknown> | undefined)?.[p];
    return cur === undefined || cur === null ? undefined : String(cur);
  };

// --- pods ----------------------------------------------------------------------------------

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };

/** Upstream's QoS class: Guaranteed when every container's cpu and memory limits equal requests. */
function qosClass(spec: PodSpec | undefined): string {
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const res = containers.map((c) => (c.resources ?? {}) as Resources);
  const any = res.some((r) => Object.keys(r.requests ?? {}).length || Object.keys(r.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = res.every((r) =>
    ['cpu', 'memory'].every((k) => r.limits?.[k] !== undefined && (r.requests?.[k] === undefined || String(r.requests[k]) === String(r.limits[k]))),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** A pod cannot become or stop being a mirror pod, nor point at another static pod (upstream's pod annotation update rules). */
function validateMirrorAnnotationUpdate(obj: KObject, old: KObject): FieldError[] {
  const next = obj.metadata.annotations ?? {};
  const prev = old.metadata.annotations ?? {};
  const path = FieldPath.root('metadata').child('annotations').key(MIRROR_POD_ANNOTATION);
  if (MIRROR_POD_ANNOTATION in prev && next[MIRROR_POD_ANNOTATION] !== prev[MIRROR_POD_ANNOTATION]) return [forbidden(path, 'may not remove or update mirror pod annotation')];
  if (MIRROR_POD_ANNOTATION in next && !(MIRROR_POD_ANNOTATION in prev)) return [forbidden(path, 'may not add mirror pod annotation')];
  return [];
}

const podStrategy: Strategy = {
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending', qosClass: qosClass(pod.spec as PodSpec) };
  },
  deleteGraceSeconds(pod, requested) {
    const spec = pod.spec as PodSpec | undefined;
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    // Nothing runs an unscheduled or finished pod, so there is nobody to wait for.
    if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    return requested ?? spec.terminationGracePeriodSeconds ?? 30;
  },
  validateStatusUpdate: v.validatePodStatusUpdate,
};

// --- daemonsets ----------------------------------------------------------------------------

function templateGeneration(obj: KObject): number | undefined {
  const n = Number(obj.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}

function setTemplateGeneration(obj: KObject, n: number): void {
  obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION_ANNOTATION]: String(n) };
}

const daemonSetStrategy: Strategy = {
  tracksGeneration: true,
  prepareForCreate(ds) {
    // Upstream resets status to its zero value, whose four non-omitempty counters serialize as 0.
    ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    setTemplateGeneration(ds, templateGeneration(ds) ?? 1);
  },
  prepareForUpdate(ds, old) {
    // Clients cannot set the template generation; it moves when the template changes.
    const current = templateGeneration(old) ?? 1;
    const changed = !jsonEqual((ds.spec as { template?: unknown })?.template, (old.spec as { template?: unknown })?.template);
    setTemplateGeneration(ds, changed ? current + 1 : current);
  },
  validateStatusUpdate: v.validateDaemonSetStatusUpdate,
};

// --- namespaces ----------------------------------------------------------------------------

const namespaceStrategy: Strategy = {
  prepareForCreate: defaults.prepareNamespaceForCreate,
  finalizeOnDelete(ns) {
    const finalizers = (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
    if (!finalizers.length) return undefined;
    return { ...clone(ns), status: { ...(ns.status as object), phase: 'Terminating' } };
  },
};

export const resources: ResourceDef[] = [
  entry({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    printer: printers.namespacePrinter,
    applyDefaults: defaults.defaultNamespace,
    validateCreate: v.validateNamespaceCreate,
    validateUpdate: v.validateNamespaceUpdate,
    fieldSelectors: { 'status.phase': get('status', 'phase') },
    strategy: namespaceStrategy,
  }),
  entry({
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
    printer: printers.nodePrinter,
    applyDefaults: defaults.defaultNode,
    validateCreate: v.validateNodeCreate,
    validateUpdate: v.validateNodeUpdate,
    fieldSelectors: { 'spec.unschedulable': (n) => String((n.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false) },
  }),
  entry({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding', 'eviction', 'log'],
    printer: printers.podPrinter,
    applyDefaults: defaults.defaultPod,
    validateCreate: v.validatePodCreate,
    validateUpdate: (obj, old) => [...v.validatePodUpdate(obj, old), ...validateMirrorAnnotationUpdate(obj, old)],
    fieldSelectors: {
      'spec.nodeName': get('spec', 'nodeName'),
      'spec.restartPolicy': get('spec', 'restartPolicy'),
      'spec.schedulerName': get('spec', 'schedulerName'),
      'spec.serviceAccountName': get('spec', 'serviceAccountName'),
      'spec.hostNetwork': (p) => String((p.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork ?? false),
      'status.phase': get('status', 'phase'),
      'status.podIP': get('status', 'podIP'),
      'status.nominatedNodeName': get('status', 'nominatedNodeName'),
    },
    strategy: podStrategy,
  }),
  entry({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    subresources: [],
    printer: printers.eventPrinter,
    validateCreate: v.validateEventCreate,
    validateUpdate: v.validateEventUpdate,
    fieldSelectors: {
      'involvedObject.kind': get('involvedObject', 'kind'),
      'involvedObject.namespace': get('involvedObject', 'namespace'),
      'involvedObject.name': get('involvedObject', 'name'),
      'involvedObject.uid': get('involvedObject', 'uid'),
      'involvedObject.apiVersion': get('involvedObject', 'apiVersion'),
      'involvedObject.resourceVersion': get('involvedObject', 'resourceVersion'),
      'involvedObject.fieldPath': get('involvedObject', 'fieldPath'),
      reason: get('reason'),
      reportingComponent: get('reportingComponent'),
      source: get('source', 'component'),
      type: get('type'),
    },
  }),
  entry({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
    printer: printers.daemonSetPrinter,
    applyDefaults: defaults.defaultDaemonSet,
    validateCreate: v.validateDaemonSetCreate,
    validateUpdate: v.validateDaemonSetUpdate,
    strategy: daemonSetStrategy,
    aliases: [
      {
        version: 'v1beta2',
        deprecation: 'apps/v1beta2 DaemonSet is deprecated in v1.9+, unavailable in v1.16+; use apps/v1 DaemonSet',
        defaultPropagation: 'Orphan',
      },
    ],
  }),
  entry({
    group: 'apps',
    version: 'v1',
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    namespaced: true,
    subresources: [],
    printer: printers.controllerRevisionPrinter,
    validateCreate: v.validateControllerRevisionCreate,
    validateUpdate: v.validateControllerRevisionUpdate,
  }),
  entry({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    subresources: [],
    printer: printers.leasePrinter,
    validateCreate: v.validateLeaseCreate,
    validateUpdate: v.validateLeaseUpdate,
  }),
  entry({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
    subresources: [],
    printer: printers.priorityClassPrinter,
    applyDefaults: defaults.defaultPriorityClass,
    validateCreate: v.validatePriorityClassCreate,
    validateUpdate: v.validatePriorityClassUpdate,
  }),
];
