// Builds the `meta.k8s.io/v1 Table` that `kubectl get` asks for (Accept: ...;as=Table;...).
// Every row carries the object's metadata as PartialObjectMetadata: kubectl reads the
// NAMESPACE (-A) and LABELS (--show-labels) columns from it.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../object.js';
import type { ColumnDefinition, Printer } from '../registry-types.js';

export interface TableOptions {
  /** The list's resourceVersion; for a single object or a watch event, the object's. */
  listResourceVersion: string;
  continue?: string;
  now: Date;
  /** The `noHeaders=true` table option: leave out the column definitions. */
  noHeaders?: boolean;
}

export interface TableColumn {
  name: string;
  type: ColumnDefinition['type'];
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object: { kind: 'PartialObjectMetadata'; apiVersion: 'meta.k8s.io/v1'; metadata: ObjectMeta };
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string; continue?: string };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

// Upstream serializes format and description even when empty.
function toColumn(c: ColumnDefinition): TableColumn {
  return { name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority };
}

function toRow(printer: Printer, obj: KObject, now: Date): TableRow {
  return {
    cells: printer.cells(obj, now),
    object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata },
  };
}

/** The Table for a list, a single object, or (with one object) a watch event. */
export function toTable(printer: Printer, objects: KObject[], opts: TableOptions): Table {
  const metadata: Table['metadata'] = { resourceVersion: opts.listResourceVersion };
  if (opts.continue) metadata.continue = opts.continue;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : printer.columns.map(toColumn),
    rows: objects.map((obj) => toRow(printer, obj, opts.now)),
  };
}
