// API errors as Kubernetes `Status` objects: the HTTP code, the machine `reason` and the
// `details` kubectl reads to print its usual messages.
import type { FieldError } from './validation/field-errors.js';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** `daemonsets.apps` for grouped resources, `pods` for the core group. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  notFound(resource: string, group: string, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource });
  },
  alreadyExists(resource: string, group: string, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource });
  },
  conflict(resource: string, group: string, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, { name, group, kind: resource });
  },
  /** 422 with every bad field listed; kubectl builds its message from kind, name and causes. */
  invalid(kind: string, group: string, name: string, fieldErrors: FieldError[]): ApiError {
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    const list = fieldErrors.map((e) => `${e.field}: ${e.message}`);
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
      name,
      group,
      kind,
      causes: fieldErrors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(user: string, verb: string, resource: string, group: string, namespace?: string, name?: string): ApiError {
    const what = name ? `${qualifiedResource(resource, group)} "${name}"` : qualifiedResource(resource, group);
    const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
    return new ApiError(403, 'Forbidden', `${what} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}"${scope}`, {
      name,
      group,
      kind: resource,
    });
  },
  methodNotAllowed(message = 'the server does not allow this method on the requested resource'): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  tooLarge(limit: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType || 'none'})`);
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },
  notFoundPath(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  },
};
