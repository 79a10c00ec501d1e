// CrashLoopBackOff as the kubelet computes it. A container that exits is restarted at once the
// first time; from then on each exit within the back-off window waits the current back-off
// (10 s, doubling to 5 min) counted from when it finished. A container that ran for longer than
// twice the maximum (10 min) since the last restart starts over at the initial back-off.
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface BackOffOptions {
  /** The first back-off (upstream: 10 s). */
  initialMs?: number;
  /** The cap (upstream: 300 s); an entry older than twice this is forgotten. */
  maxMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Entry {
  backoffMs: number;
  /** When the back-off was last advanced (the last restart). */
  lastUpdate: number;
}

export const DEFAULT_BACKOFF_INITIAL_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;

/** Back-off per key (one key per container of a pod), following upstream's flowcontrol.Backoff without jitter. */
export class CrashLoopBackOff {
  private readonly entries = new Map<string, Entry>();
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;

  constructor(o: BackOffOptions = {}) {
    this.initialMs = o.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.maxMs = o.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    this.now = o.now ?? Date.now;
  }

  /** The current back-off for `key` (0 if none). */
  get(key: string): number {
    return this.entries.get(key)?.backoffMs ?? 0;
  }

  /** Whether a restart of a container that finished at `finishedAt` must still wait. */
  isInBackOffSince(key: string, finishedAt: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(e, finishedAt)) return false;
    return this.now() - finishedAt < e.backoffMs;
  }

  /** Milliseconds until a container that finished at `finishedAt` may restart (0: now). */
  remaining(key: string, finishedAt: number): number {
    if (!this.isInBackOffSince(key, finishedAt)) return 0;
    return finishedAt + this.entries.get(key)!.backoffMs - this.now();
  }

  /** Records a restart: the first one (or the first after a long run) sets the initial back-off, the others double it. */
  next(key: string, finishedAt: number): void {
    const e = this.entries.get(key);
    const backoffMs = !e || this.expired(e, finishedAt) ? this.initialMs : Math.min(e.backoffMs * 2, this.maxMs);
    this.entries.set(key, { backoffMs, lastUpdate: this.now() });
  }

  /** Upstream considers a container stable once it ran twice the maximum back-off since the last restart. */
  private expired(e: Entry, eventTime: number): boolean {
    return eventTime - e.lastUpdate > this.maxMs * 2;
  }
}

/** A pod as the kubelet names it in messages: `name_namespace(uid)`. */
export function podDescription(pod: Pod): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/** The waiting message of a container in CrashLoopBackOff. */
export function backOffWaitingMessage(backoffMs: number, container: string, pod: Pod): string {
  return `back-off ${goDuration(backoffMs)} restarting failed container=${container} pod=${podDescription(pod)}`;
}

/** The message of the `BackOff` event. */
export function backOffEventMessage(container: string, pod: Pod): string {
  return `Back-off restarting failed container ${container} in pod ${podDescription(pod)}`;
}

/** A duration as Go's time.Duration prints it: `10s`, `1m20s`, `5m0s`, `1h0m0s`, `250ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${trimFraction(abs)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = trimFraction((abs % 60_000) / 1000);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function trimFraction(n: number): string {
  return String(Number(n.toFixed(9)));
}
