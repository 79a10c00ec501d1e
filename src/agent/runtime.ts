// The one interface between the agent (node registration, heartbeats, pod status) and whatever
// actually runs containers: simulated, process, podman, docker. A runtime starts and stops a
// pod's containers and says what they are doing; turning that into a Pod status, and writing it,
// is the agent's job.
import type { ContainerState, Pod } from 'kubernetes-types/core/v1.js';

/** What the runtime knows about one container (init or regular) it has tried to start. */
export interface ContainerReport {
  name: string;
  /** Exactly one of waiting / running / terminated. */
  state: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** The image as the runtime resolved it (spec image while it is still waiting for a pull). */
  image: string;
  /** '' until the image is present. */
  imageID: string;
  containerID?: string;
}

/** A pod's containers as the runtime sees them. Containers it has not reported yet are still being created. */
export interface PodRuntimeStatus {
  /** The pod sandbox (network namespace) exists: condition PodReadyToStartContainers. */
  sandboxReady: boolean;
  /** Set once the sandbox exists; host-network pods have none (the node's address is theirs). */
  podIP?: string;
  initContainers: ContainerReport[];
  containers: ContainerReport[];
}

/** Where a runtime reports a pod's progress. */
export interface PodSink {
  status(status: PodRuntimeStatus): void;
  /** A core/v1 Event on the pod, as the kubelet records them (Pulling, Failed, BackOff...). */
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface PodRuntime {
  /** e.g. `simulated`; the node's `containerRuntimeVersion` is `<name>://<version>`. */
  readonly name: string;
  readonly version: string;
  /**
   * Starts the pod's containers (or adopts them if they already run, e.g. after an agent
   * restart) and reports every change through `sink`. Starting a pod twice is a no-op.
   */
  startPod(pod: Pod, sink: PodSink): void;
  /**
   * Stops the pod's containers, giving them `graceSeconds` before killing them, and forgets the
   * pod. Resolves with the final status (stopped containers terminated). Unknown pods resolve at once.
   */
  stopPod(uid: string, graceSeconds: number): Promise<PodRuntimeStatus>;
}
