// The `process` container runtime: each container is a process group on the host, started by
// the chain in launch.ts (cgroups, mount namespace with the volumes, user), its output in files
// it holds itself and that the agent converts into the CRI log file (log-tailer.ts). The image
// is only shown; the container must give its `command`.
//
// Everything about a container is recorded under the state directory (state.ts) so a restarted
// agent finds it again: listRunning() adopts the ones still alive (same pid AND same start time)
// and cleans up after the others. The exit code of an adopted process cannot be known (it is not
// this agent's child): like upstream's kubelet for a container it lost track of, its exit reads
// `ContainerStatusUnknown` with code 137 — or `OOMKilled` when its cgroup says so.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { constants, hostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { ContainerExit, ContainerHandle, ContainerRequest, ContainerRuntime, ExecResult, RunningContainer } from '../../container-runtime.js';
import { normalizeImage } from '../../image-ref.js';
import { rfc3339 } from '../../node-status.js';
import { limitsFor } from './cgroup-limits.js';
import { cgroupPids, createContainerCgroup, oomKillCount, procsFiles, removeCgroup } from './cgroups.js';
import type { LogRotation } from './cri-log-writer.js';
import { configError, runError } from './errors.js';
import { probeHost, type HostSupport } from './host.js';
import { readPasswd, resolveIdentity } from './identity.js';
import { containerLaunch, execLaunch } from './launch.js';
import { LogTailer, rawLogPath } from './log-tailer.js';
import { planMounts } from './mount-plan.js';
import { checkCommand, checkWorkingDir } from './prechecks.js';
import { groupMembers, isAlive, readStat, signalAll, signalGroup, sleep } from './proc.js';
import { runCaptured } from './run-captured.js';
import { containerDir, type ContainerRecord, loadRecord, loadRecords, podDir, podVolumesDir, removeContainerDir, saveRecord } from './state.js';
import { resolveMounts } from './volumes.js';

export interface ProcessRuntimeOptions {
  /** A directory this runtime owns, e.g. `<agent state dir>/process`. */
  stateDir: string;
  /** CRI log rotation (default 10 MiB, 2 files: the current one and one rotated). */
  logRotation?: LogRotation;
  /** How often containers' output is copied into their CRI log files (default 200 ms). */
  logPollMs?: number;
  /** Below each cgroup hierarchy's root: `<cgroupParent>/<pod uid>/<container>-<id>` (default `everynode`). */
  cgroupParent?: string;
  log?: Pick<Logger, 'warn'>;
}

const ID_PREFIX = 'process://';
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 2 };
const ADOPTED_POLL_MS = 500;
const UNKNOWN_EXIT_MESSAGE = 'The container was started by an earlier run of the agent: its exit code could not be known';

interface Live {
  record: ContainerRecord;
  tailer?: LogTailer;
  /** Resolves once the process exited and what it left behind is gone. */
  exited: Promise<ContainerExit>;
  exit?: ContainerExit;
  /** This agent's child (kept referenced while it runs, so waiting on it keeps node alive). */
  child?: ChildProcess;
  /** Stops polling an adopted process. */
  unwatch?: () => void;
}

/** How the main process ended: from its parent (this agent), or unknown (adopted). */
type Ending = { exitCode: number; signal?: number } | { unknown: true };

const bareId = (id: string): string => (id.startsWith(ID_PREFIX) ? id.slice(ID_PREFIX.length) : id);
const handleOf = (r: ContainerRecord): ContainerHandle => ({ id: ID_PREFIX + r.id, startedAt: r.startedAt, image: r.image, imageID: '' });
const runningOf = (r: ContainerRecord): RunningContainer => ({ handle: handleOf(r), podUid: r.podUid, containerName: r.containerName, attempt: r.attempt });

function deferred<T>(): { promise: Promise<T>; resolve: (value: T | Promise<T>) => void } {
  let resolve!: (value: T | Promise<T>) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** What fd 3 of the setup chain said before it closed: empty when the setup succeeded. */
async function setupErrors(child: ChildProcess): Promise<string> {
  const pipe = child.stdio[3] as Readable;
  const chunks: Buffer[] = [];
  pipe.on('data', (c: Buffer) => chunks.push(c));
  await once(pipe, 'close');
  return Buffer.concat(chunks).toString('utf8').trim();
}

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly version = '1.0';
  private readonly live = new Map<string, Live>();
  /** Containers whose start() has not finished (listRunning must not take them for dead). */
  private readonly starting = new Set<string>();
  /** Pod uid + container name already told that its limits are not enforced. */
  private readonly warned = new Set<string>();
  private hostSupport: HostSupport | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ProcessRuntimeOptions) {}

  private get host(): HostSupport {
    return (this.hostSupport ??= probeHost());
  }

  /** Throws when a required program is missing; resolves with what this host cannot do. */
  async check(): Promise<string[]> {
    const h = this.host;
    if (h.missing.length > 0) throw new Error(`the process runtime needs ${h.missing.join(', ')}: install util-linux and coreutils`);
    const limitations: string[] = [];
    if (h.mountsUnavailable) limitations.push(`hostPath and emptyDir volumes work only where the mountPath is the host path itself, and never read-only: ${h.mountsUnavailable}`);
    if (h.uid !== 0) limitations.push(`runAsUser, runAsGroup and supplementalGroups are refused: the agent runs as uid ${h.uid}`);
    if (!h.cgroups) limitations.push('no cgroups found: resources are not enforced');
    return limitations;
  }

  async start(req: ContainerRequest): Promise<ContainerHandle> {
    const { pod, container } = req;
    const h = this.host;
    if (h.missing.length > 0) throw runError(`the process runtime needs ${h.missing.join(', ')}`);
    if (!container.command?.length) {
      throw configError(`the process runtime runs a container's command, and container "${container.name}" has none (its image ${container.image ?? ''} is only shown, not run)`);
    }
    const podUid = pod.metadata?.uid ?? '';
    const command = [...container.command, ...(container.args ?? [])];
    const identity = resolveIdentity(pod, container, h, readPasswd());
    const env = { PATH: DEFAULT_PATH, HOME: identity.home, HOSTNAME: hostname(), ...req.env };
    const mounts = resolveMounts(pod, container, env, podVolumesDir(this.o.stateDir, podUid));
    const id = randomBytes(32).toString('hex');
    const dir = containerDir(this.o.stateDir, id);
    const plan = planMounts(mounts, { tools: h.tools, newRootDir: join(dir, 'root'), ...(h.mountsUnavailable ? { unavailable: h.mountsUnavailable } : {}) });
    const workingDir = container.workingDir || '/';
    checkWorkingDir(workingDir, mounts);
    checkCommand(command[0]!, env.PATH, workingDir, mounts);

    const record: ContainerRecord = {
      id,
      podUid,
      podNamespace: pod.metadata?.namespace ?? '',
      podName: pod.metadata?.name ?? '',
      containerName: container.name,
      attempt: req.attempt,
      image: normalizeImage(container.image ?? ''),
      logPath: req.logPath,
      startedAt: rfc3339(new Date()),
      pid: 0,
      startTime: '',
      namespaced: plan.script.length > 0,
      workingDir,
      env,
      runAs: identity.runAs,
    };
    this.starting.add(id);
    try {
      // Recorded before anything exists, so that a crash from here on leaves something to clean up.
      saveRecord(this.o.stateDir, record);
      if (plan.newRoot) mkdirSync(plan.newRoot);
      const cgroup = createContainerCgroup(h.cgroups, join(this.o.cgroupParent ?? 'everynode', podUid, `${container.name}-${id.slice(0, 12)}`), limitsFor(container));
      if (cgroup.record) record.cgroup = cgroup.record;
      saveRecord(this.o.stateDir, record);
      const launch = containerLaunch(h.tools, { command, env, workingDir, runAs: identity.runAs, cgroupProcs: cgroup.record ? procsFiles(cgroup.record) : [], mountScript: plan.script, ...(plan.newRoot ? { newRoot: plan.newRoot } : {}) });
      const child = this.spawnContainer(dir, launch.argv, launch.env, launch.syncFd);
      if (child.pid === undefined) {
        const [err] = (await once(child, 'error')) as [Error];
        throw runError(`failed to start the container's process: ${err.message}`);
      }
      record.pid = child.pid;
      record.startTime = readStat(child.pid)?.startTime ?? '';
      saveRecord(this.o.stateDir, record);
      const exited = deferred<ContainerExit>();
      const live: Live = { record, child, tailer: new LogTailer(dir, req.logPath, this.o.logRotation ?? DEFAULT_ROTATION, h.fallocate), exited: exited.promise };
      child.once('exit', (code, signal) => {
        const n = signal ? (constants.signals[signal] ?? 0) : 0;
        exited.resolve(this.ended(live, signal ? { exitCode: 128 + n, signal: n } : { exitCode: code ?? 0 }, true));
      });
      this.live.set(id, live);
      const failure = launch.syncFd ? await setupErrors(child) : '';
      if (failure) {
        await live.exited;
        throw runError(`failed to set up the container: ${failure}`);
      }
      this.pumpCheck();
      const warnings = this.firstWarnings(`${podUid}/${container.name}`, cgroup.warnings);
      return { ...handleOf(record), ...(warnings.length > 0 ? { warnings } : {}) };
    } catch (e) {
      if (this.live.has(id)) await this.remove(id);
      else {
        if (record.cgroup) await removeCgroup(record.cgroup);
        removeContainerDir(this.o.stateDir, id);
      }
      throw e;
    } finally {
      this.starting.delete(id);
    }
  }

  private spawnContainer(dir: string, argv: string[], env: Record<string, string>, syncFd: boolean): ChildProcess {
    // The container's own O_APPEND descriptors: it never writes into a pipe the agent must drain.
    const out = openSync(rawLogPath(dir, 'stdout'), 'a', 0o600);
    const err = openSync(rawLogPath(dir, 'stderr'), 'a', 0o600);
    try {
      return spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, err, syncFd ? 'pipe' : 'ignore'], env, cwd: '/' });
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  /** Warnings not given yet for this container of this pod (a restart does not repeat them). */
  private firstWarnings(key: string, warnings: string[]): string[] {
    if (warnings.length === 0 || this.warned.has(key)) return [];
    this.warned.add(key);
    return warnings;
  }

  async wait(id: string): Promise<ContainerExit> {
    const live = this.find(id);
    if (!live) throw new Error(`container ${id} not found`);
    return live.exited;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const live = this.find(id);
    if (!live || live.exit) return;
    const { pid, startTime } = live.record;
    if (isAlive(pid, startTime)) signalGroup(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace over'>((resolve) => (timer = setTimeout(() => resolve('grace over'), Math.max(0, graceSeconds) * 1000)));
    const first = await Promise.race([live.exited, graceOver]);
    clearTimeout(timer);
    if (first === 'grace over') this.kill(live.record);
    await live.exited;
  }

  /** SIGKILL to the container's process group and to everything in its cgroups. */
  private kill(r: ContainerRecord): void {
    if (isAlive(r.pid, r.startTime)) signalGroup(r.pid, 'SIGKILL');
    if (r.cgroup) signalAll(cgroupPids(r.cgroup), 'SIGKILL');
  }

  async exec(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult> {
    const live = this.find(id);
    const r = live?.record;
    if (!live || !r || live.exit || !isAlive(r.pid, r.startTime)) throw new Error(`container ${id} is not running`);
    const launch = execLaunch(this.host.tools, {
      pid: r.pid,
      namespaced: r.namespaced,
      command,
      env: r.env,
      workingDir: r.workingDir,
      runAs: r.runAs,
      cgroupProcs: r.cgroup ? procsFiles(r.cgroup) : [],
    });
    return runCaptured(launch, timeoutSeconds);
  }

  async remove(id: string): Promise<void> {
    const bare = bareId(id);
    const live = this.find(id);
    if (live) {
      if (!live.exit) this.kill(live.record);
      await live.exited;
      live.unwatch?.();
      live.tailer?.close();
      if (live.record.cgroup) await removeCgroup(live.record.cgroup);
      this.live.delete(bare);
      this.pumpCheck();
    }
    removeContainerDir(this.o.stateDir, bare);
  }

  /** Deletes what the pod's containers shared (its emptyDir volumes), once they are all removed. */
  async removePod(podUid: string): Promise<void> {
    const left = [...this.live.values()].filter((l) => l.record.podUid === podUid);
    if (left.length > 0) throw new Error(`pod ${podUid} still has containers: ${left.map((l) => ID_PREFIX + l.record.id).join(', ')}`);
    rmSync(podDir(this.o.stateDir, podUid), { recursive: true, force: true });
  }

  async listRunning(): Promise<RunningContainer[]> {
    const { records, strays } = loadRecords(this.o.stateDir);
    for (const id of strays) if (!this.starting.has(id)) removeContainerDir(this.o.stateDir, id);
    const running: RunningContainer[] = [];
    for (const rec of records) {
      if (this.starting.has(rec.id)) continue;
      const known = this.live.get(rec.id);
      if (known) {
        // This agent's own: listed while it runs; once exited, the kubelet removes it.
        if (!known.exit && isAlive(rec.pid, rec.startTime)) running.push(runningOf(rec));
        continue;
      }
      const adopted = this.adopt(rec);
      if (adopted.unwatch) running.push(runningOf(rec));
      else await this.remove(rec.id); // died while no agent watched it: its last output is in its log now
    }
    return running;
  }

  /** The container, adopting it from its record when this agent has not seen it yet. */
  private find(id: string): Live | undefined {
    const bare = bareId(id);
    const known = this.live.get(bare);
    if (known) return known;
    const rec = loadRecord(this.o.stateDir, bare);
    return rec ? this.adopt(rec) : undefined;
  }

  /** Takes over a container a previous agent started: watches it, or finishes it if it is gone. */
  private adopt(rec: ContainerRecord): Live {
    let tailer: LogTailer | undefined;
    try {
      tailer = new LogTailer(containerDir(this.o.stateDir, rec.id), rec.logPath, this.o.logRotation ?? DEFAULT_ROTATION, this.host.fallocate);
    } catch (err) {
      this.o.log?.warn({ err, container: ID_PREFIX + rec.id }, 'process runtime: the container output cannot be read');
    }
    const exited = deferred<ContainerExit>();
    const live: Live = { record: rec, ...(tailer ? { tailer } : {}), exited: exited.promise };
    if (rec.pid > 0 && isAlive(rec.pid, rec.startTime)) {
      const timer = setInterval(() => {
        if (isAlive(rec.pid, rec.startTime)) return;
        clearInterval(timer);
        exited.resolve(this.ended(live, { unknown: true }, true));
      }, ADOPTED_POLL_MS);
      live.unwatch = () => clearInterval(timer);
    } else {
      exited.resolve(this.ended(live, { unknown: true }, false));
    }
    this.live.set(rec.id, live);
    this.pumpCheck();
    return live;
  }

  /**
   * The main process is gone: what it left behind is killed (as a container's processes die with
   * its init), the rest of its output goes to its log, and its exit is told. `justEnded` says the
   * process group id still names its group (not so for one found dead long after).
   */
  private async ended(live: Live, how: Ending, justEnded: boolean): Promise<ContainerExit> {
    const finishedAt = rfc3339(new Date());
    const r = live.record;
    for (let i = 0; i < 100; i++) {
      const left = [...(justEnded && r.pid > 0 ? groupMembers(r.pid) : []), ...(r.cgroup ? cgroupPids(r.cgroup) : [])];
      if (left.length === 0) break;
      signalAll(left, 'SIGKILL');
      await sleep(20);
    }
    try {
      live.tailer?.finish();
    } catch (err) {
      this.o.log?.warn({ err, container: ID_PREFIX + r.id }, 'process runtime: copying the container output failed');
    }
    const oom = r.cgroup !== undefined && oomKillCount(r.cgroup) > 0;
    let exit: ContainerExit;
    if ('unknown' in how) {
      exit = oom ? { exitCode: 137, reason: 'OOMKilled', finishedAt } : { exitCode: 137, reason: 'ContainerStatusUnknown', message: UNKNOWN_EXIT_MESSAGE, finishedAt };
    } else {
      const reason = oom ? 'OOMKilled' : how.exitCode === 0 ? 'Completed' : 'Error';
      exit = { exitCode: how.exitCode, reason, ...(how.signal ? { signal: how.signal } : {}), finishedAt };
    }
    live.exit = exit;
    this.pumpCheck();
    return exit;
  }

  /** Runs the log pump while some container may still write. */
  private pumpCheck(): void {
    const active = [...this.live.values()].some((l) => l.tailer && !l.exit);
    if (active && !this.pumpTimer) {
      this.pumpTimer = setInterval(() => this.pumpAll(), this.o.logPollMs ?? 200);
      this.pumpTimer.unref();
    } else if (!active && this.pumpTimer) {
      clearInterval(this.pumpTimer);
      this.pumpTimer = undefined;
    }
  }

  private pumpAll(): void {
    for (const l of this.live.values()) {
      if (!l.tailer || l.exit) continue;
      try {
        l.tailer.pump();
      } catch (err) {
        this.o.log?.warn({ err, container: ID_PREFIX + l.record.id }, 'process runtime: copying the container output failed');
      }
    }
  }

  /**
   * Stops watching, so that node may exit: the containers keep running, and a runtime started
   * later on the same state dir adopts them.
   */
  close(): void {
    if (this.pumpTimer) clearInterval(this.pumpTimer);
    this.pumpTimer = undefined;
    for (const l of this.live.values()) {
      l.unwatch?.();
      l.child?.unref();
      l.tailer?.close();
    }
    this.live.clear();
  }
}
