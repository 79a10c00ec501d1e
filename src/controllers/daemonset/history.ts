// ControllerRevision history (upstream constructHistory / snapshot / dedupCurHistories /
// cleanupHistory): one revision per distinct template, the current one renumbered to the top
// when the template returns to it (rollback), old ones trimmed to revisionHistoryLimit except
// those pods still run, and name collisions resolved by bumping status.collisionCount.
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import { ApiError } from '../../api/errors.js';
import { clone } from '../../api/object.js';
import { computeTemplateHash } from './hash.js';
import { controllerRefTo } from './ownership.js';
import { HASH_LABEL } from './pods.js';
import { revisionData, revisionDataBytes, storedDataBytes } from './revision-data.js';

export const DEFAULT_REVISION_HISTORY_LIMIT = 10;

export function revisionOf(cr: ControllerRevision): number {
  return cr.revision ?? 0;
}

/** Match: the revision holds exactly the DaemonSet's current template. */
export function revisionMatches(ds: DaemonSet, cr: ControllerRevision): boolean {
  return storedDataBytes(cr.data) === revisionDataBytes(ds);
}

export function maxRevision(crs: readonly ControllerRevision[]): number {
  return crs.reduce((max, cr) => Math.max(max, revisionOf(cr)), 0);
}

/** Splits claimed revisions into those holding the current template and the others. */
export function splitHistory(ds: DaemonSet, crs: readonly ControllerRevision[]): { current: ControllerRevision[]; old: ControllerRevision[] } {
  const bytes = revisionDataBytes(ds);
  const current: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (const cr of crs) (storedDataBytes(cr.data) === bytes ? current : old).push(cr);
  return { current, old };
}

/** Of several revisions of the current template, the one to keep: highest revision, later on ties. */
export function pickCurrent(current: readonly ControllerRevision[]): ControllerRevision {
  let keep = current[0]!;
  for (const cr of current) if (revisionOf(cr) >= revisionOf(keep)) keep = cr;
  return keep;
}

/**
 * cleanupHistory's choice: the oldest old revisions beyond the limit, skipping any whose hash a
 * pod still carries (so more than `limit` may remain).
 */
export function revisionsToTrim(ds: DaemonSet, old: readonly ControllerRevision[], liveHashes: ReadonlySet<string>): ControllerRevision[] {
  let toKill = old.length - (ds.spec?.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT);
  const out: ControllerRevision[] = [];
  for (const cr of [...old].sort((a, b) => revisionOf(a) - revisionOf(b))) {
    if (toKill <= 0) break;
    if (liveHashes.has(cr.metadata?.labels?.[HASH_LABEL] ?? '')) continue;
    out.push(cr);
    toKill--;
  }
  return out;
}

/** The revision `snapshot` creates for the current template. */
export function newRevision(ds: DaemonSet, hash: string, revision: number): ControllerRevision {
  const meta = ds.metadata ?? {};
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${meta.name}-${hash}`,
      namespace: meta.namespace,
      labels: { ...ds.spec?.template?.metadata?.labels, [HASH_LABEL]: hash },
      ownerReferences: [controllerRefTo(ds)],
    },
    data: revisionData(ds),
    revision,
  };
  // The DaemonSet's annotations at this moment: kubectl rollout history shows change-cause from here.
  if (meta.annotations) cr.metadata!.annotations = { ...meta.annotations };
  return cr;
}

/** What history maintenance needs from the API. */
export interface HistoryApi {
  createRevision(cr: ControllerRevision): Promise<ControllerRevision>;
  getRevision(namespace: string, name: string): Promise<ControllerRevision>;
  updateRevision(cr: ControllerRevision): Promise<ControllerRevision>;
  deleteRevision(namespace: string, name: string): Promise<void>;
  getDaemonSet(namespace: string, name: string): Promise<DaemonSet>;
  updateDaemonSetStatus(ds: DaemonSet): Promise<void>;
  /** Sets the pod's hash label (a JSON merge patch of that one label). */
  relabelPod(namespace: string, name: string, hash: string): Promise<void>;
}

function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

/**
 * snapshot: creates the revision of the current template. If the name is taken by a revision of
 * another template (a hash collision), bumps status.collisionCount — the next sync hashes with
 * the new salt — and fails this sync.
 */
export async function snapshot(api: HistoryApi, ds: DaemonSet, revision: number): Promise<ControllerRevision> {
  const collisionCount = ds.status?.collisionCount ?? undefined;
  const cr = newRevision(ds, computeTemplateHash(ds.spec?.template, collisionCount), revision);
  const namespace = ds.metadata?.namespace ?? '';
  try {
    return await api.createRevision(cr);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await api.getRevision(namespace, cr.metadata!.name!);
    if (revisionMatches(ds, existing)) return existing;
    const fresh = await api.getDaemonSet(namespace, ds.metadata?.name ?? '');
    const freshCount = fresh.status?.collisionCount ?? undefined;
    if (freshCount !== collisionCount) {
      throw new Error(`found a stale collision count (${collisionCount}, expected ${freshCount}) of DaemonSet "${ds.metadata?.name}" while processing; will retry until it is updated`);
    }
    const bumped = clone(fresh) as DaemonSet & { status: Record<string, unknown> };
    bumped.status = { ...bumped.status, collisionCount: (freshCount ?? 0) + 1 };
    await api.updateDaemonSetStatus(bumped);
    throw err;
  }
}

export interface HistoryState {
  current: ControllerRevision;
  old: ControllerRevision[];
}

/**
 * constructHistory over the claimed revisions: labels any revision lacking the hash label with
 * its own name, finds or creates the current revision, removes duplicates of it (relabelling
 * pods to the kept hash first) and renumbers it to max(old)+1 when it is behind.
 */
export async function constructHistory(
  api: HistoryApi,
  ds: DaemonSet,
  claimed: readonly ControllerRevision[],
  daemonPods: () => readonly { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }[],
): Promise<HistoryState> {
  const labelled: ControllerRevision[] = [];
  for (const cr of claimed) {
    if (cr.metadata?.labels?.[HASH_LABEL] !== undefined) {
      labelled.push(cr);
      continue;
    }
    const copy = clone(cr) as ControllerRevision & { metadata: { labels?: Record<string, string> } };
    copy.metadata.labels = { ...copy.metadata.labels, [HASH_LABEL]: copy.metadata.name ?? '' };
    labelled.push(await api.updateRevision(copy));
  }
  const { current, old } = splitHistory(ds, labelled);
  const currRevision = maxRevision(old) + 1;
  if (current.length === 0) return { current: await snapshot(api, ds, currRevision), old };

  const keep = pickCurrent(current);
  if (current.length > 1) {
    const keepHash = keep.metadata?.labels?.[HASH_LABEL] ?? '';
    for (const pod of daemonPods()) {
      if (pod.metadata?.labels?.[HASH_LABEL] !== keepHash) await api.relabelPod(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', keepHash);
    }
    for (const cr of current) if (cr !== keep) await api.deleteRevision(cr.metadata?.namespace ?? '', cr.metadata?.name ?? '');
  }
  if (revisionOf(keep) < currRevision) {
    const renumbered = { ...(clone(keep) as ControllerRevision), revision: currRevision };
    return { current: await api.updateRevision(renumbered), old };
  }
  return { current: keep, old };
}

/** cleanupHistory: deletes the revisions `revisionsToTrim` picks. */
export async function cleanupHistory(api: HistoryApi, ds: DaemonSet, old: readonly ControllerRevision[], liveHashes: ReadonlySet<string>): Promise<void> {
  for (const cr of revisionsToTrim(ds, old, liveHashes)) {
    await api.deleteRevision(cr.metadata?.namespace ?? '', cr.metadata?.name ?? '');
  }
}

