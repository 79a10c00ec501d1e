// The scheduling queue, shaped like upstream's: an active queue ordered by priority (higher
// first) then arrival; a back-off area for pods that failed recently; and a pool of unschedulable
// pods that wait for something in the cluster to change (moveAll) or, at the latest, for a
// periodic flush. Back-off doubles per failed attempt: 1 s, 2 s, 4 s … capped at 10 s.

export interface SchedulingQueueOptions {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Unschedulable pods are retried after this long even if nothing moved them. */
  maxUnschedulableMs: number;
}

export const DEFAULT_QUEUE_OPTIONS: SchedulingQueueOptions = {
  initialBackoffMs: 1000,
  maxBackoffMs: 10_000,
  maxUnschedulableMs: 5 * 60_000,
};

interface Entry {
  key: string;
  priority: number;
  seq: number;
}

function before(a: Entry, b: Entry): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}

/** A binary heap of entries; stale entries (removed keys) are skipped when popped. */
class Heap {
  private readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: Entry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Entry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export class SchedulingQueue {
  private readonly heap = new Heap();
  /** Keys in the active queue, with their live entry (older heap entries for a key are stale). */
  private readonly active = new Map<string, Entry>();
  private readonly backingOff = new Map<string, NodeJS.Timeout>();
  /** Unschedulable pods: when they entered the pool. */
  private readonly pool = new Map<string, { priority: number; since: number }>();
  private readonly attempts = new Map<string, { count: number; lastFailure: number }>();
  private readonly inFlight = new Set<string>();
  private seq = 0;
  private stopped = false;

  constructor(
    /** Called when a key becomes ready in the active queue. */
    private readonly onReady: () => void,
    private readonly opts: SchedulingQueueOptions = DEFAULT_QUEUE_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A pod that needs a node: into the active queue, unless the queue already has it somewhere. */
  add(key: string, priority: number): void {
    if (this.has(key)) return;
    this.activate(key, priority);
  }

  /** The pod itself changed (not just its status): an unschedulable one is retried after its back-off. */
  podChanged(key: string, priority: number): void {
    if (this.pool.delete(key)) this.activateAfterBackoff(key, priority);
    else this.add(key, priority);
  }

  private has(key: string): boolean {
    return this.active.has(key) || this.inFlight.has(key) || this.pool.has(key) || this.backingOff.has(key);
  }

  /** Whether the key sits in the unschedulable pool. */
  isUnschedulable(key: string): boolean {
    return this.pool.has(key);
  }

  /** Takes the most important ready key; it stays "in flight" until done/unschedulable/backoff. */
  pop(): string | undefined {
    while (this.heap.size) {
      const e = this.heap.pop()!;
      if (this.active.get(e.key) !== e) continue;
      this.active.delete(e.key);
      this.inFlight.add(e.key);
      return e.key;
    }
    return undefined;
  }

  /** Scheduled (or no longer needs scheduling): forget its failures. */
  done(key: string): void {
    this.inFlight.delete(key);
    this.attempts.delete(key);
  }

  /** No node fits: wait in the pool for a cluster change. */
  unschedulable(key: string, priority: number): void {
    this.inFlight.delete(key);
    if (this.stopped) return;
    this.fail(key);
    this.pool.set(key, { priority, since: this.now() });
  }

  /** An error (e.g. the binding failed): retry after the back-off. */
  backoff(key: string, priority: number): void {
    this.inFlight.delete(key);
    if (this.stopped) return;
    this.fail(key);
    this.clearWaiting(key);
    this.activateAfterBackoff(key, priority);
  }

  /** Something changed that may let unschedulable pods fit: retry them (after their back-off). */
  moveAll(): void {
    for (const [key, { priority }] of this.pool) {
      this.pool.delete(key);
      this.activateAfterBackoff(key, priority);
    }
  }

  /** Moves pods that have waited in the pool longer than maxUnschedulableMs. */
  flushLeftovers(): void {
    const cutoff = this.now() - this.opts.maxUnschedulableMs;
    for (const [key, { priority, since }] of this.pool) {
      if (since > cutoff) continue;
      this.pool.delete(key);
      this.activateAfterBackoff(key, priority);
    }
  }

  /** The pod is gone or bound elsewhere. */
  remove(key: string): void {
    this.active.delete(key);
    this.clearWaiting(key);
    this.attempts.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.backingOff.values()) clearTimeout(t);
    this.backingOff.clear();
    this.active.clear();
    this.pool.clear();
  }

  private fail(key: string): void {
    const count = (this.attempts.get(key)?.count ?? 0) + 1;
    this.attempts.set(key, { count, lastFailure: this.now() });
  }

  private backoffRemaining(key: string): number {
    const a = this.attempts.get(key);
    if (!a) return 0;
    const duration = Math.min(this.opts.initialBackoffMs * 2 ** (a.count - 1), this.opts.maxBackoffMs);
    return a.lastFailure + duration - this.now();
  }

  private activateAfterBackoff(key: string, priority: number): void {
    if (this.stopped || this.active.has(key) || this.backingOff.has(key)) return;
    const wait = this.backoffRemaining(key);
    if (wait <= 0) return this.activate(key, priority);
    const timer = setTimeout(() => {
      this.backingOff.delete(key);
      this.activate(key, priority);
    }, wait);
    timer.unref?.();
    this.backingOff.set(key, timer);
  }

  private clearWaiting(key: string): void {
    this.pool.delete(key);
    const timer = this.backingOff.get(key);
    if (timer) {
      clearTimeout(timer);
      this.backingOff.delete(key);
    }
  }

  private activate(key: string, priority: number): void {
    if (this.stopped || this.active.has(key) || this.inFlight.has(key)) return;
    const e = { key, priority, seq: this.seq++ };
    this.active.set(key, e);
    this.heap.push(e);
    this.onReady();
  }
}
