// Turns a ContainerRuntime (process, podman, docker) into the PodRuntime the agent's pod workers
// drive: one PodRunner per pod. The first time it is used it asks the container runtime which
// containers are already running (left by an agent that was restarted): a pod started later
// adopts its own (matched by pod uid and container name) instead of starting second copies, and
// `reconcileOrphans` stops those whose pod is gone.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { ContainerRuntime, RunningContainer } from '../container-runtime.js';
import type { PodRuntime, PodRuntimeStatus, PodSink } from '../runtime.js';
import { DEFAULT_TIMING, PodRunner, type KubeletTiming } from './pod-runner.js';

export interface ContainerPodRuntimeOptions {
  runtime: ContainerRuntime;
  /** The primary address of the node a pod is bound to. */
  hostIP(nodeName: string): string | undefined;
  /** A pod's own address; by default the node's (containers share the host's network). */
  podIP?(pod: Pod): string | undefined;
  /** Container logs go under here (see log-paths.ts). */
  logDir: string;
  /** The node's allocatable resources, which the downward API reports for limits a container does not set. */
  allocatable?: Record<string, string>;
  timing?: Partial<KubeletTiming>;
  /** Milliseconds since the epoch (timestamps, back-off); injectable for tests. */
  now?: () => number;
  log?: Logger;
}

const NO_STATUS: PodRuntimeStatus = { sandboxReady: false, initContainers: [], containers: [] };

export class ContainerPodRuntime implements PodRuntime {
  readonly name: string;
  readonly version: string;
  private readonly runners = new Map<string, PodRunner>();
  private readonly timing: KubeletTiming;
  /** Containers found running at start, by pod uid, until a pod claims them or they are reconciled away. */
  private found: Promise<Map<string, RunningContainer[]>> | undefined;

  constructor(private readonly o: ContainerPodRuntimeOptions) {
    this.name = o.runtime.name;
    this.version = o.runtime.version;
    this.timing = { ...DEFAULT_TIMING, ...o.timing };
  }

  startPod(pod: Pod, sink: PodSink): void {
    const uid = pod.metadata!.uid!;
    if (this.runners.has(uid)) return;
    const hostIP = this.o.hostIP(pod.spec!.nodeName ?? '') ?? pod.status?.hostIP ?? '';
    const podIP = (!pod.spec!.hostNetwork && this.o.podIP?.(pod)) || hostIP;
    const adoptable = this.inventory().then((byPod) => {
      const mine = byPod.get(uid) ?? [];
      byPod.delete(uid);
      return mine;
    });
    const runner = new PodRunner(pod, {
      runtime: this.o.runtime,
      sink,
      hostIP,
      podIP,
      logDir: this.o.logDir,
      ...(this.o.allocatable ? { allocatable: this.o.allocatable } : {}),
      timing: this.timing,
      now: this.o.now ?? Date.now,
      adoptable,
      onError: (err, what) => this.o.log?.warn({ err, pod: `${pod.metadata!.namespace}/${pod.metadata!.name}` }, `kubelet: ${what} failed`),
    });
    this.runners.set(uid, runner);
    runner.start();
  }

  async stopPod(uid: string, graceSeconds: number): Promise<PodRuntimeStatus> {
    const runner = this.runners.get(uid);
    if (!runner) return NO_STATUS;
    try {
      return await runner.stop(graceSeconds);
    } finally {
      if (this.runners.get(uid) === runner) this.runners.delete(uid);
    }
  }

  /**
   * Stops (within `graceSeconds`) and removes the containers found running at start that belong
   * to no pod in `knownPodUids` and that no started pod adopted. Resolves with how many it stopped.
   */
  async reconcileOrphans(knownPodUids: Iterable<string>, graceSeconds = 30): Promise<number> {
    const known = new Set(knownPodUids);
    const byPod = await this.inventory();
    const orphans: RunningContainer[] = [];
    for (const [uid, containers] of byPod) {
      if (known.has(uid) || this.runners.has(uid)) continue;
      byPod.delete(uid);
      orphans.push(...containers);
    }
    await Promise.all(
      orphans.map(async (c) => {
        try {
          await this.o.runtime.stop(c.handle.id, graceSeconds);
          await this.o.runtime.remove(c.handle.id);
        } catch (err) {
          this.o.log?.warn({ err, container: c.handle.id }, 'kubelet: stopping an orphaned container failed');
        }
      }),
    );
    return orphans.length;
  }

  /** What was running when the agent started; asked once. A failure is logged and reads as nothing. */
  private inventory(): Promise<Map<string, RunningContainer[]>> {
    this.found ??= this.o.runtime.listRunning().then(
      (list) => {
        const byPod = new Map<string, RunningContainer[]>();
        for (const c of list) byPod.set(c.podUid, [...(byPod.get(c.podUid) ?? []), c]);
        return byPod;
      },
      (err) => {
        this.o.log?.error({ err }, 'kubelet: listing running containers failed; none adopted');
        return new Map<string, RunningContainer[]>();
      },
    );
    return this.found;
  }
}
