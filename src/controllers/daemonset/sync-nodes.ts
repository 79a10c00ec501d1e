// syncNodes: carries out a plan — creates daemon pods on nodes and deletes pods — with upstream's
// guards: at most burstReplicas of each per sync, expectations set before the first call,
// creations in slow-start batches (1, 2, 4, …, each in parallel; a failing batch stops the
// rest), deletions in parallel, and an event on the DaemonSet for each outcome.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../api/errors.js';
import type { Expectations } from './expectations.js';
import type { DaemonSetEvent } from './manage.js';
import { daemonPodTemplate, newDaemonPod } from './pods.js';

export interface PodControl {
  createPod(namespace: string, pod: Pod): Promise<Pod>;
  deletePod(namespace: string, name: string): Promise<void>;
}

export interface SyncNodesDeps {
  pods: PodControl;
  expectations: Expectations;
  /** Records an event on the DaemonSet. */
  record(event: DaemonSetEvent): void;
  burstReplicas: number;
}

const SLOW_START_INITIAL_BATCH_SIZE = 1;

function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Throws the collected errors (one as itself, several aggregated). */
function throwAll(errors: unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map(message).join('; '));
}

export async function syncNodes(deps: SyncNodesDeps, ds: DaemonSet, key: string, podsToDelete: readonly string[], nodesNeedingPods: readonly string[], hash: string): Promise<void> {
  const namespace = ds.metadata?.namespace ?? '';
  const createDiff = Math.min(nodesNeedingPods.length, deps.burstReplicas);
  const deleteDiff = Math.min(podsToDelete.length, deps.burstReplicas);
  deps.expectations.set(key, createDiff, deleteDiff);
  const errors: unknown[] = [];

  const template = daemonPodTemplate(ds, hash);
  const create = async (nodeName: string): Promise<void> => {
    try {
      const pod = newDaemonPod(ds, template, nodeName);
      if (!Object.keys(pod.metadata?.labels ?? {}).length) throw new Error('unable to create pods, no labels');
      const created = await deps.pods.createPod(namespace, pod);
      deps.record({ type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${created.metadata?.name}` });
    } catch (err) {
      // Every later create would fail the same way while the namespace goes away.
      if (isNamespaceTerminating(err)) return;
      deps.record({ type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message(err)}` });
      deps.expectations.creationObserved(key);
      errors.push(err);
    }
  };
  let batch = Math.min(createDiff, SLOW_START_INITIAL_BATCH_SIZE);
  for (let pos = 0; pos < createDiff; ) {
    const before = errors.length;
    await Promise.all(nodesNeedingPods.slice(pos, pos + batch).map(create));
    const skipped = createDiff - (pos + batch);
    if (errors.length > before && skipped > 0) {
      // Not attempted: the next sync tries again from a batch of one.
      deps.expectations.lower(key, skipped, 0);
      break;
    }
    pos += batch;
    batch = Math.min(2 * batch, createDiff - pos);
  }

  await Promise.all(
    podsToDelete.slice(0, deleteDiff).map(async (name) => {
      try {
        await deps.pods.deletePod(namespace, name);
        deps.record({ type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${name}` });
      } catch (err) {
        deps.expectations.deletionObserved(key);
        if (isNotFound(err)) return;
        deps.record({ type: 'Warning', reason: 'FailedDelete', message: `Error deleting: ${message(err)}` });
        errors.push(err);
      }
    }),
  );
  throwAll(errors);
}
