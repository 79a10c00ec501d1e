// An informer: lists a resource, then watches it, keeping a local cache and telling handlers
// about every change. It resumes a watch that ends, and re-lists (diffing against the cache)
// when its resourceVersion has expired, so handlers see each object's latest state.
import type { KObject } from '../api/object.js';
import type { Client, ListOptions, Resource, WatchHandle } from './client.js';

export interface InformerHandlers {
  add?(obj: KObject): void;
  update?(obj: KObject, old: KObject): void;
  delete?(obj: KObject): void;
}

export function keyOf(obj: KObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

const RETRY_MS = 1000;

export class Informer {
  private readonly cache = new Map<string, KObject>();
  private readonly handlers: InformerHandlers[] = [];
  private readonly indexers = new Map<string, { fn: (obj: KObject) => string[]; index: Map<string, Set<string>> }>();
  private watch: WatchHandle | undefined;
  private resourceVersion = '';
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Client,
    readonly resource: Resource,
    private readonly namespace?: string,
    private readonly opts: ListOptions = {},
  ) {}

  on(h: InformerHandlers): void {
    this.handlers.push(h);
  }

  /** Adds an index (e.g. pods by node name); query it with `byIndex`. */
  addIndex(name: string, fn: (obj: KObject) => string[]): void {
    const index = new Map<string, Set<string>>();
    for (const [k, obj] of this.cache) for (const v of fn(obj)) (index.get(v) ?? index.set(v, new Set()).get(v)!).add(k);
    this.indexers.set(name, { fn, index });
  }

  byIndex(name: string, value: string): KObject[] {
    const keys = this.indexers.get(name)?.index.get(value);
    return keys ? [...keys].map((k) => this.cache.get(k)!) : [];
  }

  get(key: string): KObject | undefined {
    return this.cache.get(key);
  }

  list(): KObject[] {
    return [...this.cache.values()];
  }

  get size(): number {
    return this.cache.size;
  }

  /** Resolves once the initial list is in the cache. */
  async start(): Promise<void> {
    await this.relist();
    this.startWatch();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.watch?.stop();
  }

  private index(key: string, obj: KObject | undefined, old: KObject | undefined): void {
    for (const { fn, index } of this.indexers.values()) {
      for (const v of old ? fn(old) : []) index.get(v)?.delete(key);
      for (const v of obj ? fn(obj) : []) (index.get(v) ?? index.set(v, new Set()).get(v)!).add(key);
    }
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject): void {
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      if (!old) return;
      this.cache.delete(key);
      this.index(key, undefined, old);
      for (const h of this.handlers) h.delete?.(obj);
      return;
    }
    this.cache.set(key, obj);
    this.index(key, obj, old);
    for (const h of this.handlers) {
      if (old) h.update?.(obj, old);
      else h.add?.(obj);
    }
  }

  private async relist(): Promise<void> {
    const items: KObject[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.list(this.resource, this.namespace, { ...this.opts, limit: 5000, continue: cont });
      items.push(...page.items);
      rv = page.resourceVersion;
      cont = page.continue;
    } while (cont);
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.cache.get(key);
      if (!old || old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.apply(old ? 'MODIFIED' : 'ADDED', obj);
    }
    for (const [key, obj] of [...this.cache]) if (!seen.has(key)) this.apply('DELETED', obj);
    this.resourceVersion = rv;
  }

  private startWatch(): void {
    if (this.stopped) return;
    this.watch = this.client.watch(
      this.resource,
      this.namespace,
      { ...this.opts, resourceVersion: this.resourceVersion, allowBookmarks: true },
      {
        onEvent: (type, obj) => {
          if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
          if (type !== 'BOOKMARK') this.apply(type, obj);
        },
        onClose: (err) => {
          if (this.stopped) return;
          // A clean end (timeout) resumes at once; an error (410 Gone, server away) re-lists.
          if (!err) return this.startWatch();
          this.scheduleRelist();
        },
      },
    );
  }

  private scheduleRelist(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => this.relist().then(() => this.startWatch(), () => this.scheduleRelist()), RETRY_MS);
  }
}
