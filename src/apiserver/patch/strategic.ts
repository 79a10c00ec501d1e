// Strategic merge patch (application/strategic-merge-patch+json), as the upstream API server
// applies it: maps merge recursively, lists merge according to the kind's patch metadata, and
// the `$`-directives kubectl emits are honoured and never left in the result.
import { errors } from '../../api/errors.js';
import { clone, isPlainObject } from '../../api/object.js';
import { isListSchema, type FieldSchema, type ListSchema, type ObjectSchema, type PatchMeta } from '../../api/patch-meta.js';

type JsonMap = Record<string, unknown>;
type Id = string | number | boolean;

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const ORDER_PREFIX = '$setElementOrder/';
const DELETE_PREFIX = '$deleteFromPrimitiveList/';
const ATOMIC: ListSchema = { list: 'atomic' };

/** The per-list directives a map carries beside its fields. */
interface ListDirectives {
  order?: unknown[];
  deletions?: unknown[];
}

/** Applies `patch` to `original`; neither input is modified. Errors are 400 Bad Request. */
export function strategicMergePatch(original: unknown, patch: unknown, meta: PatchMeta): unknown {
  if (!isPlainObject(patch)) throw errors.badRequest('strategic merge patch: the patch body must be a JSON object');
  return mergeMap(isPlainObject(original) ? clone(original) : {}, patch, meta, '');
}

function bad(path: string, message: string): Error {
  return errors.badRequest(`strategic merge patch: ${path || '<root>'}: ${message}`);
}

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** Merges `patch` into `target`, which this module owns and may modify. */
function mergeMap(target: JsonMap, patch: JsonMap, schema: ObjectSchema | undefined, path: string): JsonMap {
  const directive = patch[PATCH];
  if (directive === 'replace') {
    const { [PATCH]: _, ...replacement } = patch;
    return mergeMap({}, replacement, schema, path);
  }
  if (directive === 'delete') return {};
  if (directive !== undefined && directive !== 'merge') {
    throw bad(path, `unknown $patch directive ${JSON.stringify(directive)} (expected replace, delete or merge)`);
  }
  if (Object.hasOwn(patch, RETAIN_KEYS)) applyRetainKeys(target, patch, path);

  const directives = listDirectives(patch, path);
  const keys = new Set([...Object.keys(patch).filter((k) => !isDirective(k)), ...directives.keys()]);
  for (const key of keys) {
    // Assigning `__proto__` would reach Object.prototype; no Kubernetes object has such a field.
    if (key === '__proto__') throw bad(path, 'the field name "__proto__" is not allowed');
    const value = patch[key];
    const fieldPath = at(path, key);
    const fieldSchema = schema?.fields?.[key];
    if (value === null) {
      delete target[key];
    } else if (value === undefined) {
      // Only a directive names this field: reorder or prune the live list, if there is one.
      if (Array.isArray(target[key])) target[key] = mergeList(target[key], undefined, listSchemaOf(fieldSchema, fieldPath), fieldPath, directives.get(key));
    } else {
      target[key] = mergeField(target[key], value, fieldSchema, directives.get(key), fieldPath);
    }
  }
  return target;
}

/** Other `$`-keys are plain fields, as upstream treats them. */
function isDirective(key: string): boolean {
  return key === PATCH || key === RETAIN_KEYS || key.startsWith(ORDER_PREFIX) || key.startsWith(DELETE_PREFIX);
}

function listDirectives(patch: JsonMap, path: string): Map<string, ListDirectives> {
  const found = new Map<string, ListDirectives>();
  const entry = (field: string): ListDirectives => found.get(field) ?? found.set(field, {}).get(field)!;
  for (const [key, value] of Object.entries(patch)) {
    const prefix = key.startsWith(ORDER_PREFIX) ? ORDER_PREFIX : key.startsWith(DELETE_PREFIX) ? DELETE_PREFIX : undefined;
    if (!prefix) continue;
    const field = key.slice(prefix.length);
    if (!field) throw bad(path, `directive "${key}" names no field`);
    if (!Array.isArray(value)) throw bad(at(path, key), 'must be a list');
    if (prefix === ORDER_PREFIX) entry(field).order = value;
    else entry(field).deletions = value;
  }
  return found;
}

/** `$retainKeys`: every field the patch sets must be listed; live fields not listed are dropped. */
function applyRetainKeys(target: JsonMap, patch: JsonMap, path: string): void {
  const keep = patch[RETAIN_KEYS];
  if (!Array.isArray(keep) || !keep.every((k) => typeof k === 'string')) throw bad(at(path, RETAIN_KEYS), 'must be a list of field names');
  for (const [key, value] of Object.entries(patch)) {
    if (value !== null && !isDirective(key) && !keep.includes(key)) {
      throw bad(path, `field "${key}" is set by the patch but not listed in $retainKeys`);
    }
  }
  for (const key of Object.keys(target)) if (!keep.includes(key)) delete target[key];
}

function listSchemaOf(schema: FieldSchema | undefined, path: string): ListSchema {
  if (!schema) return ATOMIC;
  if (!isListSchema(schema)) throw bad(path, 'expected an object, got a list');
  return schema;
}

function mergeField(current: unknown, value: unknown, schema: FieldSchema | undefined, directives: ListDirectives | undefined, path: string): unknown {
  if (Array.isArray(value)) return mergeList(Array.isArray(current) ? current : [], value, listSchemaOf(schema, path), path, directives);
  if (schema && isListSchema(schema)) throw bad(path, `expected a list, got ${describe(value)}`);
  if (directives) throw bad(path, 'list directives given for a field that is not a list');
  if (isPlainObject(value)) return mergeMap(isPlainObject(current) ? current : {}, value, schema, path);
  if (schema) throw bad(path, `expected an object, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'a list' : isPlainObject(value) ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** `current` is owned (a clone); `patchList` is read-only. */
function mergeList(current: unknown[], patchList: unknown[] | undefined, schema: ListSchema, path: string, directives: ListDirectives = {}): unknown[] {
  if (schema.list !== 'set' && directives.deletions) throw bad(path, '$deleteFromPrimitiveList applies only to lists that merge primitives');
  switch (schema.list) {
    case 'atomic':
      // A $setElementOrder hint on an atomic list has nothing to reorder: the patch list is the result.
      return patchList ? clone(patchList) : current;
    case 'set':
      return mergeSet(current, patchList ?? [], directives, path);
    case 'map':
      return mergeByKey(current, patchList ?? [], schema, directives, path);
  }
}

function primitive(value: unknown, path: string): Id {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw bad(path, `expected a list of primitive values, found ${describe(value)}`);
}

function mergeSet(current: unknown[], patchList: unknown[], directives: ListDirectives, path: string): unknown[] {
  const additions = patchList.map((v) => primitive(v, path));
  const deletions = new Set((directives.deletions ?? []).map((v) => primitive(v, path)));
  const liveIds = current.map((v) => primitive(v, path));
  const merged = [...new Set([...liveIds.filter((v) => !deletions.has(v)), ...additions])];
  const order = directives.order ? directives.order.map((v) => primitive(v, path)) : additions;
  checkOrderCoversPatch(order, additions, path);
  return normalizeOrder(merged, (v) => v, order, liveIds);
}

function mergeByKey(current: unknown[], patchList: unknown[], schema: ListSchema & { list: 'map' }, directives: ListDirectives, path: string): unknown[] {
  const { mergeKey, items: itemSchema } = schema;
  const idOf = (item: unknown): Id => {
    const id = isPlainObject(item) ? item[mergeKey] : undefined;
    if (id === undefined || id === null) throw bad(path, `list item ${describe(item)} has no merge key "${mergeKey}"`);
    return primitive(id, at(path, mergeKey));
  };
  const liveIdOf = (item: unknown): Id | undefined => (isPlainObject(item) ? (item[mergeKey] as Id | undefined) : undefined);

  let merged = current;
  const updates: JsonMap[] = [];
  let replace = false;
  for (const item of patchList) {
    if (!isPlainObject(item)) throw bad(path, `list items must be objects, found ${describe(item)}`);
    const directive = item[PATCH];
    if (directive === undefined) {
      idOf(item);
      updates.push(item);
    } else if (directive === 'delete') {
      const id = idOf(item);
      merged = merged.filter((live) => liveIdOf(live) !== id);
    } else if (directive === 'replace') {
      replace = true;
    } else {
      throw bad(path, `unsupported $patch directive ${JSON.stringify(directive)} in a list item (expected delete or replace)`);
    }
  }
  // `{"$patch":"replace"}` as an item: the other items become the whole list.
  if (replace) return updates.map((item) => mergeMap({}, item, itemSchema, `${path}[${mergeKey}=${idOf(item)}]`));

  const liveIds = current.map(liveIdOf);
  for (const item of updates) {
    const id = idOf(item);
    const itemPath = `${path}[${mergeKey}=${id}]`;
    const index = merged.findIndex((live) => liveIdOf(live) === id);
    if (index >= 0) merged[index] = mergeMap(merged[index] as JsonMap, item, itemSchema, itemPath);
    else merged.push(mergeMap({}, item, itemSchema, itemPath));
  }
  const patchIds = updates.map(idOf);
  const order = directives.order ? directives.order.map(idOf) : patchIds;
  checkOrderCoversPatch(order, patchIds, path);
  return normalizeOrder(merged, liveIdOf, order, liveIds);
}

/** Upstream rejects a `$setElementOrder` list that omits patch items or orders them differently. */
function checkOrderCoversPatch(order: Id[], patchIds: Id[], path: string): void {
  let matched = 0;
  for (const id of order) if (matched < patchIds.length && patchIds[matched] === id) matched++;
  if (matched < patchIds.length) throw bad(path, `the $setElementOrder list does not contain the patch items in patch order`);
}

/**
 * Upstream ordering: items named by the patch (or its `$setElementOrder`) take that order; the
 * remaining live items keep theirs and are interleaved by their live position. An item new to
 * the list goes before any live-only item that is still waiting, so a plain patch that adds an
 * item puts it first (as upstream does) unless `$setElementOrder` says otherwise.
 */
function normalizeOrder<T>(merged: T[], idOf: (item: T) => Id | undefined, order: Id[], liveIds: (Id | undefined)[]): T[] {
  const rank = new Map<Id, number>();
  order.forEach((id, i) => rank.has(id) || rank.set(id, i));
  const rankOf = (item: T): number | undefined => {
    const id = idOf(item);
    return id === undefined ? undefined : rank.get(id);
  };
  const named = merged.filter((item) => rankOf(item) !== undefined).sort((a, b) => rankOf(a)! - rankOf(b)!);
  const others = merged.filter((item) => rankOf(item) === undefined);
  const livePos = (item: T): number => {
    const id = idOf(item);
    return id === undefined ? -1 : liveIds.indexOf(id);
  };

  const result: T[] = [];
  let i = 0;
  let j = 0;
  while (i < others.length || j < named.length) {
    if (j >= named.length) result.push(others[i++]!);
    else if (i >= others.length) result.push(named[j++]!);
    else {
      const left = livePos(others[i]!);
      const right = livePos(named[j]!);
      if (left >= 0 && right >= 0 && left < right) result.push(others[i++]!);
      else result.push(named[j++]!);
    }
  }
  return result;
}
