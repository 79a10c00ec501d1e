// The kubelet's pod loop for the nodes this agent runs: a pod bound to one of them is started in
// the runtime; whatever the runtime reports becomes the pod's status (written by a pool of
// concurrent writers, each writing the latest status at the time it gets to the pod, so fast
// successive changes coalesce); a pod marked for deletion is stopped within its grace period,
// its terminal status written, and then deleted for good (grace 0, uid precondition), which is
// how graceful deletion completes. A pod removed from the API (force-deleted) is killed.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import { jsonEqual, type KObject } from '../api/object.js';
import { MIRROR_POD_ANNOTATION } from '../api/resources.js';
import { R, type Client } from '../client/client.js';
import { WorkQueue } from '../client/workqueue.js';
import { rfc3339 } from './node-status.js';
import { buildPodStatus } from './pod-status.js';
import type { PodRuntime, PodRuntimeStatus } from './runtime.js';

export interface PodWorkersOptions {
  client: Client;
  runtime: PodRuntime;
  /** The primary address of a node this agent runs; undefined for any other node. */
  hostIP(nodeName: string): string | undefined;
  log: Logger;
  /** Status writes in flight at once (default 64). */
  concurrency?: number;
  /** Events the runtime records about a pod. */
  onEvent?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** running → terminating (stopping in the runtime) → terminated (stopped; status and delete to write) → deleted. */
type Stage = 'running' | 'terminating' | 'terminated' | 'deleted';

interface Worker {
  uid: string;
  pod: Pod;
  hostIP: string;
  runtime: PodRuntimeStatus;
  stage: Stage;
}

const NOTHING_YET: PodRuntimeStatus = { sandboxReady: false, initContainers: [], containers: [] };

function isTerminalPhase(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function isCode(err: unknown, ...codes: number[]): boolean {
  return err instanceof ApiError && codes.includes(err.code);
}

export class PodWorkers {
  /** By pod uid; a worker stays (stage `deleted`) until the API reports the pod gone. */
  private readonly workers = new Map<string, Worker>();
  private readonly queue: WorkQueue;
  private stopped = false;

  constructor(private readonly o: PodWorkersOptions) {
    this.queue = new WorkQueue((uid) => this.sync(uid), { workers: o.concurrency ?? 64, baseDelayMs: 200, maxDelayMs: 10_000 }, (uid, err) =>
      o.log.debug({ err, pod: this.describe(uid) }, 'pod status sync failed; retrying'),
    );
  }

  /** Pods this agent currently runs or is tearing down. */
  get size(): number {
    let n = 0;
    for (const w of this.workers.values()) if (w.stage !== 'deleted') n++;
    return n;
  }

  /** A pod was added or changed in the API. */
  observe(pod: Pod): void {
    const uid = pod.metadata?.uid;
    const nodeName = pod.spec?.nodeName;
    if (this.stopped || !uid || !nodeName) return;
    // A mirror pod only shows a static pod, which runs from its manifest (static-pods.ts).
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
    const known = this.workers.get(uid);
    if (known) {
      known.pod = pod;
      if (pod.metadata!.deletionTimestamp && known.stage === 'running') this.terminate(known);
      else if (known.stage !== 'deleted') this.queue.add(uid);
      return;
    }
    const hostIP = this.o.hostIP(nodeName);
    if (!hostIP) return;
    // A finished pod is never run again; one marked for deletion before we ran it only needs tearing down.
    if (isTerminalPhase(pod) && !pod.metadata!.deletionTimestamp) return;
    const w: Worker = { uid, pod, hostIP, runtime: NOTHING_YET, stage: 'running' };
    this.workers.set(uid, w);
    if (pod.metadata!.deletionTimestamp) return this.terminate(w);
    this.o.runtime.startPod(pod, {
      status: (s) => {
        if (w.stage !== 'running') return;
        w.runtime = s;
        this.queue.add(uid);
      },
      event: (type, reason, message) => this.o.onEvent?.(w.pod, type, reason, message),
    });
  }

  /** A pod was removed from the API: deleted by us, or forcibly by someone else (then it is killed). */
  forget(pod: Pod): void {
    const uid = pod.metadata?.uid;
    const w = uid ? this.workers.get(uid) : undefined;
    if (!w) return;
    this.workers.delete(w.uid);
    this.queue.forget(w.uid);
    if (w.stage === 'running') void this.o.runtime.stopPod(w.uid, 0);
  }

  /** Stops writing; pods keep "running" (the agent going away does not stop its pods). */
  stop(): void {
    this.stopped = true;
    this.queue.stop();
  }

  private describe(uid: string): string {
    const m = this.workers.get(uid)?.pod.metadata;
    return m ? `${m.namespace}/${m.name}` : uid;
  }

  private terminate(w: Worker): void {
    w.stage = 'terminating';
    const grace = w.pod.metadata!.deletionGracePeriodSeconds ?? w.pod.spec!.terminationGracePeriodSeconds ?? 30;
    void this.o.runtime.stopPod(w.uid, grace).then((final) => {
      if (w.stage !== 'terminating') return;
      w.runtime = final;
      w.stage = 'terminated';
      this.queue.add(w.uid);
    });
  }

  /** Writes the pod's current status if it changed; for a stopped pod, then deletes it. */
  private async sync(uid: string): Promise<void> {
    const w = this.workers.get(uid);
    if (!w || w.stage === 'deleted') return;
    const { client } = this.o;
    const { namespace, name } = w.pod.metadata!;
    const status = buildPodStatus({ pod: w.pod, runtime: w.runtime, hostIP: w.hostIP, terminal: w.stage === 'terminated', now: rfc3339(new Date()) });
    if (!jsonEqual(status, w.pod.status)) {
      try {
        w.pod = (await client.update(R.pods, namespace, { ...w.pod, status } as KObject, 'status')) as Pod;
      } catch (err) {
        if (isCode(err, 404)) return this.gone(w);
        if (!isCode(err, 409)) throw err;
        // Someone else wrote the pod: build again on its latest version.
        const fresh = (await client.get(R.pods, namespace, name!)) as Pod;
        if (fresh.metadata!.uid !== uid) return this.gone(w);
        w.pod = fresh;
        this.queue.add(uid);
        return;
      }
    }
    if (w.stage !== 'terminated') return;
    try {
      await client.delete(R.pods, namespace, name!, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (err) {
      // 404: already gone; 409: the name now belongs to another pod.
      if (!isCode(err, 404, 409)) throw err;
    }
    w.stage = 'deleted';
  }

  /** The pod no longer exists in the API (the informer will say so too). */
  private gone(w: Worker): void {
    if (w.stage === 'running') void this.o.runtime.stopPod(w.uid, 0);
    w.stage = 'deleted';
  }
}
