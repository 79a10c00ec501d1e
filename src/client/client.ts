// The one client interface controllers and agents program against. Two implementations:
// in-process (controllers inside `everynode server`, no HTTP) and HTTPS (agents).
// Errors are ApiError in both, so callers test `err.code === 404` / `409` the same way.
import type { KObject } from '../api/object.js';

export interface Resource {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

export const R = {
  namespaces: { group: '', version: 'v1', resource: 'namespaces', namespaced: false },
  nodes: { group: '', version: 'v1', resource: 'nodes', namespaced: false },
  pods: { group: '', version: 'v1', resource: 'pods', namespaced: true },
  events: { group: '', version: 'v1', resource: 'events', namespaced: true },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true },
  controllerrevisions: { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true },
  priorityclasses: { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', namespaced: false },
} satisfies Record<string, Resource>;

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchOptions extends ListOptions {
  /** Start after this version; absent = synthetic ADDED events for the current state first. */
  resourceVersion?: string;
  allowBookmarks?: boolean;
}

export interface WatchHandlers {
  onEvent(type: WatchEventType, obj: KObject): void;
  /** The stream ended: normally (err undefined, e.g. timeout) or with an error (410 Gone...). */
  onClose(err?: Error): void;
}

export interface WatchHandle {
  stop(): void;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'strategic' | 'merge' | 'json';

export interface Client {
  get(r: Resource, namespace: string | undefined, name: string): Promise<KObject>;
  list(r: Resource, namespace: string | undefined, opts?: ListOptions): Promise<ListResult>;
  watch(r: Resource, namespace: string | undefined, opts: WatchOptions, handlers: WatchHandlers): WatchHandle;
  create(r: Resource, namespace: string | undefined, obj: KObject): Promise<KObject>;
  /** PUT; the object's resourceVersion (if any) is a precondition. `subresource` e.g. 'status'. */
  update(r: Resource, namespace: string | undefined, obj: KObject, subresource?: string): Promise<KObject>;
  patch(r: Resource, namespace: string | undefined, name: string, type: PatchType, patch: unknown, subresource?: string): Promise<KObject>;
  delete(r: Resource, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;
  /** POST to a subresource of a named object (pods/binding, pods/eviction). */
  createSubresource(r: Resource, namespace: string | undefined, name: string, subresource: string, body: KObject): Promise<void>;
}

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};
