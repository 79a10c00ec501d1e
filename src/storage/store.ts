// The storage contract (design.md §3). Keys are `/registry/<resource>/[<namespace>/]<name>`;
// values are JSON objects whose `metadata.resourceVersion` is the store's global revision of
// their last write. Stored objects are shared, never mutated: callers copy before changing.
import type { KObject } from '../api/object.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  key: string;
  rev: number;
  /** The new object; for DELETED, the last state with resourceVersion = the delete's revision. */
  object: KObject;
  /** The state before this event, if any (lets watchers with filters see objects leave). */
  prev?: KObject;
}

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'Unavailable';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ListResult {
  items: KObject[];
  /** The revision the list reflects. */
  rev: number;
  /** Key of the last item returned when a limit cut the list short. */
  nextKey?: string;
}

export interface ListOptions {
  /** Only keys after this one (paging). */
  afterKey?: string;
  limit?: number;
  filter?: (obj: KObject) => boolean;
}

export interface Watch {
  stop(): void;
}

export interface Store {
  /** Current revision (the resourceVersion of the latest committed write). */
  revision(): number;
  get(key: string): Promise<KObject | undefined>;
  /** Objects under a prefix, sorted by key. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  create(key: string, obj: KObject): Promise<KObject>;
  /** Compare-and-swap: fails with Conflict unless the stored revision equals `expectedRev`. */
  update(key: string, obj: KObject, expectedRev: number): Promise<KObject>;
  delete(key: string, expectedRev?: number): Promise<KObject>;
  /**
   * Calls `onEvents` with every change under `prefix` after revision `fromRev`, in order:
   * first the retained history, then live changes. Throws Expired if `fromRev` is older than
   * the retained history.
   */
  watch(prefix: string, fromRev: number, onEvents: (events: StoreEvent[]) => void): Watch;
  /** Number of objects per resource, for /metrics. */
  countByResource(): Map<string, number>;
  close(): Promise<void>;
}

/** `/registry/pods/ns/name` → `pods`. */
export function resourceOfKey(key: string): string {
  const end = key.indexOf('/', 10);
  return key.slice(10, end < 0 ? undefined : end);
}
