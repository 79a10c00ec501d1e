// Small HTTP helpers: JSON responses, Status errors, bodies with a size limit, decoding by
// Content-Type (JSON, YAML, Kubernetes protobuf).
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { ApiError, errors } from '../api/errors.js';
import { decodeProtobuf } from './protobuf.js';

/** Upstream's limit for request bodies (3 MiB); larger ones get 413. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

const GO_ESCAPED = /[<>&\u2028\u2029]/g;

/**
 * JSON as upstream's Go encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped as \uXXXX.
 * kubectl compares some bytes verbatim (a ControllerRevision's data against its own encoding
 * of the live template, for "skipped rollback"), so the escaping must match.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value).replace(GO_ESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = encodeJson(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(errors.tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        // Discard the rest rather than destroy the socket, so the 413 Status reaches the client.
        req.off('data', onData);
        req.resume();
        chunks.length = 0;
        reject(errors.tooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decodes a JSON, YAML or protobuf body into a plain value; malformed bodies are a 400. */
export function decodeBody(contentType: string | undefined, body: Buffer): unknown {
  const type = mediaType(contentType);
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(body);
  const text = body.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return YAML.parse(text, { strict: true, uniqueKeys: true });
    } catch (err) {
      throw errors.badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (type && !type.endsWith('json') && type !== '*/*') throw errors.unsupportedMediaType(type);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`error decoding JSON: ${(err as Error).message}`);
  }
}

/** The `Warning` header value kubectl prints as `Warning: <text>`. */
export function warningHeader(texts: string[]): string {
  return texts.map((t) => `299 - ${JSON.stringify(t)}`).join(', ');
}
