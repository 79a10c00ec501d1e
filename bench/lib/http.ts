// A minimal HTTPS client for benchmarks: keep-alive connections to one API server with the
// admin token, whole-body responses for ordinary requests, and line-by-line watch streams.
import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';

export interface Reply {
  status: number;
  text: string;
}

/** The Accept header kubectl sends for `kubectl get` (server-side Table, JSON fallback). */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export class ApiClient {
  private readonly url: URL;
  /** Keep-alive pool for ordinary requests. */
  readonly agent: Agent;
  /** One connection per watch, so long-running streams never block the request pool. */
  private readonly watchAgent: Agent;

  constructor(
    baseUrl: string,
    private readonly token: string,
    ca: string,
    maxSockets: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ ca, keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.watchAgent = new Agent({ ca, keepAlive: false, maxSockets: Infinity });
  }

  private options(method: string, path: string, agent: Agent, headers: Record<string, string>): RequestOptions {
    return {
      host: this.url.hostname,
      port: this.url.port,
      path,
      method,
      agent,
      headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json', ...headers },
    };
  }

  request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
    const h = body === undefined ? headers : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers };
    return new Promise((resolve, reject) => {
      const req = request(this.options(method, path, this.agent, h), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Like request, but throws unless the status is 2xx. */
  async ok(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
    const r = await this.request(method, path, body, headers);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.text.slice(0, 500)}`);
    return r;
  }

  /**
   * Opens a watch and calls `onLine` with every complete line of the stream and the time
   * (performance.now()) its last byte arrived. Resolves once the response headers are in.
   */
  watch(path: string, onLine: (line: string, at: number) => void, headers: Record<string, string> = {}): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const req = request(this.options('GET', path, this.watchAgent, headers), (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        let pending = '';
        let closed = false;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const at = performance.now();
          pending += chunk;
          let start = 0;
          let nl: number;
          while ((nl = pending.indexOf('\n', start)) >= 0) {
            onLine(pending.slice(start, nl), at);
            start = nl + 1;
          }
          pending = pending.slice(start);
        });
        res.on('close', () => (closed = true));
        resolve({
          get closed() {
            return closed;
          },
          stop: () => req.destroy(),
        });
      });
      req.on('error', (err) => reject(err));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}

export interface WatchStream {
  readonly closed: boolean;
  stop(): void;
}
