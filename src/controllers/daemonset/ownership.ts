// ControllerRefs: the ownerReference that makes a DaemonSet the controller of a pod or a
// ControllerRevision, and the claim rules (upstream's ControllerRefManager): keep what we own
// and still select, release what we own but no longer select, adopt matching orphans.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../api/object.js';
import { selectorMatches, type Selector } from '../../placement/index.js';

type Owned = { metadata?: { ownerReferences?: readonly OwnerReference[] } };

/** metav1.NewControllerRef for a DaemonSet. */
export function controllerRefTo(ds: DaemonSet): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    name: ds.metadata?.name ?? '',
    uid: ds.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** metav1.GetControllerOf: the ownerReference with controller=true, if any. */
export function controllerOf(obj: Owned): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The UID of the DaemonSet controlling `obj`, if a DaemonSet does. */
export function daemonSetOwnerUid(obj: Owned): string | undefined {
  const ref = controllerOf(obj);
  return ref?.kind === 'DaemonSet' ? ref.uid : undefined;
}

export type ClaimAction = 'keep' | 'adopt' | 'release' | 'ignore';

/**
 * What claiming does with one object. `dsDeleting`: the DaemonSet has a deletionTimestamp (it
 * then neither adopts nor releases).
 */
export function claimAction(ds: DaemonSet, selector: Selector, obj: KObject, dsDeleting = !!ds.metadata?.deletionTimestamp): ClaimAction {
  const ref = controllerOf(obj);
  const matches = selectorMatches(selector, obj.metadata.labels);
  if (ref) {
    if (ref.uid !== ds.metadata?.uid) return 'ignore';
    if (matches) return 'keep';
    return dsDeleting ? 'ignore' : 'release';
  }
  if (dsDeleting || !matches || obj.metadata.deletionTimestamp || obj.metadata.namespace !== ds.metadata?.namespace) return 'ignore';
  return 'adopt';
}

/** Strategic-merge patch adding our controllerRef; the UID pins the patch to this incarnation. */
export function adoptPatch(ds: DaemonSet, obj: KObject): unknown {
  return { metadata: { ownerReferences: [controllerRefTo(ds)], uid: obj.metadata.uid } };
}

/** Strategic-merge patch removing our controllerRef. */
export function releasePatch(ds: DaemonSet, obj: KObject): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ds.metadata?.uid }], uid: obj.metadata.uid } };
}

export interface ClaimDeps {
  /** Re-reads the DaemonSet uncached; rejects if it is gone, replaced or being deleted. */
  canAdopt(): Promise<void>;
  patch(obj: KObject, patch: unknown): Promise<KObject>;
}

function isCode(err: unknown, ...codes: number[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as { code?: number }).code ?? 0);
}

/**
 * Claims `candidates` for the DaemonSet: returns the objects it controls afterwards. Adoption
 * first re-checks the DaemonSet live (once); objects gone meanwhile are skipped. Errors are
 * collected and thrown together after every object was tried.
 */
export async function claim(ds: DaemonSet, selector: Selector, candidates: Iterable<KObject>, deps: ClaimDeps): Promise<KObject[]> {
  const claimed: KObject[] = [];
  const errors: unknown[] = [];
  let adoptCheck: Promise<void> | undefined;
  for (const obj of candidates) {
    const action = claimAction(ds, selector, obj);
    if (action === 'keep') claimed.push(obj);
    if (action === 'adopt') {
      try {
        await (adoptCheck ??= deps.canAdopt());
        claimed.push(await deps.patch(obj, adoptPatch(ds, obj)));
      } catch (err) {
        if (!isCode(err, 404)) errors.push(err);
      }
    }
    if (action === 'release') {
      try {
        await deps.patch(obj, releasePatch(ds, obj));
      } catch (err) {
        // Gone, or no longer ours: nothing left to release.
        if (!isCode(err, 404, 422)) errors.push(err);
      }
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map(String).join('; '));
  return claimed;
}
