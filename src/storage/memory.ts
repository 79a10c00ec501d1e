// The in-memory store: the whole state and a bounded window of history in memory, with
// compare-and-swap writes. Given a Persistence it is durable too (SQLite); without, it is the
// store unit tests use. Writes are applied at once (so CAS sees them) but acknowledged, and
// shown to readers and watchers, only after the persistence layer has committed them.
import type { KObject } from '../api/object.js';
import { StoreError, resourceOfKey, type ListOptions, type ListResult, type Store, type StoreEvent, type Watch } from './store.js';

/** One committed write, as the persistence layer records it. `value` null = deletion. */
export interface LogRecord {
  rev: number;
  key: string;
  value: KObject | null;
}

export interface Persistence {
  /** Every retained record in revision order, and the revision below which history is incomplete. */
  load(): { records: Iterable<LogRecord>; compactedRev: number };
  /** Durably appends records (one transaction); throws if it could not. */
  append(records: LogRecord[]): void;
  /** Drops history up to `rev`, keeping each key's latest record. */
  compact(rev: number): void;
  close(): void;
}

interface Watcher {
  prefix: string;
  onEvents: (events: StoreEvent[]) => void;
}

interface Pending {
  record: LogRecord;
  event: StoreEvent;
  resolve: (obj: KObject) => void;
  reject: (err: Error) => void;
}

export interface MemoryStoreOptions {
  /** How many events of history to keep for watches that resume (default 100,000). */
  historySize?: number;
}

function withRevision(obj: KObject, rev: number): KObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
}

export class MemoryStore implements Store {
  private readonly objects = new Map<string, KObject>();
  /** The keys of `objects` by resource, so listing a kind does not scan every object. */
  private readonly keysByResource = new Map<string, Set<string>>();
  private readonly history: StoreEvent[] = [];
  private readonly historySize: number;
  /** Revision of the oldest event we can no longer replay. */
  private compactedRev = 0;
  private rev = 0;
  private committedRev = 0;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly persistence?: Persistence,
    opts: MemoryStoreOptions = {},
  ) {
    this.historySize = opts.historySize ?? 100_000;
    if (persistence) this.replay(persistence);
  }

  private replay(p: Persistence): void {
    const { records, compactedRev } = p.load();
    this.compactedRev = compactedRev;
    for (const r of records) {
      const prev = this.objects.get(r.key);
      this.put(r.key, r.value);
      this.rev = r.rev;
      if (r.rev > compactedRev) this.remember(this.eventFor(r, prev));
    }
    this.rev = Math.max(this.rev, compactedRev);
    this.committedRev = this.rev;
  }

  private eventFor(r: LogRecord, prev: KObject | undefined): StoreEvent {
    if (r.value) return { type: prev ? 'MODIFIED' : 'ADDED', key: r.key, rev: r.rev, object: r.value, prev };
    return { type: 'DELETED', key: r.key, rev: r.rev, object: withRevision(prev!, r.rev), prev };
  }

  private remember(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historySize * 1.25) {
      const drop = this.history.length - this.historySize;
      this.compactedRev = this.history[drop - 1]!.rev;
      this.history.splice(0, drop);
    }
  }

  revision(): number {
    return this.committedRev;
  }

  /** Reads wait for an in-flight commit so they never see unacknowledged writes. */
  private async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async get(key: string): Promise<KObject | undefined> {
    await this.settled();
    return this.objects.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    await this.settled();
    const keys: string[] = [];
    const resource = resourceOfKey(prefix);
    const candidates = resource ? (this.keysByResource.get(resource) ?? []) : this.objects.keys();
    for (const k of candidates) if (k.startsWith(prefix) && (!opts.afterKey || k > opts.afterKey)) keys.push(k);
    keys.sort();
    const items: KObject[] = [];
    let lastKey: string | undefined;
    for (const k of keys) {
      const obj = this.objects.get(k)!;
      if (opts.filter && !opts.filter(obj)) continue;
      if (opts.limit && items.length === opts.limit) return { items, rev: this.committedRev, nextKey: lastKey };
      items.push(obj);
      lastKey = k;
    }
    return { items, rev: this.committedRev };
  }

  create(key: string, obj: KObject): Promise<KObject> {
    if (this.objects.has(key)) return Promise.reject(new StoreError('AlreadyExists', `${key} already exists`));
    return this.write(key, obj);
  }

  update(key: string, obj: KObject, expectedRev: number): Promise<KObject> {
    const cur = this.objects.get(key);
    if (!cur) return Promise.reject(new StoreError('NotFound', `${key} not found`));
    if (Number(cur.metadata.resourceVersion) !== expectedRev) return Promise.reject(new StoreError('Conflict', `${key} was modified`));
    return this.write(key, obj);
  }

  delete(key: string, expectedRev?: number): Promise<KObject> {
    const cur = this.objects.get(key);
    if (!cur) return Promise.reject(new StoreError('NotFound', `${key} not found`));
    if (expectedRev !== undefined && Number(cur.metadata.resourceVersion) !== expectedRev) {
      return Promise.reject(new StoreError('Conflict', `${key} was modified`));
    }
    return this.write(key, null);
  }

  private write(key: string, value: KObject | null): Promise<KObject> {
    const rev = ++this.rev;
    const prev = this.objects.get(key);
    const stored = value ? withRevision(value, rev) : null;
    this.put(key, stored);
    const record: LogRecord = { rev, key, value: stored };
    const event = this.eventFor(record, prev);
    return new Promise<KObject>((resolve, reject) => {
      this.pending.push({ record, event, resolve, reject });
      if (this.pending.length === 1) this.flushing = new Promise((done) => setImmediate(() => done(this.flush())));
    });
  }

  /** Stores `value` under `key`, or removes the key when there is none; keeps the index. */
  private put(key: string, value: KObject | null | undefined): void {
    const resource = resourceOfKey(key);
    let keys = this.keysByResource.get(resource);
    if (value) {
      this.objects.set(key, value);
      if (!keys) this.keysByResource.set(resource, (keys = new Set()));
      keys.add(key);
    } else {
      this.objects.delete(key);
      keys?.delete(key);
    }
  }

  /** Group commit: everything written during one turn of the event loop is one transaction. */
  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.flushing = undefined;
    try {
      this.persistence?.append(batch.map((p) => p.record));
    } catch (err) {
      this.undo(batch);
      const failure = new StoreError('Unavailable', `storage write failed: ${(err as Error).message}`);
      for (const p of batch) p.reject(failure);
      return;
    }
    this.committedRev = batch[batch.length - 1]!.record.rev;
    for (const p of batch) this.remember(p.event);
    this.dispatch(batch.map((p) => p.event));
    for (const p of batch) p.resolve(p.event.object);
  }

  private undo(batch: Pending[]): void {
    for (let i = batch.length - 1; i >= 0; i--) {
      const { key, prev } = batch[i]!.event;
      this.put(key, prev);
    }
    this.rev = batch[0]!.record.rev - 1;
  }

  private dispatch(events: StoreEvent[]): void {
    const byResource = new Map<string, StoreEvent[]>();
    for (const e of events) {
      const r = resourceOfKey(e.key);
      const list = byResource.get(r);
      if (list) list.push(e);
      else byResource.set(r, [e]);
    }
    for (const [resource, evs] of byResource) {
      for (const w of this.watchers.get(resource) ?? []) {
        const mine = evs.filter((e) => e.key.startsWith(w.prefix));
        if (mine.length) w.onEvents(mine);
      }
    }
  }

  watch(prefix: string, fromRev: number, onEvents: (events: StoreEvent[]) => void): Watch {
    if (fromRev < this.compactedRev) {
      throw new StoreError('Expired', `too old resource version: ${fromRev} (${this.compactedRev + 1})`);
    }
    const replay = this.history.slice(firstAfter(this.history, fromRev)).filter((e) => e.key.startsWith(prefix));
    if (replay.length) onEvents(replay);
    const resource = resourceOfKey(prefix);
    const w: Watcher = { prefix, onEvents };
    let set = this.watchers.get(resource);
    if (!set) this.watchers.set(resource, (set = new Set()));
    set.add(w);
    return { stop: () => set!.delete(w) };
  }

  /** Lets the persistence layer drop history the memory window no longer holds. */
  compact(): void {
    this.persistence?.compact(this.compactedRev);
  }

  countByResource(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [r, keys] of this.keysByResource) if (keys.size) counts.set(r, keys.size);
    return counts;
  }

  async close(): Promise<void> {
    await this.settled();
    this.persistence?.close();
  }
}

/** Index of the first event with rev > fromRev (history is sorted by rev). */
function firstAfter(history: StoreEvent[], fromRev: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (history[mid]!.rev <= fromRev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
