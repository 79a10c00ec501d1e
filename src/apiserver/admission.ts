// Admission: the checks and defaults of a write that depend on other objects.
// - namespaced objects need their namespace to exist and not be terminating;
// - pods get spec.priority from their PriorityClass (or the global default), and the 300 s
//   not-ready/unreachable tolerations (upstream's Priority and DefaultTolerationSeconds plugins);
// - only one PriorityClass may be the global default.
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { ApiError, errors } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import type { ResourceDef } from '../api/registry-types.js';
import type { Admit, RestStorage } from './rest-storage.js';

export const DEFAULT_TOLERATION_SECONDS = 300;
const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';

interface Lookups {
  namespaces: RestStorage;
  priorityClasses: RestStorage;
}

async function find(storage: RestStorage, name: string): Promise<KObject | undefined> {
  try {
    return await storage.get(undefined, name);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}

function tolerates(tolerations: Toleration[], key: string): boolean {
  return tolerations.some(
    (t) => (t.effect === 'NoExecute' || !t.effect) && ((t.operator === 'Exists' && !t.key) || t.key === key),
  );
}

type PodSpecPart = { priorityClassName?: string; priority?: number; preemptionPolicy?: string; tolerations?: Toleration[] };

/** Priority from the pod's class, resolved once at creation. */
async function admitPodPriority(pod: KObject, lookups: Lookups): Promise<void> {
  const spec = pod.spec as PodSpecPart;
  let cls: KObject | undefined;
  if (spec.priorityClassName) {
    cls = await find(lookups.priorityClasses, spec.priorityClassName);
    if (!cls) {
      throw new ApiError(403, 'Forbidden', `pods "${pod.metadata.name ?? pod.metadata.generateName}" is forbidden: no PriorityClass with name ${spec.priorityClassName} was found`);
    }
  } else {
    const { items } = await lookups.priorityClasses.list(undefined, {});
    cls = items.find((c) => c.globalDefault === true);
    if (cls) spec.priorityClassName = cls.metadata.name;
  }
  const value = cls ? Number(cls.value) : 0;
  if (spec.priority !== undefined && spec.priority !== value) {
    throw new ApiError(
      403,
      'Forbidden',
      `pods "${pod.metadata.name}" is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`,
    );
  }
  spec.priority = value;
  // Without any class upstream still fills in PreemptLowerPriority.
  const policy = cls ? (cls.preemptionPolicy as string | undefined) : 'PreemptLowerPriority';
  if (!policy) return;
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== policy) {
    throw new ApiError(
      403,
      'Forbidden',
      `pods "${pod.metadata.name}" is forbidden: the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  }
  spec.preemptionPolicy = policy;
}

/** On create and update, as upstream: an update that drops these gets them back. */
function admitPodTolerations(pod: KObject): void {
  const spec = pod.spec as PodSpecPart;
  const tolerations = (spec.tolerations ??= []);
  for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
    if (!tolerates(tolerations, key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
}

export function createAdmission(lookups: () => Lookups): Admit {
  return async (op, def: ResourceDef, obj, old) => {
    const l = lookups();
    if (op === 'create' && def.namespaced) {
      const ns = await find(l.namespaces, obj.metadata.namespace!);
      if (!ns) throw errors.notFound('namespaces', '', obj.metadata.namespace!);
      if (ns.metadata.deletionTimestamp) {
        throw new ApiError(403, 'Forbidden', `${def.plural} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${ns.metadata.name} because it is being terminated`, {
          name: obj.metadata.name,
          kind: def.plural,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns.metadata.name} is being terminated`, field: 'metadata.namespace' }],
        });
      }
    }
    if (def.group === '' && def.kind === 'Pod') {
      if (op === 'create') await admitPodPriority(obj, l);
      admitPodTolerations(obj);
    }
    if (def.kind === 'PriorityClass' && obj.globalDefault === true && !(old?.globalDefault === true)) {
      const { items } = await l.priorityClasses.list(undefined, {});
      const other = items.find((c) => c.globalDefault === true && c.metadata.name !== obj.metadata.name);
      if (other) {
        throw errors.invalid('PriorityClass', 'scheduling.k8s.io', obj.metadata.name ?? '', [
          { type: 'FieldValueForbidden', field: 'globalDefault', message: `Forbidden: PriorityClass ${other.metadata.name} is already marked as default. Only one default can exist` },
        ]);
      }
    }
  };
}
