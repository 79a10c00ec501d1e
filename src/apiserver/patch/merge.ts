// JSON merge patch (RFC 7386, application/merge-patch+json): objects merge recursively,
// `null` removes a key, anything else (lists included) replaces the old value.
import { errors } from '../../api/errors.js';
import { clone, isPlainObject } from '../../api/object.js';

type JsonMap = Record<string, unknown>;

/** Applies `patch` to `original`; neither input is modified. A `__proto__` key is a 400. */
export function jsonMergePatch(original: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  return mergeInto(isPlainObject(original) ? clone(original) : {}, patch);
}

/** `target` is owned by this module; `patch` is only read. */
function mergeInto(target: JsonMap, patch: JsonMap): JsonMap {
  for (const [key, value] of Object.entries(patch)) {
    // Assigning `__proto__` would reach Object.prototype; no Kubernetes object has such a field.
    if (key === '__proto__') throw errors.badRequest('merge patch: the field name "__proto__" is not allowed');
    if (value === null) delete target[key];
    else if (isPlainObject(value)) target[key] = mergeInto(isPlainObject(target[key]) ? target[key] : {}, value);
    else target[key] = clone(value);
  }
  return target;
}
