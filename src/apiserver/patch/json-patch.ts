// JSON patch (RFC 6902, application/json-patch+json) through fast-json-patch, plus the
// dispatch from a PATCH request's Content-Type to the matching patch function.
import jsonPatch, { type Operation } from 'fast-json-patch';
import { ApiError, errors } from '../../api/errors.js';
import { clone, isPlainObject } from '../../api/object.js';
import type { PatchMeta } from '../../api/patch-meta.js';
import { jsonMergePatch } from './merge.js';
import { strategicMergePatch } from './strategic.js';

/** Failures that depend on the document (not on the shape of the ops) answer 422, as upstream does. */
const documentFailures = new Set([
  'TEST_OPERATION_FAILED',
  'OPERATION_PATH_CANNOT_ADD',
  'OPERATION_PATH_UNRESOLVABLE',
  'OPERATION_FROM_UNRESOLVABLE',
  'OPERATION_PATH_ILLEGAL_ARRAY_INDEX',
  'OPERATION_VALUE_OUT_OF_BOUNDS',
]);

/**
 * Applies a list of RFC 6902 operations; neither input is modified. Malformed operations
 * answer 400 Bad Request; well-formed ones that do not apply (a failed `test`, a missing
 * path) answer 422 Invalid.
 */
export function applyJsonPatch(original: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw errors.badRequest('json patch: the patch body must be a JSON array of operations');
  try {
    return jsonPatch.applyPatch(clone(original), clone(ops) as Operation[], true, true).newDocument;
  } catch (e) {
    if (!(e instanceof jsonPatch.JsonPatchError)) throw errors.badRequest(`json patch: ${(e as Error).message}`);
    const op = isPlainObject(e.operation) ? ` (${String(e.operation.op)} ${String(e.operation.path)})` : '';
    const message = `json patch: operation ${e.index ?? 0}${op}: ${e.message.split('\n')[0]}`;
    throw documentFailures.has(e.name) ? new ApiError(422, 'Invalid', message) : errors.badRequest(message);
  }
}

/** Applies a PATCH body according to its Content-Type (server-side apply is handled elsewhere). */
export function applyPatch(contentType: string, original: unknown, body: unknown, meta: PatchMeta): unknown {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  switch (mediaType) {
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(original, body, meta);
    case 'application/merge-patch+json':
      if (!isPlainObject(body)) throw errors.badRequest('merge patch: the patch body must be a JSON object');
      return jsonMergePatch(original, body);
    case 'application/json-patch+json':
      return applyJsonPatch(original, body);
    default:
      throw errors.unsupportedMediaType(contentType);
  }
}
