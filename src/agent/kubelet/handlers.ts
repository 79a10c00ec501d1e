// The actions probes and lifecycle hooks perform against a container: exec a command in it, GET
// an HTTP(S) URL, open a TCP connection, sleep. Outcomes and messages follow upstream's probers
// (`HTTP probe failed with statuscode: 503`, `Get "http://10.0.0.5:8080/healthz": dial tcp
// 10.0.0.5:8080: connect: connection refused`...), which users read in `kubectl describe` events.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, ExecAction, HTTPGetAction, LifecycleHandler, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../container-runtime.js';
import { podDescription } from './backoff.js';

/** The container an action runs against. */
export interface ActionTarget {
  runtime: Pick<ContainerRuntime, 'exec'>;
  containerId: string;
  pod: Pod;
  container: Container;
  /** Where httpGet and tcpSocket connect when they name no host: the pod's IP. */
  host: string;
  /** How long one second of probe and hook timing lasts (1000; tests shorten it). */
  secondMs: number;
}

/** `warning` counts as success (upstream: an HTTP probe that stopped at a redirect to another host). */
export interface ActionOutcome {
  result: 'success' | 'warning' | 'failure' | 'error';
  output: string;
}

/** The upstream minor version the probes' User-Agent claims (`kube-probe/1.33`). */
const PROBE_USER_AGENT = 'kube-probe/1.33';
/** Upstream keeps at most this much of a response body as the probe's output. */
const MAX_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;
/** The runtime's exec takes a limit in seconds; hook commands have none. */
const UNBOUNDED_EXEC_SECONDS = 86_400;

/** Runs a probe's action once. */
export async function runProbeAction(probe: Probe, t: ActionTarget): Promise<ActionOutcome> {
  const timeoutSeconds = probe.timeoutSeconds || 1;
  const timeoutMs = timeoutSeconds * t.secondMs;
  try {
    if (probe.exec) return await execAction(probe.exec, t, timeoutSeconds);
    if (probe.httpGet) return await httpProbe(httpUrl(probe.httpGet, t), probe.httpGet, timeoutMs);
    if (probe.tcpSocket) return await tcpConnect(probe.tcpSocket.host || t.host, resolvePort(probe.tcpSocket.port, t.container), timeoutMs);
    if (probe.grpc) return { result: 'error', output: 'grpc probes are not supported by this node' };
    return { result: 'error', output: 'missing probe handler' };
  } catch (err) {
    return { result: 'error', output: (err as Error).message };
  }
}

/**
 * Runs a lifecycle hook; rejects with upstream-like text when it fails. Hooks have no time limit
 * of their own (upstream): whoever waits for one bounds the wait (preStop: the grace period).
 */
export async function runHook(handler: LifecycleHandler, t: ActionTarget): Promise<void> {
  const who = `for Container "${t.container.name}" in Pod "${podDescription(t.pod)}"`;
  if (handler.exec) {
    const out = await execAction(handler.exec, t).catch((err: Error): ActionOutcome => ({ result: 'error', output: err.message }));
    if (out.result === 'success') return;
    throw new Error(`Exec lifecycle hook ([${(handler.exec.command ?? []).join(' ')}]) ${who} failed - error: ${out.output}`);
  }
  if (handler.httpGet) {
    const hook = handler.httpGet;
    // Only a failed request fails an HTTP hook; the status code is not looked at.
    const res = await fetchFollowingLocal(httpUrl(hook, t), requestHeaders(hook));
    if ('error' in res) throw new Error(`HTTP lifecycle hook (${hook.path ?? ''}) ${who} failed - error: ${res.error}`);
    return;
  }
  if (handler.sleep) {
    await delay(handler.sleep.seconds * t.secondMs);
    return;
  }
  throw new Error(`invalid lifecycle hook ${who}: only exec, httpGet and sleep are supported`);
}

/** Runs a command in the container; with a timeout, a command still running after it fails the action. */
async function execAction(action: ExecAction, t: ActionTarget, timeoutSeconds?: number): Promise<ActionOutcome> {
  const command = action.command ?? [];
  const run = t.runtime.exec(t.containerId, command, timeoutSeconds ?? UNBOUNDED_EXEC_SECONDS).then(
    (r): ActionOutcome => ({ result: r.exitCode === 0 ? 'success' : 'failure', output: r.output }),
  );
  if (timeoutSeconds === undefined) return run;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ActionOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ result: 'failure', output: `command "${command.join(' ')}" timed out` }), timeoutSeconds * t.secondMs);
  });
  try {
    return await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The port of a probe or hook: a number, or the name of one of the container's ports. */
export function resolvePort(port: number | string, container: Container): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const named = (container.ports ?? []).find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) n = Number(port);
    else throw new Error(`strconv.Atoi: parsing "${port}": invalid syntax`);
  }
  if (!(n > 0 && n < 65536)) throw new Error(`invalid port number: ${n}`);
  return n;
}

function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function httpUrl(action: HTTPGetAction, t: ActionTarget): URL {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase();
  const path = action.path ?? '';
  const url = new URL(`${scheme}://${hostPort(action.host || t.host, resolvePort(action.port, t.container))}`);
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  const q = withSlash.indexOf('?');
  url.pathname = q < 0 ? withSlash : withSlash.slice(0, q);
  if (q >= 0) url.search = withSlash.slice(q);
  return url;
}

function requestHeaders(action: HTTPGetAction): http.OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = { 'user-agent': PROBE_USER_AGENT, accept: '*/*' };
  const given = new Set<string>();
  for (const h of action.httpHeaders ?? []) {
    const key = h.name.toLowerCase();
    // A header the probe sets replaces the default; repeats add values.
    if (!given.has(key)) headers[key] = h.value;
    else headers[key] = [...[headers[key]!].flat(), h.value];
    given.add(key);
  }
  return headers;
}

/** What Go's net package says about a failed dial. */
function dialError(err: NodeJS.ErrnoException, address: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${address}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${address}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `read tcp ${address}: read: connection reset by peer`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${address.replace(/:\d+$/, '')}: no such host`;
    default:
      return err.message;
  }
}

/** One HTTP response (its body cut at MAX_BODY), or why there was none. */
type Fetched = { status: number; location: string | undefined; body: string } | { error: string };

/** An HTTP(S) GET that follows redirects on the same host (upstream's probe client); errors read as Go's. */
async function fetchFollowingLocal(start: URL, headers: http.OutgoingHttpHeaders, timeoutMs?: number): Promise<Fetched> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  let url = start;
  for (let hops = 0; ; hops++) {
    const res = await getOnce(url, headers, deadline === undefined ? undefined : Math.max(deadline - Date.now(), 1));
    if ('error' in res) return { error: `Get "${url.href}": ${res.error}` };
    const next = res.status >= 300 && res.status < 400 && res.location ? new URL(res.location, url) : undefined;
    // A redirect to another host ends the probe with the redirect itself.
    if (!next || next.hostname !== url.hostname) return res;
    if (hops + 1 >= MAX_REDIRECTS) return { error: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
    url = next;
  }
}

/** An HTTP probe: 200–299 succeeds, 300–399 (a redirect not followed) succeeds with a warning, anything else fails. */
async function httpProbe(url: URL, action: HTTPGetAction, timeoutMs: number): Promise<ActionOutcome> {
  const res = await fetchFollowingLocal(url, requestHeaders(action), timeoutMs);
  if ('error' in res) return { result: 'failure', output: res.error };
  if (res.status >= 200 && res.status < 300) return { result: 'success', output: res.body };
  if (res.status >= 300 && res.status < 400) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
  return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.status}` };
}

function getOnce(url: URL, headers: http.OutgoingHttpHeaders, timeoutMs: number | undefined): Promise<Fetched> {
  return new Promise((resolve) => {
    const address = hostPort(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || (url.protocol === 'https:' ? 443 : 80)));
    let done = false;
    const finish = (r: Fetched): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const get = url.protocol === 'https:' ? https.get : http.get;
    // No keep-alive, and (like upstream) no certificate checks for HTTPS probes.
    const req = get(url, { headers, agent: false, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const complete = (): void => finish({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') });
      res.on('data', (chunk: Buffer) => {
        if (size >= MAX_BODY) return;
        chunks.push(chunk.subarray(0, MAX_BODY - size));
        size += chunk.length;
        if (size >= MAX_BODY) complete();
      });
      res.on('end', complete);
      res.on('error', complete);
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: dialError(err, address) }));
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => finish({ error: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' }), timeoutMs);
  });
}

/** Succeeds once a TCP connection is established. */
function tcpConnect(host: string, port: number, timeoutMs: number): Promise<ActionOutcome> {
  return new Promise((resolve) => {
    const address = hostPort(host, port);
    const socket = net.connect({ host, port });
    const finish = (o: ActionOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ result: 'failure', output: dialError(err, address) }));
    const timer = setTimeout(() => finish({ result: 'failure', output: `dial tcp ${address}: i/o timeout` }), timeoutMs);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
