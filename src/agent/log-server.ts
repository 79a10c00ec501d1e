// The agent's HTTPS endpoint for container logs, which the API server proxies `kubectl logs` to:
//   GET /containerLogs/<namespace>/<pod>/<container>?follow=&tailLines=&timestamps=&previous=
//       &sinceSeconds=&sinceTime=&limitBytes=
// (the kubelet's path and parameters). TLS with the node's serving certificate; only the API
// server is answered: a client certificate signed by the cluster CA (else 401) whose CN is the
// API server's client name and which is meant for client authentication (else 403).
import { X509Certificate } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { streamCriLog } from './cri-log.js';

/** The kubelet's port; the Node reports the one in use in status.daemonEndpoints.kubeletEndpoint.Port. */
export const DEFAULT_LOG_PORT = 10250;
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** Where a container's log is, as the agent's runtime wiring knows it. */
export type LogSource =
  /** Read this CRI-format file. */
  | { path: string }
  /** 404: the pod or the container is not known on this node. */
  | { notFound: string }
  /** 400: known, but there is no such log (no previous run, not started yet...). */
  | { unavailable: string };

export interface LogLocator {
  /** The log of a container's current run, or with `previous` of the run before it. */
  find(namespace: string, pod: string, container: string, previous: boolean): LogSource;
  /** Whether the container run whose log is `path` may still append to it (following ends when not). */
  writing(path: string): boolean;
}

/** The kubelet's wording of the usual answers, for LogLocator implementations. */
export const logMessages = {
  podNotFound: (pod: string): string => `pod "${pod}" does not exist`,
  containerNotFound: (container: string, pod: string): string => `container "${container}" not found in pod "${pod}"`,
  noPrevious: (container: string, pod: string): string => `previous terminated container "${container}" in pod "${pod}" not found`,
  waiting: (container: string, pod: string, reason: string): string => `container "${container}" in pod "${pod}" is waiting to start: ${reason}`,
};

export interface LogServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Address to listen on; default all. */
  host?: string;
  certPem: string;
  keyPem: string;
  /** The cluster CA, which signs the API server's client certificate. */
  caPem: string;
  /** The CN of the API server's client certificate. */
  apiServerClientName: string;
  locator: LogLocator;
  /** How often followed logs are checked for new lines (ms). */
  pollMs?: number;
}

interface LogQuery {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  since?: Date;
}

class BadQuery extends Error {}

function flag(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new BadQuery(`invalid ${key}: ${JSON.stringify(v)}`);
}

function count(q: URLSearchParams, key: string, min: number): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new BadQuery(`invalid ${key}: ${JSON.stringify(v)}`);
  return Number(v);
}

/** Parses and checks the query, with upstream's PodLogOptions rules. */
function parseQuery(q: URLSearchParams, now: Date): LogQuery {
  const sinceSeconds = count(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime') || undefined;
  if (sinceSeconds !== undefined && sinceTime !== undefined) throw new BadQuery('at most one of `sinceTime` or `sinceSeconds` may be specified');
  let since = sinceSeconds !== undefined ? new Date(now.getTime() - sinceSeconds * 1000) : undefined;
  if (sinceTime !== undefined) {
    since = new Date(sinceTime);
    if (Number.isNaN(since.getTime())) throw new BadQuery(`invalid sinceTime: ${JSON.stringify(sinceTime)}`);
  }
  return {
    follow: flag(q, 'follow'),
    previous: flag(q, 'previous'),
    timestamps: flag(q, 'timestamps'),
    tailLines: count(q, 'tailLines', 0),
    limitBytes: count(q, 'limitBytes', 1),
    since,
  };
}

function plain(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text + '\n') });
  res.end(text + '\n');
}

/** undefined when the caller is the API server; else the answer to give (401 or 403). */
function rejectCaller(req: IncomingMessage, apiServerClientName: string): { code: number; text: string } | undefined {
  const socket = req.socket as TLSSocket;
  const cert = socket.authorized ? socket.getPeerX509Certificate() : undefined;
  if (!cert) return { code: 401, text: 'Unauthorized' };
  const cn = commonName(cert);
  const forClients = !cert.keyUsage || cert.keyUsage.includes(CLIENT_AUTH_OID);
  if (cn === apiServerClientName && forClients) return undefined;
  return { code: 403, text: `Forbidden (user=${cn ?? ''}, verb=get, resource=nodes, subresource(s)=[log])` };
}

function commonName(cert: X509Certificate): string | undefined {
  return cert.subject
    .split('\n')
    .find((l) => l.startsWith('CN='))
    ?.slice(3);
}

export class LogServer {
  private readonly https: Server;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<AbortController>();
  port = 0;

  constructor(private readonly opts: LogServerOptions) {
    this.https = createServer(
      { cert: opts.certPem, key: opts.keyPem, ca: opts.caPem, requestCert: true, rejectUnauthorized: false },
      (req, res) =>
        void this.onRequest(req, res).catch((err: Error) => {
          if (!res.headersSent) plain(res, 500, err.message);
          else res.destroy();
        }),
    );
    this.https.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.https.once('error', reject);
      this.https.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const addr = this.https.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.streams) s.abort();
    const closed = new Promise<void>((resolve) => this.https.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rejected = rejectCaller(req, this.opts.apiServerClientName);
    if (rejected) return plain(res, rejected.code, rejected.text);
    const url = new URL(req.url ?? '/', 'https://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'containerLogs' || parts.length !== 4) return plain(res, 404, '404 page not found');
    if (req.method !== 'GET') return plain(res, 405, 'Method Not Allowed');
    const [, namespace, pod, container] = parts as [string, string, string, string];
    let query: LogQuery;
    try {
      query = parseQuery(url.searchParams, new Date());
    } catch (err) {
      if (err instanceof BadQuery) return plain(res, 400, err.message);
      throw err;
    }
    const source = this.opts.locator.find(namespace, pod, container, query.previous);
    if ('notFound' in source) return plain(res, 404, source.notFound);
    if ('unavailable' in source) return plain(res, 400, source.unavailable);

    let fh: FileHandle;
    try {
      fh = await open(source.path, 'r');
    } catch (err) {
      return plain(res, 400, `failed to open log file "${source.path}": ${(err as Error).message}`);
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders(); // the API server waits for the headers before it answers kubectl
    const abort = new AbortController();
    this.streams.add(abort);
    res.once('close', () => abort.abort());
    try {
      await streamCriLog(fh, source.path, res, {
        follow: query.follow,
        timestamps: query.timestamps,
        tailLines: query.tailLines,
        since: query.since,
        limitBytes: query.limitBytes,
        stillWriting: () => this.opts.locator.writing(source.path),
        signal: abort.signal,
        pollMs: this.opts.pollMs,
      });
    } catch {
      // a read error mid-stream: end what was sent
    } finally {
      this.streams.delete(abort);
      if (!res.writableEnded) res.end();
    }
  }
}
