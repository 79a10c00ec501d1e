// The generic behaviour of every kind's REST verbs on top of the Store: system metadata,
// defaulting, validation, optimistic concurrency, status subresources, finalizers, graceful
// deletion and filtered watches. Kind-specific differences come from the registry entry.
import { randomUUID } from 'node:crypto';
import { ApiError, errors } from '../api/errors.js';
import { clone, jsonEqual, type KObject } from '../api/object.js';
import type { ResourceDef } from '../api/registry-types.js';
import { fieldSelectorMatches, type FieldRequirement } from '../api/field-selector.js';
import { selectorMatches, type Requirement } from '../placement/labels.js';
import { StoreError, type Store, type StoreEvent } from '../storage/store.js';

export interface ListQuery {
  labelSelector?: Requirement[];
  fieldSelector?: FieldRequirement[];
  limit?: number;
  continueToken?: string;
}

export interface WatchQuery {
  labelSelector?: Requirement[];
  fieldSelector?: FieldRequirement[];
  /** undefined or 0: start with synthetic ADDED events for the current state. */
  resourceVersion?: number;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WriteOptions {
  dryRun?: boolean;
}

/** Admission: checks and mutations that need other objects (namespaces exist, priority classes...). */
export type Admit = (op: 'create' | 'update', def: ResourceDef, obj: KObject, old?: KObject) => Promise<void>;

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_CONFLICT_RETRIES = 10;
const MAX_NAME_RETRIES = 8;

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_SUFFIX_ALPHABET[Math.floor(Math.random() * NAME_SUFFIX_ALPHABET.length)];
  return s;
}

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Everything but metadata and status: what counts as "the spec" for generation tracking. */
function specPart(obj: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/**
 * Points the new version's spec and status at the stored version's when they did not change (the
 * spec on a status update, the status on most other writes), so that the history window holds
 * each unchanged part once. Safe because stored objects are never modified.
 */
function shareUnchanged(next: KObject, stored: KObject): KObject {
  for (const k of ['spec', 'status']) {
    if (next[k] !== stored[k] && typeof next[k] === 'object' && jsonEqual(next[k], stored[k])) next[k] = stored[k];
  }
  return next;
}

function sameIgnoringVersion(a: KObject, b: KObject): boolean {
  return jsonEqual({ ...a, metadata: { ...a.metadata, resourceVersion: undefined } }, { ...b, metadata: { ...b.metadata, resourceVersion: undefined } });
}

export function encodeContinue(rev: number, key: string): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: rev, start: key })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { start?: unknown };
    if (typeof parsed.start === 'string') return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw errors.badRequest('invalid continue token: it must be the metadata.continue value of a previous list response');
}

export class RestStorage {
  readonly group: string;
  readonly resource: string;

  constructor(
    readonly def: ResourceDef,
    private readonly store: Store,
    private readonly admit: Admit,
  ) {
    this.group = def.group;
    this.resource = def.plural;
  }

  revision(): number {
    return this.store.revision();
  }

  key(namespace: string | undefined, name: string): string {
    return this.def.namespaced ? `/registry/${this.def.plural}/${namespace}/${name}` : `/registry/${this.def.plural}/${name}`;
  }

  prefix(namespace: string | undefined): string {
    return this.def.namespaced && namespace ? `/registry/${this.def.plural}/${namespace}/` : `/registry/${this.def.plural}/`;
  }

  private notFound(name: string): ApiError {
    return errors.notFound(this.resource, this.group, name);
  }

  private translate(err: unknown, name: string): unknown {
    if (!(err instanceof StoreError)) return err;
    switch (err.code) {
      case 'NotFound':
        return this.notFound(name);
      case 'AlreadyExists':
        return errors.alreadyExists(this.resource, this.group, name);
      case 'Conflict':
        return errors.conflict(this.resource, this.group, name);
      case 'Expired':
        return errors.gone(err.message);
      case 'Unavailable':
        return errors.serviceUnavailable(err.message);
    }
  }

  async get(namespace: string | undefined, name: string): Promise<KObject> {
    const obj = await this.store.get(this.key(namespace, name));
    if (!obj) throw this.notFound(name);
    return obj;
  }

  /** The value a field selector compares against; unsupported fields are a 400. */
  fieldValue(obj: KObject, field: string): string {
    if (field === 'metadata.name') return obj.metadata.name ?? '';
    if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
    const getter = this.def.fieldSelectors[field];
    if (!getter) throw this.unsupportedField(field);
    return getter(obj) ?? '';
  }

  /** Upstream's wording differs: kinds with their own selectable fields have a conversion function that says "not supported". */
  private unsupportedField(field: string): ApiError {
    if (Object.keys(this.def.fieldSelectors).length) return errors.badRequest(`field label not supported: ${field}`);
    return errors.badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
  }

  matcher(q: { labelSelector?: Requirement[]; fieldSelector?: FieldRequirement[] }): (obj: KObject) => boolean {
    const labels = q.labelSelector?.length ? q.labelSelector : undefined;
    const fields = q.fieldSelector?.length ? q.fieldSelector : undefined;
    // Check field names once up front so a bad selector fails even on an empty list.
    for (const f of fields ?? []) if (f.field !== 'metadata.name' && f.field !== 'metadata.namespace' && !this.def.fieldSelectors[f.field]) {
      throw this.unsupportedField(f.field);
    }
    return (obj) => (!labels || selectorMatches(labels, obj.metadata.labels)) && (!fields || fieldSelectorMatches(fields, (f) => this.fieldValue(obj, f)));
  }

  async list(namespace: string | undefined, q: ListQuery): Promise<{ items: KObject[]; rev: number; continueToken?: string }> {
    const filter = this.matcher(q);
    const afterKey = q.continueToken ? decodeContinue(q.continueToken) : undefined;
    const res = await this.store.list(this.prefix(namespace), { filter, limit: q.limit, afterKey });
    return { items: res.items, rev: res.rev, continueToken: res.nextKey ? encodeContinue(res.rev, res.nextKey) : undefined };
  }

  /**
   * Streams filtered events to `send` until stopped. Objects that start or stop matching the
   * selectors arrive as ADDED / DELETED, as upstream's watch cache reports them.
   */
  async watch(namespace: string | undefined, q: WatchQuery, send: (events: WatchEvent[]) => void): Promise<() => void> {
    const matches = this.matcher(q);
    let fromRev = q.resourceVersion ?? 0;
    if (!fromRev) {
      const current = await this.store.list(this.prefix(namespace), { filter: matches });
      if (current.items.length) send(current.items.map((object) => ({ type: 'ADDED', object })));
      fromRev = current.rev;
    }
    const onEvents = (events: StoreEvent[]): void => {
      const out: WatchEvent[] = [];
      for (const e of events) {
        const now = e.type === 'DELETED' ? false : matches(e.object);
        const before = e.prev ? matches(e.prev) : false;
        if (e.type === 'DELETED') {
          if (before) out.push({ type: 'DELETED', object: e.object });
        } else if (now && before) out.push({ type: 'MODIFIED', object: e.object });
        else if (now) out.push({ type: 'ADDED', object: e.object });
        else if (before) out.push({ type: 'DELETED', object: e.object });
      }
      if (out.length) send(out);
    };
    try {
      const w = this.store.watch(this.prefix(namespace), fromRev, onEvents);
      return () => w.stop();
    } catch (err) {
      throw this.translate(err, '');
    }
  }

  private checkNamespace(obj: KObject, namespace: string | undefined): void {
    if (!this.def.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace ?? obj.metadata.namespace;
  }

  private invalid(obj: KObject, fieldErrors: { field: string; message: string; type: string }[]): ApiError {
    return errors.invalid(this.def.kind, this.group, obj.metadata.name ?? obj.metadata.generateName ?? '', fieldErrors as never);
  }

  async create(namespace: string | undefined, body: KObject, opts: WriteOptions = {}): Promise<KObject> {
    const obj = clone(body);
    obj.metadata ??= {};
    this.checkNamespace(obj, namespace);
    const generated = !obj.metadata.name && !!obj.metadata.generateName;
    if (generated) obj.metadata.name = obj.metadata.generateName + randomSuffix();
    const meta = obj.metadata;
    for (const f of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields'] as const) delete meta[f];
    meta.uid = randomUUID();
    meta.creationTimestamp = nowIso();
    if (this.def.strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    this.def.strategy.prepareForCreate?.(obj);
    this.def.applyDefaults(obj);
    await this.admit('create', this.def, obj);
    const problems = this.def.validateCreate(obj);
    if (problems.length) throw this.invalid(obj, problems);
    if (opts.dryRun) {
      if (await this.store.get(this.key(meta.namespace, meta.name!))) throw errors.alreadyExists(this.resource, this.group, meta.name!);
      return obj;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.store.create(this.key(meta.namespace, meta.name!), obj);
      } catch (err) {
        // A generated name that is taken gets another suffix, as upstream retries since 1.32.
        if (generated && err instanceof StoreError && err.code === 'AlreadyExists' && attempt < MAX_NAME_RETRIES) {
          meta.name = meta.generateName + randomSuffix();
          continue;
        }
        throw this.translate(err, meta.name!);
      }
    }
  }

  /**
   * Builds the object an update would store from the client's version, or throws.
   * `subresource` 'status' changes only status; the main resource never changes status.
   */
  private async prepareUpdate(old: KObject, body: KObject, subresource: string | undefined): Promise<KObject> {
    let obj: KObject;
    if (subresource === 'status') {
      obj = { ...clone(old), status: clone(body.status) };
      if (obj.status === undefined) delete obj.status;
    } else {
      obj = clone(body);
      obj.metadata ??= {};
      // Server-internal subresources (binding) write spec and status together.
      if (subresource === undefined && this.def.subresources.includes('status')) {
        if (old.status === undefined) delete obj.status;
        else obj.status = clone(old.status);
      }
    }
    const meta = obj.metadata;
    meta.name = old.metadata.name;
    if (this.def.namespaced) meta.namespace = old.metadata.namespace;
    else delete meta.namespace;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.resourceVersion = old.metadata.resourceVersion;
    for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (old.metadata[f] === undefined) delete meta[f];
      else (meta as Record<string, unknown>)[f] = old.metadata[f];
    }
    delete meta.managedFields;
    delete meta.selfLink;
    this.def.applyDefaults(obj);
    if (subresource !== 'status') this.def.strategy.prepareForUpdate?.(obj, old);
    if (subresource === undefined) await this.admit('update', this.def, obj, old);
    if (this.def.strategy.tracksGeneration && !jsonEqual(specPart(obj), specPart(old))) meta.generation = (old.metadata.generation ?? 0) + 1;
    const problems =
      subresource === 'status'
        ? (this.def.strategy.validateStatusUpdate?.(obj, old) ?? [])
        : subresource === undefined
          ? this.def.validateUpdate(obj, old)
          : [];
    if (problems.length) throw this.invalid(obj, problems);
    return obj;
  }

  /** PUT. A resourceVersion in the body is a precondition; an empty one means "whatever is there". */
  async update(namespace: string | undefined, name: string, body: KObject, subresource?: string, opts: WriteOptions = {}): Promise<KObject> {
    if (body.metadata?.name && body.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const wanted = body.metadata?.resourceVersion;
    return this.guaranteedUpdate(namespace, name, subresource, opts, (current) => {
      if (wanted && wanted !== current.metadata.resourceVersion) throw errors.conflict(this.resource, this.group, name);
      return body;
    });
  }

  /**
   * Read-modify-write with retries on conflict: `change` gets the current object and returns
   * the desired one. Throws its own errors through unchanged.
   */
  async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    opts: WriteOptions,
    change: (current: KObject) => KObject,
  ): Promise<KObject> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(key);
      if (!current) throw this.notFound(name);
      const desired = await this.prepareUpdate(current, change(current), subresource);
      if (sameIgnoringVersion(desired, current)) return current;
      if (opts.dryRun) return desired;
      try {
        const stored = await this.store.update(key, shareUnchanged(desired, current), Number(current.metadata.resourceVersion));
        return await this.finishIfFinalized(stored);
      } catch (err) {
        if (err instanceof StoreError && err.code === 'Conflict' && attempt < MAX_CONFLICT_RETRIES) continue;
        throw this.translate(err, name);
      }
    }
  }

  /** An object marked for deletion goes away once its last finalizer is removed. */
  private async finishIfFinalized(obj: KObject): Promise<KObject> {
    const m = obj.metadata;
    if (!m.deletionTimestamp || (m.finalizers?.length ?? 0) > 0 || (m.deletionGracePeriodSeconds ?? 0) > 0) return obj;
    try {
      return await this.store.delete(this.key(m.namespace, m.name!), Number(m.resourceVersion));
    } catch (err) {
      if (err instanceof StoreError && (err.code === 'NotFound' || err.code === 'Conflict')) return obj;
      throw err;
    }
  }

  /**
   * DELETE. Returns the object and whether it is gone: an object with finalizers, or a pod
   * given a grace period, is only marked (deletionTimestamp) and stays until they are done.
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions, defaultPolicy: 'Background' | 'Orphan' = 'Background'): Promise<{ object: KObject; deleted: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get(key);
      if (!current) throw this.notFound(name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw errors.conflict(this.resource, this.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(this.resource, this.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      }
      const marked = this.markForDeletion(current, opts, defaultPolicy);
      if (opts.dryRun) return { object: marked ?? current, deleted: !marked };
      try {
        if (!marked) return { object: await this.store.delete(key, Number(current.metadata.resourceVersion)), deleted: true };
        if (sameIgnoringVersion(marked, current)) return { object: current, deleted: false };
        const stored = await this.store.update(key, shareUnchanged(marked, current), Number(current.metadata.resourceVersion));
        return { object: stored, deleted: false };
      } catch (err) {
        if (err instanceof StoreError && err.code === 'Conflict' && attempt < MAX_CONFLICT_RETRIES) continue;
        throw this.translate(err, name);
      }
    }
  }

  /** The object with deletionTimestamp and finalizers set, or undefined when it can go now. */
  private markForDeletion(current: KObject, opts: DeleteOptions, defaultPolicy: 'Background' | 'Orphan'): KObject | undefined {
    const waiting = this.def.strategy.finalizeOnDelete?.(current);
    const obj = waiting ?? clone(current);
    const meta = obj.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    const hasOwnPolicy = finalizers.has('orphan') || finalizers.has('foregroundDeletion');
    const policy = opts.propagationPolicy ?? (hasOwnPolicy && meta.deletionTimestamp ? undefined : defaultPolicy);
    if (policy) {
      finalizers.delete('orphan');
      finalizers.delete('foregroundDeletion');
      if (policy === 'Orphan') finalizers.add('orphan');
      if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    }
    const grace = this.def.strategy.deleteGraceSeconds?.(current, opts.gracePeriodSeconds) ?? 0;
    if (!waiting && finalizers.size === 0 && grace === 0) return undefined;
    meta.finalizers = [...finalizers];
    if (!meta.finalizers.length) delete meta.finalizers;
    const deadline = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = deadline;
      meta.deletionGracePeriodSeconds = grace;
    } else if (grace < (meta.deletionGracePeriodSeconds ?? 0)) {
      // A second DELETE may only shorten the grace period.
      meta.deletionTimestamp = deadline;
      meta.deletionGracePeriodSeconds = grace;
    }
    if (this.def.strategy.tracksGeneration && !current.metadata.deletionTimestamp) meta.generation = (current.metadata.generation ?? 0) + 1;
    return obj;
  }

  async deleteCollection(namespace: string | undefined, q: ListQuery, opts: DeleteOptions, defaultPolicy: 'Background' | 'Orphan' = 'Background'): Promise<KObject[]> {
    const { items } = await this.list(namespace, { ...q, limit: undefined, continueToken: undefined });
    const out: KObject[] = [];
    for (const item of items) {
      try {
        out.push((await this.delete(item.metadata.namespace, item.metadata.name!, opts, defaultPolicy)).object);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return out;
  }
}
