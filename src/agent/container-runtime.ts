// The container-level interface that real runtimes (process, podman, docker) implement. The
// kubelet logic on top of it — init containers in order, restarts with back-off, probes,
// graceful stop, status — is written once (src/agent/kubelet/) and turns any ContainerRuntime
// into a PodRuntime (src/agent/runtime.ts), the interface the simulated runtime implements too.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';

/** A container as the kubelet asks for it: spec plus what the kubelet resolved for it. */
export interface ContainerRequest {
  pod: Pod;
  /** The spec, with `$(VAR)` references in command and args already expanded from `env`. */
  container: Container;
  /** Environment after resolving `valueFrom.fieldRef` (spec.nodeName, metadata.name, status.hostIP...). */
  env: Record<string, string>;
  /** 0 for the first run; the kubelet's restart count for this container. */
  attempt: number;
  /** Where the container's stdout/stderr go, in the CRI log format (see logs below). */
  logPath: string;
}

/** A started container. */
export interface ContainerHandle {
  /** Runtime-qualified, e.g. `process://1234-...` or `podman://<id>` — the status `containerID`. */
  id: string;
  /** ISO timestamp. */
  startedAt: string;
  /** The image as reported in status (`image`, `imageID`). */
  image: string;
  imageID: string;
  /** What the runtime could not honour for this container (e.g. limits without cgroups): Warning events. */
  warnings?: string[];
}

export interface ContainerExit {
  exitCode: number;
  /** `Completed` (0), `Error`, `OOMKilled`, `ContainerStatusUnknown` (adopted, exit unknowable)... */
  reason: string;
  signal?: number;
  message?: string;
  finishedAt: string;
}

/** A container found running when the agent starts (it survived an agent restart). */
export interface RunningContainer {
  handle: ContainerHandle;
  podUid: string;
  containerName: string;
  attempt: number;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

/**
 * Container logs are files in the CRI format, one line each:
 *   `2026-11-22T05:00:00.123456789Z stdout F the line`
 * (stream stdout|stderr; F = full line, P = partial). kubectl logs --timestamps shows the time.
 */
export interface ContainerRuntime {
  /** `process`, `podman`, `docker`: the node's containerRuntimeVersion is `<name>://<version>`. */
  readonly name: string;
  readonly version: string;
  /**
   * Checks the host can run containers this way; throws an Error saying what to install or fix.
   * May resolve with what works only partly here (e.g. "not root: no hostPath mounts"), for the agent to log.
   */
  check(): Promise<string[] | void>;
  /** Starts one container; rejects (e.g. image missing, bad command) with a message for the pod's status. */
  start(req: ContainerRequest): Promise<ContainerHandle>;
  /** Resolves once the container has exited (also for adopted ones). */
  wait(id: string): Promise<ContainerExit>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after `graceSeconds`; resolves when gone. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Runs a command inside the container (exec probes, preStop hooks). */
  exec(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult>;
  /** Frees what a stopped container left (cgroups, mounts, the container itself). */
  remove(id: string): Promise<void>;
  /** Containers this runtime started earlier on this host (for adoption after an agent restart). */
  listRunning(): Promise<RunningContainer[]>;
  /** Frees what a pod's containers shared (emptyDir volumes) once all of them are removed. */
  removePod?(podUid: string): Promise<void>;
}
