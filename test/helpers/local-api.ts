// An in-memory API for controller tests: the real REST storage, defaulting, validation and
// admission of every kind over a MemoryStore, reached through the in-process client (no HTTP).
// `controllerContext` builds what a controller's constructor takes, with a quiet logger and a
// clock the test can move.
import { pino } from 'pino';
import { Registry } from '../../src/api/registry.js';
import { resources } from '../../src/api/resources.js';
import { createAdmission } from '../../src/apiserver/admission.js';
import { RestStorage } from '../../src/apiserver/rest-storage.js';
import { EventRecorder } from '../../src/client/events.js';
import { LocalClient } from '../../src/client/local.js';
import { SharedInformers } from '../../src/client/shared-informers.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerContext, type ControllerOptions } from '../../src/controllers/context.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import { MemoryStore } from '../../src/storage/memory.js';

export interface LocalApi {
  store: MemoryStore;
  registry: Registry;
  client: LocalClient;
  storage(group: string, plural: string): RestStorage;
}

/** A fresh API with the bootstrap namespaces (default, kube-system, kube-node-lease...). */
export async function startLocalApi(): Promise<LocalApi> {
  const store = new MemoryStore();
  const registry = new Registry(resources);
  const storages = new Map<string, RestStorage>();
  const storage = (group: string, plural: string): RestStorage => {
    const s = storages.get(`${group}/${plural}`);
    if (!s) throw new Error(`no storage for ${plural}.${group}`);
    return s;
  };
  const admit = createAdmission(() => ({ namespaces: storage('', 'namespaces'), priorityClasses: storage('scheduling.k8s.io', 'priorityclasses') }));
  for (const def of resources) storages.set(`${def.group}/${def.plural}`, new RestStorage(def, store, admit));
  await bootstrap(storage('', 'namespaces'), storage('scheduling.k8s.io', 'priorityclasses'));
  return { store, registry, client: new LocalClient(storage), storage };
}

/** A clock that follows real time plus an offset the test can advance. */
export class TestClock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export function controllerContext(api: LocalApi, opts: { options?: Partial<ControllerOptions>; clock?: TestClock } = {}): ControllerContext {
  const informers = new SharedInformers(api.client);
  return {
    client: api.client,
    informers,
    recorder: (component) => new EventRecorder(api.client, component),
    log: pino({ level: 'silent' }),
    options: { ...DEFAULT_CONTROLLER_OPTIONS, ...opts.options },
    now: opts.clock?.now ?? (() => new Date()),
  };
}

/** Polls `check` until it returns a truthy value (which is returned) or the time is up. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
