// Where podman and docker differ, behind one small interface; everything else is shared
// (cli-runtime.ts).
import type { CliInvocation } from './cli.js';
import type { ExitEvents } from './exit-watcher.js';
import type { ContainerInfo } from './inspect.js';

/** Copies a container's output into its CRI log file while it runs (for CLIs that cannot write one). */
export interface LogPump {
  /** Resolves once everything the container wrote is in the file (it exited) or the pump was stopped. */
  readonly done: Promise<void>;
  stop(): void;
}

export interface OciCliDialect {
  readonly name: 'podman' | 'docker';
  readonly invocation: CliInvocation;
  readonly exitEvents: ExitEvents;
  /** `--hostname` works with `--network host` (podman: yes; docker refuses the pair). */
  readonly podHostname: boolean;
  /** Makes the host ready for the CLI (config files, directories); called once before any other call. */
  prepare(): Promise<void>;
  /** The CLI's (or engine's) version; throws with what to install or fix. */
  version(): Promise<string>;
  /** `create` flags sending the container's output to `logPath` in the CRI format; [] if `pumpLogs` does it. */
  logArgs(logPath: string): string[];
  /** Starts copying a running container's output into `logPath`; `resume` continues a file written before. */
  pumpLogs?(id: string, logPath: string, resume: boolean): LogPump;
  /** The directory `start` must run in (podman: conmon writes its OOM marker into its working directory). */
  startDir(info: ContainerInfo): string | undefined;
}
