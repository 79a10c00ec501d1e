// The podman CLI as a container runtime. Podman keeps everything under `<state dir>/podman`: its
// own containers.conf and storage.conf (passed through CONTAINERS_CONF / CONTAINERS_STORAGE_CONF,
// so the host's podman configuration and storage are neither used nor touched), image and
// container storage, and its run/tmp state. The settings are the ones our machines need
// (docs/platform-notes.md): runc (crun fails on hybrid cgroups), cgroupfs (no systemd as PID 1),
// file events, modest default ulimits; plus file locks kept in our tmp dir, so that several
// state dirs on one host never share podman's global lock segment.
//
// Container output goes straight to the CRI log file: podman's k8s-file log driver writes exactly
// that format (conmon writes it, so logs keep flowing while the agent is down).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliOutput, type CliInvocation } from './cli.js';
import { OciCliRuntime } from './cli-runtime.js';
import type { OciCliDialect } from './dialect.js';
import type { ExitEvents } from './exit-watcher.js';
import type { ContainerInfo } from './inspect.js';

export interface PodmanRuntimeOptions {
  /** The agent's state dir; podman's files go to `<stateDir>/podman`. */
  stateDir: string;
  /** Default `podman` (from PATH). */
  binary?: string;
  /** A container's log file is started afresh past this size (conmon's max-size); default 10 MiB. */
  logMaxBytes?: number;
}

export interface PodmanPaths {
  dir: string;
  containersConf: string;
  storageConf: string;
  root: string;
  runRoot: string;
  tmpDir: string;
  bootId: string;
}

export function podmanPaths(stateDir: string): PodmanPaths {
  const dir = join(stateDir, 'podman');
  return {
    dir,
    containersConf: join(dir, 'containers.conf'),
    storageConf: join(dir, 'storage.conf'),
    root: join(dir, 'storage'),
    runRoot: join(dir, 'run'),
    tmpDir: join(dir, 'tmp'),
    bootId: join(dir, 'boot-id'),
  };
}

export const CONTAINERS_CONF = `# Written by everynode's podman runtime; podman reads it through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
log_driver = "k8s-file"
# Kubernetes sets no per-container pids limit.
pids_limit = 0

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
`;

function storageConf(p: PodmanPaths): string {
  return `# Written by everynode's podman runtime; podman reads it through CONTAINERS_STORAGE_CONF.
[storage]
driver = "overlay"
graphroot = ${JSON.stringify(p.root)}
runroot = ${JSON.stringify(p.runRoot)}
`;
}

/** How to call podman on this state dir (also for tools, e.g. building a test image into it). */
export function podmanInvocation(stateDir: string, binary = 'podman'): CliInvocation {
  const p = podmanPaths(stateDir);
  return {
    binary,
    globalArgs: ['--root', p.root, '--runroot', p.runRoot, '--tmpdir', p.tmpDir],
    env: { ...process.env, CONTAINERS_CONF: p.containersConf, CONTAINERS_STORAGE_CONF: p.storageConf },
  };
}

const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

export const podmanExitEvents: ExitEvents = {
  args: (since) => ['events', '--format', 'json', '--filter', 'event=died', '--since', since.toISOString()],
  exitedId(line) {
    try {
      const e = JSON.parse(line) as { ID?: string; Status?: string };
      return e.Status === 'died' ? e.ID : undefined;
    } catch {
      return undefined;
    }
  },
};

export class PodmanDialect implements OciCliDialect {
  readonly name = 'podman';
  readonly invocation: CliInvocation;
  readonly exitEvents = podmanExitEvents;
  readonly podHostname = true;
  private readonly paths: PodmanPaths;
  private readonly logMaxBytes: number;

  constructor(opts: PodmanRuntimeOptions) {
    this.paths = podmanPaths(opts.stateDir);
    this.invocation = podmanInvocation(opts.stateDir, opts.binary);
    this.logMaxBytes = opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES;
  }

  async prepare(): Promise<void> {
    const p = this.paths;
    await mkdir(p.dir, { recursive: true, mode: 0o700 });
    await writeFile(p.containersConf, CONTAINERS_CONF);
    await writeFile(p.storageConf, storageConf(p));
    await forgetPreviousBoot(p);
  }

  async version(): Promise<string> {
    try {
      return (await cliOutput(this.invocation, ['info', '--format', '{{.Version.Version}}'])).trim();
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(
        missing
          ? `${this.invocation.binary} is not installed: apt-get install -y podman runc (scripts/system-deps.sh does it)`
          : `podman cannot run containers here: ${(err as Error).message}`,
      );
    }
  }

  logArgs(logPath: string): string[] {
    return ['--log-driver', 'k8s-file', '--log-opt', `path=${logPath}`, '--log-opt', `max-size=${this.logMaxBytes}`];
  }

  startDir(info: ContainerInfo): string | undefined {
    // conmon (2.1) writes its "oom" marker into its working directory, and podman looks for it
    // in the container's bundle dir: starting there makes State.OOMKilled true after an OOM kill.
    return info.bundleDir;
  }
}

/**
 * Podman's run and tmp dirs describe the running system (mounts, container states) and belong on
 * a tmpfs. Ours live in the state dir, so after a reboot they are stale: remove them then, and
 * podman rebuilds its state (all containers stopped) as it does at boot.
 */
async function forgetPreviousBoot(p: PodmanPaths): Promise<void> {
  const current = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  const recorded = (await readFile(p.bootId, 'utf8').catch(() => '')).trim();
  if (current === recorded) return;
  if (recorded !== '') {
    await rm(p.runRoot, { recursive: true, force: true });
    await rm(p.tmpDir, { recursive: true, force: true });
  }
  await writeFile(p.bootId, current);
}

export function createPodmanRuntime(opts: PodmanRuntimeOptions): OciCliRuntime {
  return new OciCliRuntime(new PodmanDialect(opts), opts.stateDir);
}
