// Objects every cluster has from the start: the four system namespaces and the two built-in
// PriorityClasses. Created once; existing ones are left as they are.
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import type { RestStorage } from '../apiserver/rest-storage.js';

const NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const PRIORITY_CLASSES: KObject[] = [
  {
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

async function ensure(storage: RestStorage, obj: KObject): Promise<void> {
  try {
    await storage.create(undefined, obj);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
}

export async function bootstrap(namespaces: RestStorage, priorityClasses: RestStorage): Promise<void> {
  for (const name of NAMESPACES) await ensure(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const pc of PRIORITY_CLASSES) await ensure(priorityClasses, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', ...pc });
}
