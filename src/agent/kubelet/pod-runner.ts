// One pod's life on a ContainerRuntime, as the kubelet drives it. Init containers run one at a
// time, in order, each to a successful exit (sidecars — init containers with `restartPolicy:
// Always` — are started instead and keep running); then the regular containers start, one after
// the other in spec order (a postStart hook holds the next one back, as upstream). A container
// that exits is restarted as the restart policy says, with CrashLoopBackOff; probes decide
// `started` and `ready` and kill a container that fails liveness. Stopping runs each container's
// preStop hook within the grace period, then stops it with what is left of the grace (at least
// the minimum), sidecars last in reverse order. Every change becomes a PodRuntimeStatus on the
// sink; pod-status.ts turns it into the Pod status.
//
// On an agent restart, containers of the pod found running are adopted (one per name, the
// newest attempt; any other copy is stopped) and containers the pod's status says ran before
// are remembered as exited, so restart counts and lastState carry on.
import { mkdir, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Container, ContainerState, ContainerStateTerminated, ContainerStatus, LifecycleHandler, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { ContainerExit, ContainerHandle, ContainerRuntime, RunningContainer } from '../container-runtime.js';
import { rfc3339 } from '../node-status.js';
import type { ContainerReport, PodRuntimeStatus, PodSink } from '../runtime.js';
import { backOffEventMessage, backOffWaitingMessage, CrashLoopBackOff, DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS } from './backoff.js';
import { ContainerConfigError, containerEnv, expandCommand, type EnvContext } from './env.js';
import { runHook, type ActionTarget } from './handlers.js';
import { containerLogPath, podLogDir } from './log-paths.js';
import { ContainerProber } from './probes.js';

/** Timings the kubelet hard-codes; tests shorten them. */
export interface KubeletTiming {
  /** CrashLoopBackOff: first back-off and cap (10 s, 5 min). */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A container that could not be created or started is tried again after this (upstream's pod sync back-off, 10 s). */
  retryMs: number;
  /** How long one second of probe and hook timing lasts (1000). */
  secondMs: number;
  /** A container being stopped always gets at least this grace (2 s). */
  minimumGraceSeconds: number;
}

export const DEFAULT_TIMING: KubeletTiming = {
  backoffInitialMs: DEFAULT_BACKOFF_INITIAL_MS,
  backoffMaxMs: DEFAULT_BACKOFF_MAX_MS,
  retryMs: 10_000,
  secondMs: 1000,
  minimumGraceSeconds: 2,
};

export interface PodRunnerDeps {
  runtime: ContainerRuntime;
  sink: PodSink;
  /** The node's primary address. */
  hostIP: string;
  /** The pod's address: what env `status.podIP` reads and where probes connect. */
  podIP: string;
  /** Container logs go under here (see log-paths.ts). */
  logDir: string;
  allocatable?: Record<string, string>;
  timing: KubeletTiming;
  /** Milliseconds since the epoch (timestamps, back-off). */
  now: () => number;
  /** The pod's containers found running when the agent started. */
  adoptable: Promise<RunningContainer[]>;
  onError(err: unknown, what: string): void;
}

type Kind = 'init' | 'sidecar' | 'regular';
type KillReason = 'liveness' | 'startup' | 'postStart' | 'stop';

interface Instance {
  handle: ContainerHandle;
  attempt: number;
  exit?: ContainerExit;
  exitedAtMs?: number;
  /** Resolves once the exit is recorded. */
  exited: Promise<void>;
  prober?: ContainerProber;
  killedFor?: KillReason;
  killing?: Promise<void>;
  /** Nothing left to remove in the runtime (removed, or only known from the pod's old status). */
  removed: boolean;
}

interface Slot {
  spec: Container;
  kind: Kind;
  /** The latest instance: running, or the last one that exited. */
  current?: Instance;
  /** How the instance before `current` ended. */
  lastTerminated?: ContainerStateTerminated;
  prevExitAtMs?: number;
  /** Shown instead of the instance's own state: CrashLoopBackOff, CreateContainerConfigError... */
  waiting?: { reason: string; message: string };
  starting: boolean;
  /** The last start failed: the next attempt is a plain retry, not a restart. */
  retryStart: boolean;
  timer?: NodeJS.Timeout;
  /** Will not be started again. */
  done: boolean;
  /** Init container taken as completed because a later one was found running. */
  assumedDone: boolean;
  /** Sidecar: started once, so later init containers may run. */
  everStarted: boolean;
}

function slot(spec: Container, kind: Kind): Slot {
  return { spec, kind, starting: false, retryStart: false, done: false, assumedDone: false, everStarted: false };
}

function timestamp(iso: string | undefined, fallbackMs: number): string {
  const ms = iso ? Date.parse(iso) : NaN;
  return rfc3339(new Date(Number.isNaN(ms) ? fallbackMs : ms));
}

function terminatedState(i: Instance): ContainerStateTerminated {
  const e = i.exit!;
  return {
    exitCode: e.exitCode,
    ...(e.signal ? { signal: e.signal } : {}),
    reason: e.reason,
    ...(e.message ? { message: e.message } : {}),
    startedAt: timestamp(i.handle.startedAt, i.exitedAtMs ?? Date.now()),
    finishedAt: timestamp(e.finishedAt, i.exitedAtMs ?? Date.now()),
    containerID: i.handle.id,
  };
}

function startErrorReason(err: unknown): string {
  if (err instanceof ContainerConfigError) return 'CreateContainerConfigError';
  const reason = (err as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' && reason ? reason : 'RunContainerError';
}

/** A container the pod's status says ran before, no longer running: how it ended, as far as we know. */
function previousRun(o: ContainerStatus, nowMs: number): { instance: Instance; lastTerminated?: ContainerStateTerminated } | undefined {
  if (!o.containerID) return undefined;
  const running = o.state?.running;
  const t: ContainerStateTerminated | undefined =
    o.state?.terminated ??
    (running
      ? { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the agent restarted', startedAt: running.startedAt }
      : o.lastState?.terminated);
  if (!t) return undefined;
  const instance: Instance = {
    handle: { id: o.containerID, startedAt: t.startedAt ?? '', image: o.image, imageID: o.imageID },
    attempt: o.restartCount,
    exit: { exitCode: t.exitCode, reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'), ...(t.signal ? { signal: t.signal } : {}), ...(t.message ? { message: t.message } : {}), finishedAt: t.finishedAt ?? rfc3339(new Date(nowMs)) },
    exitedAtMs: nowMs,
    exited: Promise.resolve(),
    removed: true,
  };
  const lastTerminated = o.state?.terminated || running ? o.lastState?.terminated : undefined;
  return { instance, ...(lastTerminated ? { lastTerminated } : {}) };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class PodRunner {
  private readonly init: Slot[];
  private readonly regular: Slot[];
  private readonly backoff: CrashLoopBackOff;
  private initDone = false;
  private sandboxReady = false;
  private stopping = false;
  private sidecarsStopping = false;
  private running: Promise<void> = Promise.resolve();
  private stopped: Promise<PodRuntimeStatus> | undefined;
  /** Containers start one at a time. */
  private startChain: Promise<void> = Promise.resolve();
  /** runtime.start calls not answered yet (a stop waits for them, then stops what they started). */
  private readonly inFlight = new Set<Promise<unknown>>();
  private flushQueued = false;
  private lastReported = '';

  constructor(
    private readonly pod: Pod,
    private readonly d: PodRunnerDeps,
  ) {
    const spec = pod.spec!;
    this.init = (spec.initContainers ?? []).map((c) => slot(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init'));
    this.regular = spec.containers.map((c) => slot(c, 'regular'));
    this.backoff = new CrashLoopBackOff({ initialMs: d.timing.backoffInitialMs, maxMs: d.timing.backoffMaxMs, now: d.now });
  }

  start(): void {
    this.running = this.run().catch((err) => this.d.onError(err, 'starting the pod'));
  }

  /** Stops every container within `graceSeconds` and resolves with the final status. Idempotent. */
  stop(graceSeconds: number): Promise<PodRuntimeStatus> {
    this.stopped ??= this.teardown(graceSeconds);
    return this.stopped;
  }

  private get slots(): Slot[] {
    return [...this.init, ...this.regular];
  }

  private get sidecars(): Slot[] {
    return this.init.filter((s) => s.kind === 'sidecar');
  }

  private async run(): Promise<void> {
    const found = await this.d.adoptable;
    this.adopt(found);
    if (this.stopping) return;
    this.sandboxReady = true;
    this.sync();
  }

  private adopt(found: RunningContainer[]): void {
    const byName = new Map(this.slots.map((s) => [s.spec.name, s]));
    const newest = new Map<string, RunningContainer>();
    for (const c of found) {
      const prev = newest.get(c.containerName);
      if (!byName.has(c.containerName) || (prev && prev.attempt >= c.attempt)) {
        this.discard(c);
        continue;
      }
      if (prev) this.discard(prev);
      newest.set(c.containerName, c);
    }
    const old = new Map([...(this.pod.status?.initContainerStatuses ?? []), ...(this.pod.status?.containerStatuses ?? [])].map((o) => [o.name, o]));
    for (const s of this.slots) {
      const c = newest.get(s.spec.name);
      const o = old.get(s.spec.name);
      if (c) {
        if (o?.containerID === c.handle.id && o.lastState?.terminated) s.lastTerminated = o.lastState.terminated;
        this.track(s, c.handle, c.attempt);
        continue;
      }
      const before = o && previousRun(o, this.d.now());
      if (!before) continue;
      s.current = before.instance;
      s.lastTerminated = before.lastTerminated;
      if (s.kind === 'sidecar') s.everStarted = true;
    }
    if (this.regular.some((s) => s.current)) this.initDone = true;
    // An init container found running means the ones before it completed.
    const runningInit = this.init.findLastIndex((s) => s.kind === 'init' && s.current && !s.current.exit);
    for (const s of this.init.slice(0, Math.max(runningInit, 0))) if (s.kind === 'init') s.assumedDone = true;
  }

  /** A copy that must not run: a second instance of a container, or one the pod does not have. */
  private discard(c: RunningContainer): void {
    void this.d.runtime
      .stop(c.handle.id, this.d.timing.minimumGraceSeconds)
      .then(() => this.d.runtime.remove(c.handle.id))
      .catch((err) => this.d.onError(err, `stopping duplicate container ${c.handle.id}`));
  }

  /** Decides what to start next; called after every change. */
  private sync(): void {
    if (this.stopping || !this.sandboxReady) return;
    if (!this.initDone) {
      if (!this.syncInit()) {
        if (this.finished()) this.stopSidecars();
        return this.changed();
      }
      this.initDone = true;
    }
    for (const s of this.sidecars) this.syncContainer(s);
    for (const s of this.regular) this.syncContainer(s);
    if (this.finished()) this.stopSidecars();
    this.changed();
  }

  /** Moves the init sequence on; true once every init container has completed (or sidecar started). */
  private syncInit(): boolean {
    for (const s of this.init) {
      if (s.kind === 'sidecar') {
        this.syncContainer(s);
        if (s.everStarted) continue;
        return false;
      }
      if (s.assumedDone || s.current?.exit?.exitCode === 0) continue;
      this.syncContainer(s);
      return false;
    }
    return true;
  }

  /** Starts a container that never ran, retries a failed start, restarts an exited one (with back-off) or gives up on it. */
  private syncContainer(s: Slot): void {
    if (s.starting || s.timer || s.done) return;
    const inst = s.current;
    if (inst && !inst.exit) return;
    if (!inst || s.retryStart) return this.enqueueStart(s);
    if (!this.restarts(s, inst)) {
      s.done = true;
      return;
    }
    // A container killed for a failed probe is started again right away, unless its previous exit was recent.
    const since = inst.killedFor === 'liveness' || inst.killedFor === 'startup' ? s.prevExitAtMs : inst.exitedAtMs;
    if (since !== undefined) {
      const key = s.spec.name;
      const wait = this.backoff.remaining(key, since);
      if (wait > 0) {
        s.waiting = { reason: 'CrashLoopBackOff', message: backOffWaitingMessage(this.backoff.get(key), s.spec.name, this.pod) };
        this.event('Warning', 'BackOff', backOffEventMessage(s.spec.name, this.pod));
        s.timer = this.later(s, wait);
        return;
      }
      this.backoff.next(key, since);
    }
    this.enqueueStart(s);
  }

  private restarts(s: Slot, inst: Instance): boolean {
    const policy = s.kind === 'sidecar' ? 'Always' : (this.pod.spec!.restartPolicy ?? 'Always');
    if (s.kind === 'init') return inst.exit!.exitCode !== 0 && policy !== 'Never';
    if (inst.killedFor === 'liveness' || inst.killedFor === 'startup') return policy !== 'Never';
    return policy === 'Always' || (policy === 'OnFailure' && inst.exit!.exitCode !== 0);
  }

  /** No regular container will run again (or an init container failed for good): the pod is done. */
  private finished(): boolean {
    if (this.init.some((s) => s.kind === 'init' && s.done && s.current?.exit?.exitCode !== 0)) return true;
    return this.initDone && this.regular.every((s) => s.done);
  }

  /** Once a pod is done its sidecars stop too, last one first. */
  private stopSidecars(): void {
    if (this.sidecarsStopping) return;
    this.sidecarsStopping = true;
    for (const s of this.sidecars) {
      s.done = true;
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    void (async () => {
      for (const s of [...this.sidecars].reverse()) {
        const inst = s.current;
        if (inst && !inst.exit) await this.kill(s, inst, this.podGrace(), 'stop');
      }
    })().catch((err) => this.d.onError(err, 'stopping sidecars'));
  }

  private later(s: Slot, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      s.timer = undefined;
      this.sync();
    }, ms);
    timer.unref();
    return timer;
  }

  private enqueueStart(s: Slot): void {
    s.starting = true;
    this.startChain = this.startChain.then(() => this.startContainer(s)).catch((err) => this.d.onError(err, `starting container ${s.spec.name}`));
  }

  private envContext(): EnvContext {
    return { pod: this.pod, hostIPs: [this.d.hostIP], podIPs: [this.d.podIP], ...(this.d.allocatable ? { allocatable: this.d.allocatable } : {}) };
  }

  private async startContainer(s: Slot): Promise<void> {
    if (this.stopping) {
      s.starting = false;
      return;
    }
    const spec = s.spec;
    const attempt = s.current ? s.current.attempt + 1 : 0;
    let handle: ContainerHandle;
    try {
      const env = containerEnv(spec, this.envContext());
      const logPath = containerLogPath(this.d.logDir, this.pod, spec.name, attempt);
      await mkdir(path.dirname(logPath), { recursive: true });
      if (this.stopping) {
        s.starting = false;
        return;
      }
      const started = this.d.runtime.start({ pod: this.pod, container: { ...spec, ...expandCommand(spec, env) }, env, attempt, logPath });
      this.inFlight.add(started);
      try {
        handle = await started;
      } finally {
        this.inFlight.delete(started);
      }
    } catch (err) {
      s.starting = false;
      if (this.stopping) return;
      const message = err instanceof Error ? err.message : String(err);
      s.waiting = { reason: startErrorReason(err), message };
      s.retryStart = true;
      this.event('Warning', 'Failed', `Error: ${message}`);
      s.timer = this.later(s, this.d.timing.retryMs);
      return this.changed();
    }
    s.starting = false;
    s.retryStart = false;
    const inst = this.track(s, handle, attempt);
    this.event('Normal', 'Created', `Created container: ${spec.name}`);
    this.event('Normal', 'Started', `Started container ${spec.name}`);
    // What the runtime could not honour is said on the pod rather than silently dropped.
    for (const w of handle.warnings ?? []) this.event('Warning', 'NotEnforced', `Container ${spec.name}: ${w}`);
    const postStart = spec.lifecycle?.postStart;
    if (postStart && !this.stopping) await this.runPostStart(s, inst, postStart);
    this.sync();
  }

  /** Makes `handle` the slot's current instance: watches its exit and starts its probes. */
  private track(s: Slot, handle: ContainerHandle, attempt: number): Instance {
    const old = s.current;
    if (old) {
      s.lastTerminated = terminatedState(old);
      s.prevExitAtMs = old.exitedAtMs;
      // One exited container (and the log of the one before it) is kept, as the kubelet's GC does.
      if (!old.removed) this.remove(old);
      if (attempt >= 2) void unlink(containerLogPath(this.d.logDir, this.pod, s.spec.name, attempt - 2)).catch(() => {});
    }
    s.waiting = undefined;
    const inst: Instance = { handle, attempt, exited: Promise.resolve(), removed: false };
    inst.exited = this.d.runtime.wait(handle.id).then(
      (exit) => this.onExit(inst, exit),
      (err: Error) => this.onExit(inst, { exitCode: 137, reason: 'ContainerStatusUnknown', message: err.message, finishedAt: rfc3339(new Date(this.d.now())) }),
    );
    s.current = inst;
    if (s.kind !== 'init' && !this.stopping) {
      const startedAtMs = Date.parse(handle.startedAt);
      inst.prober = new ContainerProber(
        { startup: s.spec.startupProbe, liveness: s.spec.livenessProbe, readiness: s.spec.readinessProbe },
        this.target(s, inst),
        {
          changed: () => {
            if (s.kind === 'sidecar' && inst.prober?.started && !s.everStarted) {
              s.everStarted = true;
              this.sync();
            }
            this.changed();
          },
          failed: (kind, probe) => this.probeFailed(s, inst, kind, probe),
          event: (type, reason, message) => this.event(type, reason, message),
        },
        Number.isNaN(startedAtMs) ? Date.now() : startedAtMs,
      );
      if (s.kind === 'sidecar' && inst.prober.started) s.everStarted = true;
    }
    this.changed();
    return inst;
  }

  private onExit(inst: Instance, exit: ContainerExit): void {
    inst.exit = exit;
    inst.exitedAtMs = this.d.now();
    inst.prober?.stop();
    if (this.stopping) return;
    this.sync();
  }

  private target(s: Slot, inst: Instance): ActionTarget {
    return { runtime: this.d.runtime, containerId: inst.handle.id, pod: this.pod, container: s.spec, host: this.d.podIP, secondMs: this.d.timing.secondMs };
  }

  private probeFailed(s: Slot, inst: Instance, kind: 'liveness' | 'startup', probe: Probe): void {
    if (this.stopping || inst.exit || inst.killing) return;
    const restart = s.kind === 'sidecar' || this.pod.spec!.restartPolicy !== 'Never';
    const message = `Container ${s.spec.name} failed ${kind} probe${restart ? ', will be restarted' : ''}`;
    void this.kill(s, inst, probe.terminationGracePeriodSeconds ?? this.podGrace(), kind, message);
  }

  private async runPostStart(s: Slot, inst: Instance, hook: LifecycleHandler): Promise<void> {
    try {
      await runHook(hook, this.target(s, inst));
    } catch (err) {
      if (this.stopping || inst.exit) return;
      this.d.onError(err, `postStart hook of ${s.spec.name}`);
      // The hook's output stays out of events (it may carry secrets).
      this.event('Warning', 'FailedPostStartHook', 'PostStartHook failed');
      await this.kill(s, inst, this.podGrace(), 'postStart', 'FailedPostStartHook');
    }
  }

  /**
   * Stops one container: the preStop hook first (within the grace period), then SIGTERM with what
   * is left of the grace (never less than the minimum), SIGKILL after it. Resolves once it exited.
   */
  private kill(s: Slot, inst: Instance, graceSeconds: number, reason: KillReason, message?: string): Promise<void> {
    if (inst.exit) return Promise.resolve();
    inst.killing ??= (async () => {
      inst.killedFor = reason;
      this.event('Normal', 'Killing', message ?? `Stopping container ${s.spec.name}`);
      let grace = graceSeconds;
      const preStop = s.spec.lifecycle?.preStop;
      if (preStop && grace > 0) {
        const began = Date.now();
        const outcome = await withTimeout(
          runHook(preStop, this.target(s, inst)).then(
            () => 'ok' as const,
            (err) => {
              this.d.onError(err, `preStop hook of ${s.spec.name}`);
              return 'failed' as const;
            },
          ),
          grace * this.d.timing.secondMs,
        );
        if (outcome === 'failed') this.event('Warning', 'FailedPreStopHook', 'PreStopHook failed');
        grace -= Math.floor((Date.now() - began) / this.d.timing.secondMs);
      }
      grace = Math.max(grace, this.d.timing.minimumGraceSeconds);
      if (!inst.exit) await this.d.runtime.stop(inst.handle.id, grace).catch((err) => this.d.onError(err, `stopping container ${s.spec.name}`));
      await inst.exited;
    })();
    return inst.killing;
  }

  private remove(inst: Instance): Promise<void> {
    inst.removed = true;
    return this.d.runtime.remove(inst.handle.id).catch((err) => this.d.onError(err, `removing container ${inst.handle.id}`));
  }

  private podGrace(): number {
    return this.pod.spec!.terminationGracePeriodSeconds ?? 30;
  }

  private async teardown(graceSeconds: number): Promise<PodRuntimeStatus> {
    this.stopping = true;
    await this.running;
    for (const s of this.slots) {
      clearTimeout(s.timer);
      s.timer = undefined;
      s.current?.prober?.stop();
    }
    await Promise.allSettled([...this.inFlight]);
    const began = Date.now();
    const killSlot = (s: Slot, grace: number): Promise<void> => (s.current && !s.current.exit ? this.kill(s, s.current, grace, 'stop') : Promise.resolve());
    // Regular (and running init) containers together; then sidecars, last first, with what is left.
    await Promise.all(this.slots.filter((s) => s.kind !== 'sidecar').map((s) => killSlot(s, graceSeconds)));
    for (const s of [...this.sidecars].reverse()) {
      await killSlot(s, Math.max(graceSeconds - Math.floor((Date.now() - began) / this.d.timing.secondMs), 0));
    }
    await Promise.all(this.slots.map((s) => (s.current && !s.current.removed ? this.remove(s.current) : undefined)));
    await this.d.runtime.removePod?.(this.pod.metadata!.uid!).catch((err) => this.d.onError(err, 'removing the pod'));
    await rm(podLogDir(this.d.logDir, this.pod), { recursive: true, force: true }).catch((err) => this.d.onError(err, 'removing pod logs'));
    return this.snapshot(true);
  }

  /** Reports the status on the next microtask if it changed (many changes at once make one report). */
  private changed(): void {
    if (this.flushQueued || this.stopping) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.stopping) return;
      const status = this.snapshot(false);
      const text = JSON.stringify(status);
      if (text === this.lastReported) return;
      this.lastReported = text;
      this.d.sink.status(status);
    });
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.d.sink.event(type, reason, message);
  }

  private snapshot(final: boolean): PodRuntimeStatus {
    const reports = (slots: Slot[]): ContainerReport[] => slots.map((s) => this.report(s, final)).filter((r): r is ContainerReport => !!r);
    return {
      sandboxReady: this.sandboxReady && !final,
      ...(this.sandboxReady ? { podIP: this.d.podIP } : {}),
      initContainers: reports(this.init),
      containers: reports(this.regular),
    };
  }

  private report(s: Slot, final: boolean): ContainerReport | undefined {
    const inst = s.current;
    // A stopped pod shows how each container ended, not that it would have been restarted.
    const waiting = final && inst?.exit ? undefined : s.waiting;
    if (!inst && !waiting) return undefined;
    const base = {
      name: s.spec.name,
      image: inst?.handle.image ?? s.spec.image ?? '',
      imageID: inst?.handle.imageID ?? '',
      restartCount: inst?.attempt ?? 0,
      ...(inst ? { containerID: inst.handle.id } : {}),
    };
    const previous: ContainerState | undefined = s.lastTerminated ? { terminated: s.lastTerminated } : undefined;
    if (waiting) {
      const lastState = inst?.exit ? { terminated: terminatedState(inst) } : previous;
      return { ...base, state: { waiting: { ...waiting } }, ...(lastState ? { lastState } : {}), ready: false, started: false };
    }
    const i = inst!;
    if (!i.exit) {
      const started = !final && (!i.prober || i.prober.started);
      const ready = !final && s.kind !== 'init' && !!i.prober?.ready;
      return { ...base, state: { running: { startedAt: timestamp(i.handle.startedAt, this.d.now()) } }, ...(previous ? { lastState: previous } : {}), ready, started };
    }
    const ready = s.kind === 'init' && i.exit.exitCode === 0;
    return { ...base, state: { terminated: terminatedState(i) }, ...(previous ? { lastState: previous } : {}), ready, started: false };
  }
}
