// pods/binding (the scheduler assigns a node) and pods/eviction (a polite delete).
import { ApiError, errors } from '../api/errors.js';
import { isPlainObject, type KObject } from '../api/object.js';
import type { RestStorage } from './rest-storage.js';

export type SubresourceHandler = (storage: RestStorage, namespace: string | undefined, name: string, body: KObject) => Promise<{ code: number; body: unknown }>;

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const bindPod: SubresourceHandler = async (storage, namespace, name, binding) => {
  const target = binding.target as { kind?: string; name?: string } | undefined;
  if (!target?.name) {
    throw errors.invalid('Binding', '', name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  }
  await storage.guaranteedUpdate(namespace, name, 'binding', {}, (pod) => {
    const spec = pod.spec as { nodeName?: string };
    if (pod.metadata.deletionTimestamp) throw errors.conflict('pods', '', name, 'pod is being deleted, cannot be assigned to a host');
    if (spec.nodeName) throw errors.conflict('pods', '', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    const status = isPlainObject(pod.status) ? { ...pod.status } : {};
    const conditions = ((status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowIso() } as never);
    return { ...pod, spec: { ...(pod.spec as object), nodeName: target.name }, status: { ...status, conditions } };
  });
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
};

/** No PodDisruptionBudgets exist in everynode, so an eviction is a delete with its options. */
export const evictPod: SubresourceHandler = async (storage, namespace, name, eviction) => {
  const opts = (eviction.deleteOptions ?? {}) as { gracePeriodSeconds?: number };
  try {
    await storage.delete(namespace, name, { gracePeriodSeconds: opts.gracePeriodSeconds });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw errors.internal(String(err));
  }
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
};
