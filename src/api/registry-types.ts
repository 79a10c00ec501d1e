// What the API server needs to know about one kind. One kind = one entry; the router is generic.
import type { KObject } from './object.js';
import type { FieldError } from './validation/field-errors.js';

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  /** 0 = always shown; 1 = only with `-o wide`. */
  priority: number;
}

/** Server-side table printing, as `kubectl get` asks for it. */
export interface Printer {
  columns: ColumnDefinition[];
  /** One cell per column, in order. `now` makes AGE deterministic in tests. */
  cells(obj: KObject, now: Date): unknown[];
}

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served besides the main resource, e.g. ['status'] or ['status', 'binding', 'eviction', 'log']. */
  subresources: string[];
  printer: Printer;
  /** Fills defaulted fields in place, as the upstream defaulting functions do. */
  applyDefaults(obj: KObject): void;
  validateCreate(obj: KObject): FieldError[];
  validateUpdate(obj: KObject, old: KObject): FieldError[];
  /** Field-selector attributes this kind supports besides metadata.name/metadata.namespace. */
  fieldSelectors: Record<string, (obj: KObject) => string | undefined>;
  strategy: Strategy;
  /** Other versions served for the same stored objects (e.g. the deprecated apps/v1beta2). */
  aliases?: ServedVersion[];
}

/** How one kind's writes differ from the generic path (upstream's "strategy"). */
export interface Strategy {
  /** metadata.generation is kept and bumped when the spec changes. */
  tracksGeneration?: boolean;
  /** Create: reset or fill server-owned fields (e.g. clear status). */
  prepareForCreate?(obj: KObject): void;
  /** Update of the main resource, after status was carried over from `old`. */
  prepareForUpdate?(obj: KObject, old: KObject): void;
  /** Seconds of grace a DELETE gets when the client does not say (pods: terminationGracePeriodSeconds). 0 = delete at once. */
  deleteGraceSeconds?(obj: KObject, requested: number | undefined): number;
  /**
   * An object that cannot go yet when deleted (a namespace whose content must be removed first):
   * returns the copy to keep, marked as terminating; undefined when it may go now.
   */
  finalizeOnDelete?(obj: KObject): KObject | undefined;
  validateStatusUpdate?(obj: KObject, old: KObject): FieldError[];
}

export interface ServedVersion {
  version: string;
  /** A deprecated alias: served with a `Warning` header carrying this text. */
  deprecation?: string;
  /** Default propagation policy of DELETE through this version. */
  defaultPropagation?: 'Background' | 'Orphan';
}
