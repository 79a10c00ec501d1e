// The docker CLI as a container runtime: a Docker engine (dockerd) must be running and reachable
// the way the CLI finds it (DOCKER_HOST or the default socket). The engine keeps its own storage
// and configuration; containers are told apart from other agents' by the state-dir label. Docker
// cannot write CRI logs, so a pump copies `docker logs` into the CRI file.
import { cliOutput, type CliInvocation } from './cli.js';
import { OciCliRuntime } from './cli-runtime.js';
import type { LogPump, OciCliDialect } from './dialect.js';
import { pumpDockerLogs } from './docker-log-pump.js';
import type { ExitEvents } from './exit-watcher.js';

export interface DockerRuntimeOptions {
  /** The agent's state dir (emptyDir volumes, termination messages; the label naming our containers). */
  stateDir: string;
  /** Default `docker` (from PATH). */
  binary?: string;
}

export const dockerExitEvents: ExitEvents = {
  args: (since) => ['events', '--format', '{{json .}}', '--filter', 'type=container', '--filter', 'event=die', '--since', since.toISOString()],
  exitedId(line) {
    try {
      const e = JSON.parse(line) as { Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
      return e.Action === 'die' || e.status === 'die' ? (e.Actor?.ID ?? e.id) : undefined;
    } catch {
      return undefined;
    }
  },
};

export class DockerDialect implements OciCliDialect {
  readonly name = 'docker';
  readonly invocation: CliInvocation;
  readonly exitEvents = dockerExitEvents;
  readonly podHostname = false;

  constructor(opts: DockerRuntimeOptions) {
    this.invocation = { binary: opts.binary ?? 'docker', globalArgs: [], env: process.env };
  }

  async prepare(): Promise<void> {}

  async version(): Promise<string> {
    try {
      return (await cliOutput(this.invocation, ['version', '--format', '{{.Server.Version}}'])).trim();
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? `${this.invocation.binary} is not installed (the docker runtime needs the docker CLI and a running Docker engine)`
          : `cannot reach the Docker engine (the docker runtime needs a running dockerd): ${(err as Error).message}`,
      );
    }
  }

  logArgs(): string[] {
    // The engine's copy, read back by the pump, is kept small: the CRI file is the one that counts.
    return ['--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=2'];
  }

  pumpLogs(id: string, logPath: string, resume: boolean): LogPump {
    return pumpDockerLogs(this.invocation, id, logPath, resume);
  }

  startDir(): undefined {
    return undefined;
  }
}

export function createDockerRuntime(opts: DockerRuntimeOptions): OciCliRuntime {
  return new OciCliRuntime(new DockerDialect(opts), opts.stateDir);
}
