// The failed-pod back-off (upstream flowcontrol.Backoff as kube-controller-manager configures it
// for DaemonSets: 1 s doubling to 15 min). Deleting a Failed daemon pod on a node is limited to
// once per current delay, so a pod that keeps failing is not recreated in a tight loop.

export const FAILED_POD_BACKOFF_INITIAL_MS = 1000;
export const FAILED_POD_BACKOFF_MAX_MS = 15 * 60 * 1000;

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly initialMs = FAILED_POD_BACKOFF_INITIAL_MS,
    readonly maxMs = FAILED_POD_BACKOFF_MAX_MS,
  ) {}

  /** The current delay of `key` (0 if none). */
  get(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Starts (or doubles, up to the maximum) the delay of `key`, from `now`. */
  next(key: string, now: Date): void {
    const t = now.getTime();
    const e = this.entries.get(key);
    if (!e || this.expired(e, t)) {
      this.entries.set(key, { delayMs: this.initialMs, lastUpdate: t });
      return;
    }
    e.delayMs = Math.min(e.delayMs * 2, this.maxMs);
    e.lastUpdate = t;
  }

  /** IsInBackOffSinceUpdate: less than the current delay has passed since the last `next`. */
  inBackoff(key: string, now: Date): boolean {
    const e = this.entries.get(key);
    return !!e && now.getTime() - e.lastUpdate < e.delayMs;
  }

  /** Forgets entries not touched for twice the maximum delay. */
  gc(now: Date): void {
    for (const [key, e] of this.entries) if (this.expired(e, now.getTime())) this.entries.delete(key);
  }

  private expired(e: Entry, t: number): boolean {
    return t - e.lastUpdate > 2 * this.maxMs;
  }
}
