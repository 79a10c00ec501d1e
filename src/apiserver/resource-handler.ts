// REST verbs over HTTP for one resource request: decodes the query and body, calls the kind's
// RestStorage, and encodes the answer as JSON, a server-side Table, or a watch stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors } from '../api/errors.js';
import { FieldSelectorError, parseFieldSelector } from '../api/field-selector.js';
import { isPlainObject, type KObject } from '../api/object.js';
import { patchMetaFor } from '../api/patch-meta.js';
import { toTable } from '../api/printers/index.js';
import { apiVersionOf, type Served } from '../api/registry.js';
import { parseSelector, SelectorParseError } from '../placement/labels.js';
import { applyPatch } from './patch/json-patch.js';
import { strategicMergePatch } from './patch/strategic.js';
import { decodeBody, encodeJson, mediaType, readBody, sendJson, warningHeader } from './http-util.js';
import type { ResourceRequest } from './request-info.js';
import type { DeleteOptions, ListQuery, RestStorage, WatchEvent } from './rest-storage.js';
import type { FieldChecker } from './field-validation.js';
import type { SubresourceHandler } from './pod-subresources.js';
import type { WriteRestriction } from './node-restriction.js';

export interface HandlerContext {
  storage: RestStorage;
  served: Served;
  request: ResourceRequest;
  query: URLSearchParams;
  /** Drops unknown fields from a decoded object and names them (strict field validation). */
  checkFields: FieldChecker;
  /** Subresource handlers other than status (binding, eviction), by name. */
  subresourceHandlers: Record<string, SubresourceHandler>;
  watchTimeoutSeconds: () => number;
  onWatch: (delta: 1 | -1) => void;
  /** Object-level checks for the requesting user (node users: node-restriction.ts). */
  restriction?: WriteRestriction;
}

/** Which `verb` this is in authorization and metrics terms. */
export function verbOf(method: string, r: ResourceRequest, query: URLSearchParams): string {
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : r.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return r.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** `as=Table` in the Accept header: the meta.k8s.io version kubectl asked for, if any. */
function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

function listQuery(q: URLSearchParams): ListQuery {
  try {
    return {
      labelSelector: q.get('labelSelector') ? parseSelector(q.get('labelSelector')!) : undefined,
      fieldSelector: q.get('fieldSelector') ? parseFieldSelector(q.get('fieldSelector')!) : undefined,
      limit: q.get('limit') ? Math.max(0, Number(q.get('limit'))) || undefined : undefined,
      continueToken: q.get('continue') || undefined,
    };
  } catch (err) {
    if (err instanceof SelectorParseError || err instanceof FieldSelectorError) throw errors.badRequest(err.message);
    throw err;
  }
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json'];

function dryRun(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: ${v}; the only supported value is "All"`);
  return values.length > 0;
}

/**
 * Watch lines of the events being dispatched now. The store hands the same event objects to
 * every watcher in one synchronous pass, so each event is serialised once rather than once
 * per watcher; the cache is dropped as soon as that pass is over.
 */
const dispatchLines = new Map<KObject, Map<string, Buffer>>();

function sharedWatchLine(e: WatchEvent, apiVersion: string, serialise: () => string): Buffer {
  let lines = dispatchLines.get(e.object);
  if (!lines) {
    if (dispatchLines.size === 0) queueMicrotask(() => dispatchLines.clear());
    dispatchLines.set(e.object, (lines = new Map()));
  }
  const tag = `${e.type} ${apiVersion}`;
  let line = lines.get(tag);
  if (line === undefined) lines.set(tag, (line = Buffer.from(serialise()))); // encoded once, not per socket
  return line;
}

export class ResourceHandler {
  constructor(private readonly ctx: HandlerContext) {}

  private get def() {
    return this.ctx.served.def;
  }

  /** The object as the requested version shows it (aliases differ only in apiVersion). */
  private present(obj: KObject): KObject {
    const apiVersion = apiVersionOf(this.def.group, this.ctx.served.version.version);
    return { ...obj, apiVersion, kind: this.def.kind };
  }

  private headers(extraWarnings: string[] = []): Record<string, string> {
    const warnings = [...extraWarnings];
    if (this.ctx.served.version.deprecation) warnings.unshift(this.ctx.served.version.deprecation);
    return warnings.length ? { Warning: warningHeader(warnings) } : {};
  }

  private respond(req: IncomingMessage, res: ServerResponse, code: number, obj: KObject, warnings: string[] = []): void {
    const body = wantsTable(req.headers.accept)
      ? toTable(this.def.printer, [obj], { listResourceVersion: obj.metadata.resourceVersion ?? '', now: new Date() })
      : this.present(obj);
    sendJson(res, code, body, this.headers(warnings));
  }

  async handle(req: IncomingMessage, res: ServerResponse, verb: string): Promise<void> {
    const { request: r } = this.ctx;
    const sub = r.subresource;
    if (sub && sub !== 'status' && !this.ctx.subresourceHandlers[sub]) throw errors.notFoundPath();
    if (sub && !this.def.subresources.includes(sub)) throw errors.notFoundPath();
    switch (verb) {
      case 'get':
        return this.respond(req, res, 200, await this.ctx.storage.get(r.namespace, r.name!));
      case 'list':
        return this.list(req, res);
      case 'watch':
        return this.watch(req, res);
      case 'create':
        return this.create(req, res);
      case 'update':
        return this.update(req, res);
      case 'patch':
        return this.patch(req, res);
      case 'delete':
        return this.delete(req, res);
      case 'deletecollection':
        return this.deleteCollection(req, res);
      default:
        throw errors.methodNotAllowed();
    }
  }

  private async list(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { items, rev, continueToken } = await this.ctx.storage.list(this.ctx.request.namespace, listQuery(this.ctx.query));
    if (wantsTable(req.headers.accept)) {
      const table = toTable(this.def.printer, items, { listResourceVersion: String(rev), continue: continueToken, now: new Date() });
      return sendJson(res, 200, table, this.headers());
    }
    const metadata: Record<string, string> = { resourceVersion: String(rev) };
    if (continueToken) metadata.continue = continueToken;
    const apiVersion = apiVersionOf(this.def.group, this.ctx.served.version.version);
    sendJson(res, 200, { kind: this.def.listKind, apiVersion, metadata, items: items.map((i) => this.present(i)) }, this.headers());
  }

  private async watch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = this.ctx.query;
    const base = listQuery(q);
    const rvText = q.get('resourceVersion') ?? '';
    if (rvText && !/^\d+$/.test(rvText)) throw errors.badRequest(`invalid resource version: ${rvText}`);
    const table = wantsTable(req.headers.accept);
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const initialEventsEnd = q.get('sendInitialEvents') === 'true';
    const timeout = Number(q.get('timeoutSeconds')) || this.ctx.watchTimeoutSeconds();

    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', ...this.headers() });
    res.flushHeaders(); // kubectl waits for the headers before it considers the watch started
    let headerSent = false;
    let lastRev = rvText;
    const writeLines = (text: string | Buffer): void => {
      if (res.writableLength > 16 * 1024 * 1024) {
        res.destroy(); // a client this far behind would rather re-list
        return;
      }
      res.write(text);
    };
    const write = (type: string, object: unknown): void => writeLines(encodeJson({ type, object }) + '\n');
    const apiVersion = apiVersionOf(this.def.group, this.ctx.served.version.version);
    const send = (events: WatchEvent[]): void => {
      const lines: Buffer[] = [];
      for (const e of events) {
        lastRev = e.object.metadata.resourceVersion ?? lastRev;
        if (table) {
          const t = toTable(this.def.printer, [e.object], { listResourceVersion: lastRev, now: new Date(), noHeaders: headerSent });
          headerSent = true;
          lines.push(Buffer.from(encodeJson({ type: e.type, object: t }) + '\n'));
        } else lines.push(sharedWatchLine(e, apiVersion, () => encodeJson({ type: e.type, object: this.present(e.object) }) + '\n'));
      }
      writeLines(lines.length === 1 ? lines[0]! : Buffer.concat(lines)); // one chunk per batch
    };

    let stop: (() => void) | undefined;
    try {
      stop = await this.ctx.storage.watch(this.ctx.request.namespace, { ...base, resourceVersion: rvText ? Number(rvText) : undefined }, send);
    } catch (err) {
      // Upstream answers a too-old version with an ERROR event on an open stream.
      if (err instanceof ApiError) {
        write('ERROR', err.toStatus());
        res.end();
        return;
      }
      throw err;
    }
    const bookmark = (extra: Record<string, string> = {}): void => {
      if (!lastRev) return;
      const meta = { resourceVersion: lastRev, ...(Object.keys(extra).length ? { annotations: extra } : {}) };
      write('BOOKMARK', { kind: this.def.kind, apiVersion: apiVersionOf(this.def.group, this.ctx.served.version.version), metadata: meta });
    };
    if (!lastRev) lastRev = String(this.ctx.storage.revision());
    if (initialEventsEnd && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    this.ctx.onWatch(1);
    const ticker = bookmarks ? setInterval(() => bookmark(), 30_000) : undefined;
    const timer = setTimeout(() => res.end(), timeout * 1000);
    const finish = (): void => {
      stop?.();
      stop = undefined;
      clearInterval(ticker);
      clearTimeout(timer);
      this.ctx.onWatch(-1);
    };
    res.once('close', finish);
  }

  private async readObject(req: IncomingMessage): Promise<{ obj: KObject; warnings: string[] }> {
    const body = decodeBody(req.headers['content-type'], await readBody(req));
    if (!isPlainObject(body)) throw errors.badRequest('the request body must be a JSON or YAML object');
    return this.checkObject(body as KObject, true);
  }

  /** Type, version and field checks shared by create, update and the result of a patch. */
  private checkObject(obj: KObject, fromClient: boolean): { obj: KObject; warnings: string[] } {
    const expected = apiVersionOf(this.def.group, this.ctx.served.version.version);
    if (fromClient && this.ctx.request.subresource === undefined) {
      if (obj.apiVersion !== undefined && obj.apiVersion !== expected && obj.apiVersion !== apiVersionOf(this.def.group, this.def.version)) {
        throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`);
      }
      if (obj.kind !== undefined && obj.kind !== this.def.kind) {
        throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${this.def.kind})`);
      }
    }
    if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) throw errors.badRequest('metadata must be an object');
    const { unknown, typeError } = this.ctx.checkFields(this.def, obj);
    const mode = this.ctx.query.get('fieldValidation') ?? 'Warn';
    const cannotHandle = `${this.def.kind} in version "${this.ctx.served.version.version}" cannot be handled as a ${this.def.kind}`;
    if (typeError) throw errors.badRequest(`${cannotHandle}: ${typeError}`);
    if (unknown.length && mode === 'Strict') {
      throw errors.badRequest(`${cannotHandle}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    const warnings = mode === 'Ignore' ? [] : unknown.map((f) => `unknown field "${f}"`);
    return { obj: { ...obj, apiVersion: apiVersionOf(this.def.group, this.def.version), kind: this.def.kind }, warnings };
  }

  private async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = this.ctx.request;
    if (r.subresource) {
      // A Binding or Eviction: not checked against the parent kind's schema, which would drop its fields.
      const body = decodeBody(req.headers['content-type'], await readBody(req));
      if (!isPlainObject(body)) throw errors.badRequest('the request body must be a JSON or YAML object');
      const out = await this.ctx.subresourceHandlers[r.subresource]!(this.ctx.storage, r.namespace, r.name!, body as KObject);
      return sendJson(res, out.code, out.body, this.headers());
    }
    const { obj, warnings } = await this.readObject(req);
    if (r.name) throw errors.methodNotAllowed('POST is not supported on a named resource; use PUT or PATCH');
    this.ctx.restriction?.create(obj);
    const created = await this.ctx.storage.create(r.namespace, obj, { dryRun: dryRun(this.ctx.query) });
    this.respond(req, res, 201, created, warnings);
  }

  private async update(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = this.ctx.request;
    if (!r.name) throw errors.methodNotAllowed();
    const { obj, warnings } = await this.readObject(req);
    await this.checkExisting('update');
    const updated = await this.ctx.storage.update(r.namespace, r.name, obj, r.subresource, { dryRun: dryRun(this.ctx.query) });
    this.respond(req, res, 200, updated, warnings);
  }

  private async patch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = this.ctx.request;
    if (!r.name) throw errors.methodNotAllowed();
    const type = mediaType(req.headers['content-type']);
    if (!PATCH_TYPES.includes(type)) {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
    }
    const body = decodeBody(type === 'application/apply-patch+yaml' ? type : 'application/json', await readBody(req));
    const meta = patchMetaFor(this.def.group, this.def.kind);
    const opts = { dryRun: dryRun(this.ctx.query) };
    let warnings: string[] = [];
    if (type === 'application/apply-patch+yaml') return this.apply(req, res, body, opts.dryRun);

    const patched = await this.ctx.storage.guaranteedUpdate(r.namespace, r.name, r.subresource, opts, (current) => {
      this.ctx.restriction?.existing(current, 'patch'); // against the very object being changed
      const result = applyPatch(type, this.present(current), body, meta);
      if (!isPlainObject(result)) throw errors.badRequest('the patch did not produce an object');
      const checked = this.checkObject(result as KObject, false);
      warnings = checked.warnings;
      if (checked.obj.metadata?.resourceVersion && checked.obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(this.def.plural, this.def.group, r.name!);
      }
      return checked.obj;
    });
    this.respond(req, res, 200, patched, warnings);
  }

  /**
   * Server-side apply, simplified: the applied configuration is created if absent and merged
   * into the live object (strategic merge) otherwise. Field ownership (managedFields) and
   * apply conflicts are not tracked.
   */
  private async apply(req: IncomingMessage, res: ServerResponse, body: unknown, isDryRun: boolean): Promise<void> {
    const r = this.ctx.request;
    if (!isPlainObject(body)) throw errors.badRequest('the applied configuration must be an object');
    const { obj, warnings } = this.checkObject(body as KObject, true);
    if (obj.metadata?.name && obj.metadata.name !== r.name) throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${r.name})`);
    const meta = patchMetaFor(this.def.group, this.def.kind);
    try {
      const patched = await this.ctx.storage.guaranteedUpdate(r.namespace, r.name!, r.subresource, { dryRun: isDryRun }, (current) => {
        this.ctx.restriction?.existing(current, 'patch');
        const merged = strategicMergePatch(current, obj, meta) as KObject;
        return { ...merged, metadata: { ...merged.metadata, resourceVersion: current.metadata.resourceVersion } };
      });
      return this.respond(req, res, 200, patched, warnings);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404) || r.subresource) throw err;
    }
    const toCreate = { ...obj, metadata: { ...obj.metadata, name: r.name } };
    this.ctx.restriction?.create(toCreate);
    const created = await this.ctx.storage.create(r.namespace, toCreate, { dryRun: isDryRun });
    this.respond(req, res, 201, created, warnings);
  }

  /** `accepted`: the deprecated orphanDependents=false, the one case upstream answers a pending delete with 202. */
  private async deleteOptions(req: IncomingMessage): Promise<DeleteOptions & { accepted?: boolean }> {
    const q = this.ctx.query;
    const raw = await readBody(req);
    const body = raw.length ? decodeBody(req.headers['content-type'], raw) : {};
    if (!isPlainObject(body)) throw errors.badRequest('DeleteOptions must be an object');
    const opts: DeleteOptions & { accepted?: boolean } = { dryRun: dryRun(q) || (Array.isArray(body.dryRun) && body.dryRun.includes('All')) };
    const grace = q.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
    if (grace !== undefined && grace !== null) opts.gracePeriodSeconds = Math.max(0, Number(grace));
    const policy = q.get('propagationPolicy') ?? body.propagationPolicy;
    if (policy !== undefined && policy !== null) {
      if (policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
        throw errors.invalid('DeleteOptions', '', '', [
          { type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"` },
        ]);
      }
      opts.propagationPolicy = policy;
    } else {
      const orphan = q.get('orphanDependents') ?? body.orphanDependents;
      if (orphan !== undefined && orphan !== null) opts.propagationPolicy = String(orphan) === 'true' ? 'Orphan' : 'Background';
      opts.accepted = orphan !== undefined && orphan !== null && String(orphan) === 'false';
    }
    if (isPlainObject(body.preconditions)) opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
    return opts;
  }

  private async delete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = this.ctx.request;
    if (r.subresource) throw errors.methodNotAllowed();
    const opts = await this.deleteOptions(req);
    const checked = await this.checkExisting('delete');
    // Pinned to the object that was checked, so a same-named replacement is not deleted instead.
    if (checked) opts.preconditions = { ...opts.preconditions, uid: opts.preconditions?.uid ?? checked.metadata.uid };
    const { object, deleted } = await this.ctx.storage.delete(r.namespace, r.name!, opts, this.ctx.served.version.defaultPropagation);
    // Upstream answers 200 even when the object only got a deletionTimestamp (finalizers, grace).
    if (!deleted || this.def.kind === 'Pod') return this.respond(req, res, !deleted && opts.accepted ? 202 : 200, object);
    sendJson(
      res,
      200,
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: r.name, group: this.def.group, kind: this.def.plural, uid: object.metadata.uid } },
      this.headers(),
    );
  }

  /**
   * With a restriction (node users), the stored object decides whether an update or delete is
   * allowed. (Patches check inside their read-modify-write instead.)
   */
  private async checkExisting(verb: string): Promise<KObject | undefined> {
    const check = this.ctx.restriction;
    if (!check) return undefined;
    const r = this.ctx.request;
    const current = await this.ctx.storage.get(r.namespace, r.name!);
    check.existing(current, verb);
    return current;
  }

  private async deleteCollection(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = this.ctx.request;
    const opts = await this.deleteOptions(req);
    const items = await this.ctx.storage.deleteCollection(r.namespace, listQuery(this.ctx.query), opts, this.ctx.served.version.defaultPropagation);
    const apiVersion = apiVersionOf(this.def.group, this.ctx.served.version.version);
    sendJson(res, 200, { kind: this.def.listKind, apiVersion, metadata: {}, items: items.map((i) => this.present(i)) }, this.headers());
  }
}
