// Column definitions and cell helpers shared by the per-kind printers.
import type { ColumnDefinition } from '../registry-types.js';
import type { KObject } from '../object.js';
import { timestampSince } from './duration.js';

export const nameColumn: ColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name of the object, unique within its namespace.',
  priority: 0,
};

export const ageColumn: ColumnDefinition = {
  name: 'Age',
  type: 'string',
  description: 'Time since the object was created.',
  priority: 0,
};

/** A column shown by plain `kubectl get`. */
export function column(name: string, type: ColumnDefinition['type'], description: string): ColumnDefinition {
  return { name, type, description, priority: 0 };
}

/** A column shown only with `-o wide`. */
export function wideColumn(name: string, type: ColumnDefinition['type'], description: string): ColumnDefinition {
  return { name, type, description, priority: 1 };
}

export function nameOf(obj: KObject): string {
  return obj.metadata.name ?? '';
}

export function ageOf(obj: KObject, now: Date): string {
  return timestampSince(obj.metadata.creationTimestamp, now);
}

/** Views a stored object as its typed form; the registry has already checked its kind. */
export function typed<T>(obj: KObject): T {
  return obj as unknown as T;
}

/** `a,b` container names and `x:1,y:2` images, as the wide CONTAINERS/IMAGES columns show them. */
export function containerCells(containers: { name: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}
