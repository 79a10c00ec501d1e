// The container runtimes `everynode agent --runtime` offers, each with its files under the
// agent's state dir.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ContainerRuntime } from './container-runtime.js';
import { createDockerRuntime } from './runtimes/oci-cli/docker.js';
import { createPodmanRuntime } from './runtimes/oci-cli/podman.js';
import { ProcessRuntime } from './runtimes/process/process-runtime.js';

export const RUNTIME_KINDS = ['process', 'podman', 'docker'] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** A runtime that can let go of what it watches (so the agent may exit, its containers running on). */
export type ClosableRuntime = ContainerRuntime & { close(): void };

export function createContainerRuntime(kind: RuntimeKind, stateDir: string, log: Logger): ClosableRuntime {
  switch (kind) {
    case 'process':
      return new ProcessRuntime({ stateDir: join(stateDir, 'process'), log });
    case 'podman':
      return createPodmanRuntime({ stateDir });
    case 'docker':
      return createDockerRuntime({ stateDir });
  }
}
