// GET pods/{name}/log: checks the options and the container as upstream does, then proxies to
// the log endpoint of the pod's node agent (`/containerLogs/<ns>/<pod>/<container>`) over
// HTTPS — the agent's certificate must be signed by the cluster CA and name that node, and the
// API server presents its own client certificate — and streams the text back, chunk by chunk.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { ApiError, errors } from '../api/errors.js';
import { invalid, forbidden as forbiddenField, type FieldError } from '../api/validation/field-errors.js';
import type { NodeCredentialIssuer } from './node-credentials.js';
import { NODE_USER_PREFIX } from './node-credentials.js';
import type { RestStorage } from './rest-storage.js';

/** Upstream's kubelet port, used when a Node does not report its own. */
export const DEFAULT_AGENT_PORT = 10250;
const CONNECT_TIMEOUT_MS = 10_000;
/** How much of an agent's error answer is kept (upstream's limit). */
const MAX_ERROR_BODY = 50_000;
/** Address types tried in order; InternalIP first because node names need not resolve. */
const ADDRESS_PREFERENCE = ['InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS', 'Hostname'];

export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  /** RFC 3339, whole seconds. */
  sinceTime?: string;
  tailLines?: number;
  limitBytes?: number;
}

export interface PodLogSources {
  pods: RestStorage;
  nodes: RestStorage;
  /** The API server's client certificate for agents; without it logs cannot be fetched. */
  credentials: NodeCredentialIssuer | undefined;
}

function parseBool(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null || v === '') return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw errors.badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function parseInt64(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^[-+]?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

function parseTime(q: URLSearchParams, key: string): string | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) ? new Date(v) : undefined;
  if (!t || Number.isNaN(t.getTime())) throw errors.badRequest(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)}`);
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The query of a pods/log request, validated as upstream's PodLogOptions (422 when invalid). */
export function parsePodLogOptions(name: string, q: URLSearchParams): PodLogOptions {
  const opts: PodLogOptions = {
    container: q.get('container') || undefined,
    follow: parseBool(q, 'follow'),
    previous: parseBool(q, 'previous'),
    timestamps: parseBool(q, 'timestamps'),
    sinceSeconds: parseInt64(q, 'sinceSeconds'),
    sinceTime: parseTime(q, 'sinceTime'),
    tailLines: parseInt64(q, 'tailLines'),
    limitBytes: parseInt64(q, 'limitBytes'),
  };
  const problems: FieldError[] = [];
  if (opts.tailLines !== undefined && opts.tailLines < 0) problems.push(invalid('tailLines', opts.tailLines, 'must be greater than or equal to 0'));
  if (opts.limitBytes !== undefined && opts.limitBytes < 1) problems.push(invalid('limitBytes', opts.limitBytes, 'must be greater than 0'));
  if (opts.sinceSeconds !== undefined && opts.sinceTime !== undefined) {
    problems.push(forbiddenField('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  } else if (opts.sinceSeconds !== undefined && opts.sinceSeconds < 1) {
    problems.push(invalid('sinceSeconds', opts.sinceSeconds, 'must be greater than 0'));
  }
  if (problems.length) throw errors.invalid('PodLogOptions', '', name, problems);
  return opts;
}

/** The container the log is for: the one named (it must exist), else the pod's only one. */
export function logContainer(pod: Pod, requested: string | undefined): string {
  const name = pod.metadata?.name ?? '';
  const spec = pod.spec;
  const all = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])].map((c) => c.name);
  if (requested) {
    if (!all.includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const containers = spec?.containers ?? [];
  if (containers.length === 1) return containers[0]!.name;
  if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
  throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
}

/** Where the node's agent serves logs: its preferred address and reported port. */
export function agentEndpoint(node: Node): { host: string; port: number } {
  const addresses = node.status?.addresses ?? [];
  for (const type of ADDRESS_PREFERENCE) {
    const found = addresses.find((a) => a.type === type && a.address);
    if (found) return { host: found.address, port: node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_AGENT_PORT };
  }
  const known = addresses.map((a) => `{${a.type} ${a.address}}`).join(' ');
  throw new ApiError(500, '', `no preferred addresses found; known addresses: [${known}]`);
}

/** The agent URL for these options (query keys sorted, as Go's url.Values encodes them). */
export function agentLogUrl(endpoint: { host: string; port: number }, pod: Pod, container: string, opts: PodLogOptions): URL {
  const params: [string, string][] = [];
  if (opts.follow) params.push(['follow', 'true']);
  if (opts.limitBytes !== undefined) params.push(['limitBytes', String(opts.limitBytes)]);
  if (opts.previous) params.push(['previous', 'true']);
  if (opts.sinceSeconds !== undefined) params.push(['sinceSeconds', String(opts.sinceSeconds)]);
  if (opts.sinceTime !== undefined) params.push(['sinceTime', opts.sinceTime]);
  if (opts.tailLines !== undefined) params.push(['tailLines', String(opts.tailLines)]);
  if (opts.timestamps) params.push(['timestamps', 'true']);
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const segments = [pod.metadata!.namespace!, pod.metadata!.name!, container].map(encodeURIComponent).join('/');
  const query = new URLSearchParams(params).toString();
  return new URL(`https://${host}:${endpoint.port}/containerLogs/${segments}${query ? `?${query}` : ''}`);
}

/** A failed connection in the words of Go's net/http, which kubectl users know. */
function dialError(url: URL, err: NodeJS.ErrnoException): ApiError {
  const addr = `${url.hostname}:${url.port}`;
  const byCode: Record<string, string> = {
    ECONNREFUSED: `dial tcp ${addr}: connect: connection refused`,
    EHOSTUNREACH: `dial tcp ${addr}: connect: no route to host`,
    ENETUNREACH: `dial tcp ${addr}: connect: network is unreachable`,
    ETIMEDOUT: `dial tcp ${addr}: i/o timeout`,
    ECONNRESET: `read tcp ${addr}: read: connection reset by peer`,
  };
  const why = (err.code && byCode[err.code]) ?? (err.code?.startsWith('ERR_TLS') || /certificate/i.test(err.message) ? `tls: failed to verify certificate: ${err.message}` : err.message);
  return new ApiError(500, '', `Get "${url.href}": ${why}`);
}

/** An agent's error answer as the API server reports it (upstream's generic response checker). */
function agentError(code: number, body: string, name: string): ApiError {
  const suffix = ` ( pods/log ${name})`;
  const details = { name, kind: 'pods/log' };
  switch (code) {
    case 400:
      return errors.badRequest(body);
    case 500:
      return errors.internal(body);
    case 401:
      return new ApiError(401, 'Unauthorized', `the server has asked for the client to provide credentials${suffix}`, details);
    case 403:
      return new ApiError(403, 'Forbidden', `${body || 'the server does not allow access to the requested resource'}${suffix}`, details);
    case 404:
      return new ApiError(404, 'NotFound', `the server could not find the requested resource${suffix}`, details);
    default:
      return new ApiError(code, '', `the server responded with the status code ${code} but did not return more information${suffix}`, details);
  }
}

/** Serves GET pods/{name}/log: validates, finds the agent, and streams its answer. */
export async function servePodLogs(req: IncomingMessage, res: ServerResponse, src: PodLogSources, namespace: string, name: string, query: URLSearchParams): Promise<void> {
  if (req.method !== 'GET') throw errors.methodNotAllowed();
  const opts = parsePodLogOptions(name, query);
  const pod = (await src.pods.get(namespace, name)) as Pod;
  const container = logContainer(pod, opts.container);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) {
    // Not scheduled yet: nothing to show, as upstream answers.
    res.writeHead(204);
    res.end();
    return;
  }
  const node = (await src.nodes.get(undefined, nodeName)) as Node;
  const url = agentLogUrl(agentEndpoint(node), pod, container, opts);
  if (!src.credentials) throw errors.serviceUnavailable('this API server has no client certificate to reach node agents with');
  const creds = src.credentials;

  await new Promise<void>((resolve, reject) => {
    const upstream = request(url, {
      method: 'GET',
      ca: creds.caPem,
      cert: creds.clientCertPem,
      key: creds.clientKeyPem,
      agent: false,
      timeout: CONNECT_TIMEOUT_MS,
      // Signed by the cluster CA for this address is not enough: it must be this node's certificate.
      checkServerIdentity: (host: string, cert: PeerCertificate) => {
        const err = checkServerIdentity(host, cert);
        if (err) return err;
        const cn = cert.subject?.CN;
        return cn === NODE_USER_PREFIX + nodeName ? undefined : new Error(`x509: certificate is for "${String(cn)}", not for node "${nodeName}"`);
      },
    });
    const abort = (): void => {
      upstream.destroy();
    };
    res.once('close', abort);
    upstream.once('timeout', () => upstream.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      res.off('close', abort);
      if (res.headersSent) {
        res.end(); // the stream broke off: what was sent stands
        resolve();
      } else reject(dialError(url, err));
    });
    upstream.once('response', (answer: IncomingMessage) => {
      upstream.setTimeout(0); // a followed log may stay quiet for hours
      const code = answer.statusCode ?? 500;
      if (code < 200 || code > 206) {
        let body = '';
        answer.setEncoding('utf8');
        answer.on('data', (c: string) => {
          if (body.length < MAX_ERROR_BODY) body += c;
        });
        answer.once('end', () => reject(agentError(code, body.slice(0, MAX_ERROR_BODY).trim(), name)));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      answer.pipe(res); // each chunk is written as it arrives: `kubectl logs -f` sees lines at once
      answer.on('error', () => undefined); // a broken-off stream ends at 'close' below
      answer.once('close', () => {
        if (!res.writableEnded) res.end(); // the agent broke off: what was sent stands
        resolve();
      });
    });
    upstream.end();
  });
}
