// Deletes what a terminating namespace holds, then lets the namespace go (upstream's namespace
// controller): `kubectl delete ns x` ends with everything in x deleted.
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import type { ApiServer } from '../apiserver/server.js';

const RETRY_MS = 1000;

export class NamespaceController {
  private stopWatch: (() => void) | undefined;
  private readonly queue = new Set<string>();
  private busy = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly api: ApiServer,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopWatch = await this.api.storage('', 'namespaces').watch(undefined, {}, (events) => {
      for (const e of events) if (e.type !== 'DELETED' && e.object.metadata.deletionTimestamp) this.enqueue(e.object.metadata.name!);
    });
  }

  stop(): void {
    this.stopWatch?.();
    clearTimeout(this.timer);
    this.queue.clear();
  }

  private enqueue(name: string): void {
    this.queue.add(name);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (const name of this.queue) {
        this.queue.delete(name);
        try {
          if (!(await this.finish(name))) this.timer = setTimeout(() => this.enqueue(name), RETRY_MS);
        } catch (err) {
          this.log.warn({ err, namespace: name }, 'namespace cleanup failed; retrying');
          this.timer = setTimeout(() => this.enqueue(name), RETRY_MS);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Deletes the namespace's content; once nothing is left, the namespace itself. True when done. */
  private async finish(name: string): Promise<boolean> {
    let left = 0;
    for (const storage of this.api.storages.values()) {
      if (!storage.def.namespaced) continue;
      const { items } = await storage.list(name, {});
      left += items.length;
      for (const item of items) {
        if (!item.metadata.deletionTimestamp) await ignoreNotFound(storage.delete(name, item.metadata.name!, {}));
      }
    }
    if (left > 0) return false;
    const namespaces = this.api.storage('', 'namespaces');
    await ignoreNotFound(
      namespaces.guaranteedUpdate(undefined, name, undefined, {}, (ns) => ({ ...ns, spec: { ...(ns.spec as object), finalizers: [] } })),
    );
    await ignoreNotFound(namespaces.delete(undefined, name, {}));
    return true;
  }
}

async function ignoreNotFound(p: Promise<unknown>): Promise<KObject | undefined> {
  try {
    return (await p) as KObject;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}
