// Why a container could not be started, in the kubelet's words: `reason` is what the container's
// waiting state shows (ErrImagePull, ErrImageNeverPull, CreateContainerConfigError,
// CreateContainerError, RunContainerError) and the message is the state's message.

export type StartFailureReason =
  | 'ErrImagePull'
  | 'ErrImageNeverPull'
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'RunContainerError';

export class ContainerStartError extends Error {
  constructor(
    readonly reason: StartFailureReason,
    message: string,
  ) {
    super(message);
  }
}
