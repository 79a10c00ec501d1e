// Why a container could not be started, with the waiting reason upstream's kubelet would show
// for it. ContainerRuntime.start() rejects with this, so the kubelet can put `reason` in the
// container's waiting state and `message` in its status and events.

/** `CreateContainerConfigError`: the pod asks for something this runtime refuses or cannot do. */
export const CONFIG_ERROR = 'CreateContainerConfigError';
/** `RunContainerError`: the container was set up but its process could not be started. */
export const RUN_ERROR = 'RunContainerError';

export class ContainerStartError extends Error {
  constructor(
    readonly reason: typeof CONFIG_ERROR | typeof RUN_ERROR,
    message: string,
  ) {
    super(message);
    this.name = 'ContainerStartError';
  }
}

export const configError = (message: string): ContainerStartError => new ContainerStartError(CONFIG_ERROR, message);
export const runError = (message: string): ContainerStartError => new ContainerStartError(RUN_ERROR, message);
