// The in-process client: controllers inside `everynode server` call the REST storage layer
// directly, with the same defaulting, validation and admission as HTTP requests, minus HTTP.
import type { KObject } from '../api/object.js';
import { parseFieldSelector } from '../api/field-selector.js';
import { patchMetaFor } from '../api/patch-meta.js';
import { applyPatch } from '../apiserver/patch/json-patch.js';
import { bindPod, evictPod, type SubresourceHandler } from '../apiserver/pod-subresources.js';
import type { RestStorage } from '../apiserver/rest-storage.js';
import { parseSelector } from '../placement/labels.js';
import { PATCH_CONTENT_TYPES, type Client, type DeleteOptions, type ListOptions, type Resource, type WatchHandlers, type WatchOptions } from './client.js';

const SUBRESOURCES: Record<string, SubresourceHandler> = { binding: bindPod, eviction: evictPod };

function query(opts: ListOptions) {
  return {
    labelSelector: opts.labelSelector ? parseSelector(opts.labelSelector) : undefined,
    fieldSelector: opts.fieldSelector ? parseFieldSelector(opts.fieldSelector) : undefined,
    limit: opts.limit,
    continueToken: opts.continue,
  };
}

export class LocalClient implements Client {
  constructor(private readonly storage: (group: string, resource: string) => RestStorage) {}

  private s(r: Resource): RestStorage {
    return this.storage(r.group, r.resource);
  }

  get(r: Resource, namespace: string | undefined, name: string): Promise<KObject> {
    return this.s(r).get(namespace, name);
  }

  async list(r: Resource, namespace: string | undefined, opts: ListOptions = {}) {
    const res = await this.s(r).list(namespace, query(opts));
    return { items: res.items, resourceVersion: String(res.rev), continue: res.continueToken };
  }

  watch(r: Resource, namespace: string | undefined, opts: WatchOptions, handlers: WatchHandlers) {
    let stop: (() => void) | undefined;
    let stopped = false;
    this.s(r)
      .watch(namespace, { ...query(opts), resourceVersion: opts.resourceVersion ? Number(opts.resourceVersion) : undefined }, (events) => {
        for (const e of events) if (!stopped) handlers.onEvent(e.type, e.object);
      })
      .then(
        (s) => {
          if (stopped) s();
          else stop = s;
        },
        (err: Error) => handlers.onClose(err),
      );
    return {
      stop: () => {
        stopped = true;
        stop?.();
      },
    };
  }

  create(r: Resource, namespace: string | undefined, obj: KObject): Promise<KObject> {
    return this.s(r).create(namespace, obj);
  }

  update(r: Resource, namespace: string | undefined, obj: KObject, subresource?: string): Promise<KObject> {
    return this.s(r).update(namespace, obj.metadata.name!, obj, subresource);
  }

  patch(r: Resource, namespace: string | undefined, name: string, type: keyof typeof PATCH_CONTENT_TYPES, patch: unknown, subresource?: string): Promise<KObject> {
    const storage = this.s(r);
    const meta = patchMetaFor(storage.def.group, storage.def.kind);
    return storage.guaranteedUpdate(namespace, name, subresource, {}, (current) => applyPatch(PATCH_CONTENT_TYPES[type], current, patch, meta) as KObject);
  }

  async delete(r: Resource, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    await this.s(r).delete(namespace, name, opts);
  }

  async createSubresource(r: Resource, namespace: string | undefined, name: string, subresource: string, body: KObject): Promise<void> {
    await SUBRESOURCES[subresource]!(this.s(r), namespace, name, body);
  }
}
