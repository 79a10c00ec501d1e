// The probes of one running container, timed as upstream's probe workers: each probe first runs
// `initialDelaySeconds` after the container started, then every `periodSeconds`, each attempt
// bounded by `timeoutSeconds`; a result only counts after `successThreshold` /
// `failureThreshold` identical results in a row. The startup probe gates the others: until it
// succeeds the container is not `started`, and liveness and readiness do not run. A container is
// `ready` once started and (if it has one) its readiness probe succeeded. A liveness or startup
// probe reaching its failure threshold asks for the container to be killed and stops probing.
// One timer per probe: cheap enough for hundreds of pods.
import type { Probe } from 'kubernetes-types/core/v1.js';
import { runProbeAction, type ActionOutcome, type ActionTarget } from './handlers.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProberEvents {
  /** `started` or `ready` changed. */
  changed(): void;
  /** A liveness or startup probe failed `failureThreshold` times in a row: the container must be killed. */
  failed(kind: 'liveness' | 'startup', probe: Probe): void;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const TITLE: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };

class ProbeWorker {
  timer: NodeJS.Timeout | undefined;
  busy = false;
  /** The last counted result; readiness starts as failed, liveness as passed, startup as unknown. */
  result: 'success' | 'failure' | undefined;
  private lastRaw: 'success' | 'failure' | undefined;
  private run = 0;

  constructor(
    readonly kind: ProbeKind,
    readonly probe: Probe,
  ) {
    this.result = kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : undefined;
  }

  /** Counts one raw result; returns the counted result when it changes. */
  record(raw: 'success' | 'failure'): 'success' | 'failure' | undefined {
    if (raw === this.lastRaw) this.run++;
    else {
      this.lastRaw = raw;
      this.run = 1;
    }
    const threshold = raw === 'success' ? this.probe.successThreshold || 1 : this.probe.failureThreshold || 3;
    if (this.run < threshold) return undefined;
    const changed = this.result !== raw;
    this.result = raw;
    // Liveness and startup act on every failure run that reaches the threshold.
    return changed || raw === 'failure' ? raw : undefined;
  }
}

export class ContainerProber {
  private readonly workers: ProbeWorker[] = [];
  private stopped = false;
  private isStarted: boolean;

  /**
   * Starts probing a container that started at `startedAtMs` (earlier than now for an adopted one).
   * `target.secondMs` scales all probe timing.
   */
  constructor(
    probes: Partial<Record<ProbeKind, Probe>>,
    private readonly target: ActionTarget,
    private readonly events: ProberEvents,
    private readonly startedAtMs: number,
  ) {
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const p = probes[kind];
      if (p) this.workers.push(new ProbeWorker(kind, p));
    }
    this.isStarted = !probes.startup;
    for (const w of this.workers) this.schedule(w, this.untilInitialDelay(w));
  }

  /** Passed its startup probe (or has none). */
  get started(): boolean {
    return this.isStarted;
  }

  /** Started, and its readiness probe (if any) succeeded. */
  get ready(): boolean {
    if (!this.isStarted) return false;
    const r = this.workers.find((w) => w.kind === 'readiness');
    return !r || r.result === 'success';
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.workers) clearTimeout(w.timer);
  }

  private untilInitialDelay(w: ProbeWorker): number {
    return Math.max(0, this.startedAtMs + (w.probe.initialDelaySeconds ?? 0) * this.target.secondMs - Date.now());
  }

  private schedule(w: ProbeWorker, ms: number): void {
    if (this.stopped) return;
    clearTimeout(w.timer);
    w.timer = setTimeout(() => void this.tick(w), ms);
    w.timer.unref();
  }

  private async tick(w: ProbeWorker): Promise<void> {
    w.timer = undefined;
    if (this.stopped || w.busy) return;
    const period = (w.probe.periodSeconds || 10) * this.target.secondMs;
    // Startup probing ends once started; the others wait for it.
    if (w.kind === 'startup' && this.isStarted) return;
    if (w.kind !== 'startup' && !this.isStarted) return this.schedule(w, period);
    const began = Date.now();
    w.busy = true;
    const outcome = await runProbeAction(w.probe, this.target);
    w.busy = false;
    if (this.stopped) return;
    this.count(w, outcome);
    this.schedule(w, Math.max(0, period - (Date.now() - began)));
  }

  private count(w: ProbeWorker, outcome: ActionOutcome): void {
    const title = TITLE[w.kind];
    if (outcome.result === 'error') {
      // An error is not a result: it neither passes nor fails the probe.
      this.events.event('Warning', 'Unhealthy', `${title} probe errored: ${outcome.output}`);
      return;
    }
    if (outcome.result === 'failure') this.events.event('Warning', 'Unhealthy', `${title} probe failed: ${outcome.output}`);
    if (outcome.result === 'warning') this.events.event('Warning', 'ProbeWarning', `${title} probe warning: ${outcome.output}`);
    const counted = w.record(outcome.result === 'failure' ? 'failure' : 'success');
    if (!counted) return;
    if (w.kind === 'readiness') return this.events.changed();
    if (counted === 'failure') {
      // The container is killed; a new one gets a new prober.
      this.stop();
      return this.events.failed(w.kind, w.probe);
    }
    if (w.kind === 'startup') {
      this.isStarted = true;
      clearTimeout(w.timer);
      this.events.changed();
      // Upstream probes readiness right away once the container counts as started.
      const readiness = this.workers.find((x) => x.kind === 'readiness');
      if (readiness && !readiness.busy) this.schedule(readiness, this.untilInitialDelay(readiness));
    }
  }
}
