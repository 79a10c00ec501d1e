// The API server: HTTPS, authentication, discovery, OpenAPI, health, metrics, and the REST
// verbs of every registered kind over one Store.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ApiError, errors } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { Store } from '../storage/store.js';
import { Authenticator, authorize, forbiddenError, type User } from './auth.js';
import { coreVersions, group, groupList, resourceList } from './discovery.js';
import { createFieldChecker, type FieldChecker } from './field-validation.js';
import { sendError, sendJson } from './http-util.js';
import { ApiMetrics } from './metrics.js';
import { createOpenApi, type OpenApi } from './openapi.js';
import { bindPod, evictPod } from './pod-subresources.js';
import { parseResourcePath } from './request-info.js';
import { ResourceHandler, verbOf, type HandlerContext } from './resource-handler.js';
import { RestStorage } from './rest-storage.js';
import { createAdmission } from './admission.js';
import { NODE_CREDENTIALS_PATH, type NodeCredentialIssuer } from './node-credentials.js';
import { nodeRestriction } from './node-restriction.js';
import { servePodLogs } from './pod-logs.js';
import { generatedSchemas } from './openapi.js';

/** The Kubernetes version we answer to; kubectl's dispatcher picks kubectl.1.<minor> from it. */
export const KUBERNETES_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0+everynode' };

export interface ApiServerOptions {
  store: Store;
  registry: Registry;
  cert: { certPem: string; keyPem: string };
  tokens: { adminToken: string; agentToken: string };
  /** Node tokens and certificates for agents, and the client certificate used to call them (pods/log). */
  nodeCredentials?: NodeCredentialIssuer;
  bind: string;
  port: number;
  log: Logger;
  /** Default watch duration when the client sends no timeoutSeconds (upstream: 30–60 min). */
  watchTimeoutSeconds?: () => number;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export class ApiServer {
  readonly storages = new Map<string, RestStorage>();
  readonly metrics: ApiMetrics;
  private readonly openapi: OpenApi;
  private readonly checkFields: FieldChecker;
  private readonly authn: Authenticator;
  private readonly https: Server;
  private readonly sockets = new Set<Socket>();
  private ready = false;
  port = 0;

  constructor(private readonly opts: ApiServerOptions) {
    const admit = createAdmission(() => ({ namespaces: this.storage('', 'namespaces'), priorityClasses: this.storage('scheduling.k8s.io', 'priorityclasses') }));
    for (const def of opts.registry.defs) this.storages.set(`${def.group}/${def.plural}`, new RestStorage(def, opts.store, admit));
    this.metrics = new ApiMetrics(() => opts.store.countByResource());
    this.openapi = createOpenApi(opts.registry.defs);
    this.checkFields = createFieldChecker(generatedSchemas().schemas as never);
    this.authn = new Authenticator(opts.tokens.adminToken, opts.tokens.agentToken, opts.nodeCredentials);
    this.https = createServer({ cert: opts.cert.certPem, key: opts.cert.keyPem }, (req, res) => void this.onRequest(req, res));
    this.https.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.https.keepAliveTimeout = 65_000;
  }

  storage(groupName: string, plural: string): RestStorage {
    const s = this.storages.get(`${groupName}/${plural}`);
    if (!s) throw new Error(`no storage for ${plural}.${groupName}`);
    return s;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.https.once('error', reject);
      this.https.listen(this.opts.port, this.opts.bind, () => resolve());
    });
    const addr = this.https.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    this.ready = true;
  }

  async close(): Promise<void> {
    this.ready = false;
    const closed = new Promise<void>((resolve) => this.https.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://localhost');
    let labels = { verb: req.method?.toLowerCase() ?? '', group: '', resource: '', subresource: '' };
    res.once('finish', () => {
      this.metrics.requests.inc({ ...labels, code: String(res.statusCode) });
      if (labels.verb !== 'watch') {
        this.metrics.latency.observe({ verb: labels.verb, group: labels.group, resource: labels.resource }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    });
    try {
      if (PUBLIC_PATHS.has(url.pathname)) return this.servePublic(url, res);
      const user = this.authn.authenticate(req);
      if (!user) throw errors.unauthorized();
      if (url.pathname === NODE_CREDENTIALS_PATH && this.opts.nodeCredentials) return await this.opts.nodeCredentials.serve(req, res, user);
      const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const r = parseResourcePath(segments, (g, resource) => this.opts.registry.isNamespaced(g, resource));
      if (r && r.resource) {
        const verb = verbOf(req.method ?? 'GET', r, url.searchParams);
        labels = { verb, group: r.group, resource: r.resource, subresource: r.subresource ?? '' };
        return await this.serveResource(req, res, url, r, verb, user);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed();
      return await this.serveDiscovery(url.pathname, segments, res);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : errors.internal((err as Error)?.message ?? String(err));
      if (!(err instanceof ApiError)) this.opts.log.error({ err, url: req.url, method: req.method }, 'request failed');
      sendError(res, apiErr);
    }
  }

  private servePublic(url: URL, res: ServerResponse): void {
    if (url.pathname === '/version') {
      return sendJson(res, 200, {
        ...KUBERNETES_VERSION,
        gitCommit: '',
        gitTreeState: 'clean',
        buildDate: '2026-11-01T00:00:00Z',
        goVersion: `node${process.versions.node}`,
        compiler: 'everynode',
        platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      });
    }
    const ok = url.pathname !== '/readyz' || this.ready;
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'ok' : 'not ready: the server is starting or stopping');
  }

  private async serveDiscovery(path: string, segments: string[], res: ServerResponse): Promise<void> {
    const registry = this.opts.registry;
    const found = ((): unknown => {
      if (path === '/api') return coreVersions(`${this.opts.bind}:${this.port}`);
      if (path === '/apis') return groupList(registry);
      if (segments[0] === 'api' && segments.length === 2) return resourceList(registry, '', segments[1]!);
      if (segments[0] === 'apis' && segments.length === 2) return group(registry, segments[1]!);
      if (segments[0] === 'apis' && segments.length === 3) return resourceList(registry, segments[1]!, segments[2]!);
      if (path === '/openapi/v3') return this.openapi.v3Index();
      if (segments[0] === 'openapi' && segments[1] === 'v3') return this.openapi.v3Doc(segments.slice(2).join('/'));
      return undefined;
    })();
    if (path === '/openapi/v2') {
      // An empty body is a valid (empty) protobuf document: kubectl then validates on the server.
      const body = this.openapi.v2Body();
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
      return;
    }
    if (path === '/metrics') {
      const text = await this.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (found === undefined) throw errors.notFoundPath();
    sendJson(res, 200, found);
  }

  private async serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    r: NonNullable<ReturnType<typeof parseResourcePath>>,
    verb: string,
    user: User,
  ): Promise<void> {
    const served = this.opts.registry.lookup(r.group, r.version, r.resource);
    if (!served) throw errors.notFoundPath();
    if (!served.def.namespaced && r.namespace) throw errors.notFoundPath();
    const attributes = { verb, group: r.group, resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: r.name };
    if (!authorize(user, attributes)) throw forbiddenError(user, attributes);
    if (served.def.group === '' && served.def.kind === 'Pod' && r.subresource === 'log' && r.namespace && r.name) {
      const sources = { pods: this.storage('', 'pods'), nodes: this.storage('', 'nodes'), credentials: this.opts.nodeCredentials };
      return servePodLogs(req, res, sources, r.namespace, r.name, url.searchParams);
    }
    const ctx: HandlerContext = {
      storage: this.storage(served.def.group, served.def.plural),
      served,
      request: r,
      query: url.searchParams,
      checkFields: this.checkFields,
      subresourceHandlers: { binding: bindPod, eviction: evictPod },
      watchTimeoutSeconds: this.opts.watchTimeoutSeconds ?? (() => 1800 + Math.floor(Math.random() * 1800)),
      onWatch: (delta) => this.metrics.watchers.inc({ group: r.group, resource: r.resource }, delta),
      restriction: nodeRestriction(user, served.def),
    };
    await new ResourceHandler(ctx).handle(req, res, verb);
  }
}
