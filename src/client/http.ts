// The HTTPS client agents use: bearer token, the cluster CA, keep-alive connections, and
// watches read as newline-delimited JSON streams.
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { ApiError, errors } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { PATCH_CONTENT_TYPES, type Client, type DeleteOptions, type ListOptions, type PatchType, type Resource, type WatchHandlers, type WatchOptions } from './client.js';

export interface HttpClientOptions {
  server: string;
  token: string;
  ca: string;
  /** Connections kept open to the server (default 32). */
  maxSockets?: number;
  /**
   * Requests other than watches fail after this long without an answer (default: never). A
   * heartbeat must not wait on a connection the network silently dropped.
   */
  timeoutMs?: number;
}

function path(r: Resource, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

function listQuery(opts: ListOptions & { resourceVersion?: string }): string {
  const q = new URLSearchParams();
  if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
  if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
  if (opts.limit) q.set('limit', String(opts.limit));
  if (opts.continue) q.set('continue', opts.continue);
  if (opts.resourceVersion) q.set('resourceVersion', opts.resourceVersion);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function toError(status: number, text: string): ApiError {
  try {
    const s = JSON.parse(text) as { kind?: string; code?: number; reason?: string; message?: string; details?: object };
    if (s.kind === 'Status') return new ApiError(s.code ?? status, s.reason ?? 'Unknown', s.message ?? text, s.details);
  } catch {
    // not a Status body
  }
  return new ApiError(status, status === 404 ? 'NotFound' : 'InternalError', text || `HTTP ${status}`);
}

export class HttpClient implements Client {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(private readonly opts: HttpClientOptions) {
    this.agent = new Agent({ ca: opts.ca, keepAlive: true, maxSockets: opts.maxSockets ?? 32 });
    this.base = new URL(opts.server);
  }

  private send(method: string, p: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(p, this.base),
        {
          method,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.opts.token}`,
            Accept: 'application/json',
            ...(data ? { 'Content-Type': contentType, 'Content-Length': data.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 400) return reject(toError(res.statusCode ?? 500, text));
            try {
              resolve(text ? JSON.parse(text) : undefined);
            } catch (err) {
              reject(err);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', (err) => reject(errors.serviceUnavailable(`cannot reach the API server at ${this.opts.server}: ${err.message}`)));
      const timeoutMs = this.opts.timeoutMs;
      if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.end(data);
    });
  }

  async get(r: Resource, namespace: string | undefined, name: string): Promise<KObject> {
    return (await this.send('GET', path(r, namespace, name))) as KObject;
  }

  async list(r: Resource, namespace: string | undefined, opts: ListOptions = {}) {
    const res = (await this.send('GET', path(r, namespace) + listQuery(opts))) as { items: KObject[]; metadata: { resourceVersion: string; continue?: string } };
    return { items: res.items, resourceVersion: res.metadata.resourceVersion, continue: res.metadata.continue };
  }

  watch(r: Resource, namespace: string | undefined, opts: WatchOptions, handlers: WatchHandlers) {
    const q = new URLSearchParams(listQuery(opts).slice(1));
    q.set('watch', 'true');
    if (opts.allowBookmarks) q.set('allowWatchBookmarks', 'true');
    let closed = false;
    const close = (err?: Error): void => {
      if (closed) return;
      closed = true;
      handlers.onClose(err);
    };
    const req = request(new URL(`${path(r, namespace)}?${q}`, this.base), {
      agent: this.agent,
      headers: { Authorization: `Bearer ${this.opts.token}`, Accept: 'application/json' },
    });
    req.on('response', (res: IncomingMessage) => {
      if ((res.statusCode ?? 500) >= 400) {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => close(toError(res.statusCode ?? 500, text)));
        return;
      }
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!line.trim() || closed) continue;
          const e = JSON.parse(line) as { type: string; object: KObject };
          if (e.type === 'ERROR') {
            const s = e.object as unknown as { code?: number };
            close(toError(s.code ?? 500, JSON.stringify(e.object)));
            req.destroy();
            return;
          }
          handlers.onEvent(e.type as 'ADDED', e.object);
        }
      });
      res.on('end', () => close());
      res.on('error', (err) => close(err));
    });
    req.on('error', (err) => close(err));
    req.end();
    return {
      stop: () => {
        closed = true;
        req.destroy();
      },
    };
  }

  async create(r: Resource, namespace: string | undefined, obj: KObject): Promise<KObject> {
    return (await this.send('POST', path(r, namespace), obj)) as KObject;
  }

  async update(r: Resource, namespace: string | undefined, obj: KObject, subresource?: string): Promise<KObject> {
    return (await this.send('PUT', path(r, namespace, obj.metadata.name, subresource), obj)) as KObject;
  }

  async patch(r: Resource, namespace: string | undefined, name: string, type: PatchType, patch: unknown, subresource?: string): Promise<KObject> {
    return (await this.send('PATCH', path(r, namespace, name, subresource), patch, PATCH_CONTENT_TYPES[type])) as KObject;
  }

  async delete(r: Resource, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    await this.send('DELETE', path(r, namespace, name), { kind: 'DeleteOptions', apiVersion: 'v1', ...opts });
  }

  async createSubresource(r: Resource, namespace: string | undefined, name: string, subresource: string, body: KObject): Promise<void> {
    await this.send('POST', path(r, namespace, name, subresource), body);
  }

  close(): void {
    this.agent.destroy();
  }
}
