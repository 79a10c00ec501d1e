// Expectations (upstream ControllerExpectations): after asking for N creates and M deletes, a
// DaemonSet is not managed again until the informer has seen them (or 5 minutes have passed),
// so a sync never acts on a cache that does not yet show its own previous actions.

/** Upstream's ExpectationsTimeout. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Record {
  add: number;
  del: number;
  timestamp: number;
}

export class Expectations {
  private readonly records = new Map<string, Record>();

  constructor(private readonly now: () => Date) {}

  /** Overwrites the expectations of `key`. */
  set(key: string, add: number, del: number): void {
    this.records.set(key, { add, del, timestamp: this.now().getTime() });
  }

  /** True when there is nothing outstanding, nothing recorded, or the record has expired. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.now().getTime() - r.timestamp > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Lowers the outstanding counts (an observed or failed create/delete, skipped creates). */
  lower(key: string, add: number, del: number): void {
    const r = this.records.get(key);
    if (!r) return;
    r.add -= add;
    r.del -= del;
  }

  creationObserved(key: string): void {
    this.lower(key, 1, 0);
  }

  deletionObserved(key: string): void {
    this.lower(key, 0, 1);
  }

  delete(key: string): void {
    this.records.delete(key);
  }

  /** The outstanding counts, for tests and logs. */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.del };
  }
}
