import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { ExecResult } from '../../src/agent/container-runtime.js';
import { resolvePort, runHook, runProbeAction, type ActionTarget } from '../../src/agent/kubelet/handlers.js';
import { ContainerProber, type ProbeKind } from '../../src/agent/kubelet/probes.js';
import { waitFor } from '../helpers/fake-container-runtime.js';

let server: http.Server;
let port = 0;
let closedPort = 0;
const seen: http.IncomingHttpHeaders[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    const url = new URL(req.url!, 'http://x');
    switch (url.pathname) {
      case '/ok':
        res.end(`fine${url.search}`);
        return;
      case '/fail':
        res.statusCode = 500;
        res.end('broken');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/away':
        res.writeHead(301, { location: `http://127.0.0.2:${port}/ok` }).end('moved');
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      case '/slow':
        return; // never answers
      case '/hook':
        res.statusCode = 503;
        res.end();
        return;
      default:
        res.statusCode = 404;
        res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function target(exec: (command: string[]) => Promise<ExecResult> | ExecResult = () => ({ exitCode: 0, output: '' }), container: Partial<Container> = {}): ActionTarget {
  return {
    runtime: { exec: async (_id, command) => exec(command) },
    containerId: 'fake://1',
    pod: { metadata: { name: 'p', namespace: 'ns', uid: 'u' } },
    container: { name: 'c', ports: [{ name: 'http', containerPort: port }], ...container },
    host: '127.0.0.1',
    secondMs: 20,
  };
}

test('httpGet probes: status codes, same-host redirects, other-host redirects, errors and timeouts', async () => {
  const cases: Array<[Probe['httpGet'] & object, string, string | RegExp]> = [
    [{ path: '/ok', port }, 'success', 'fine'],
    [{ path: '/ok?x=1', port: 'http' }, 'success', 'fine?x=1'],
    [{ path: 'ok', port, scheme: 'HTTP' }, 'success', 'fine'],
    [{ path: '/fail', port }, 'failure', 'HTTP probe failed with statuscode: 500'],
    [{ path: '/missing', port }, 'failure', 'HTTP probe failed with statuscode: 404'],
    [{ path: '/redirect', port }, 'success', 'fine'],
    [{ path: '/away', port }, 'warning', 'Probe terminated redirects, Response body: moved'],
    [{ path: '/loop', port }, 'failure', `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects`],
    [{ path: '/healthz', port: closedPort }, 'failure', `Get "http://127.0.0.1:${closedPort}/healthz": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`],
    [{ path: '/slow', port }, 'failure', `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`],
    [{ path: '/ok', port: 'nope' }, 'error', 'strconv.Atoi: parsing "nope": invalid syntax'],
    [{ path: '/ok', port: 70000 }, 'error', 'invalid port number: 70000'],
  ];
  for (const [httpGet, result, output] of cases) {
    const got = await runProbeAction({ httpGet, timeoutSeconds: 5 }, target());
    assert.equal(got.result, result, `${httpGet.path}: ${got.output}`);
    if (typeof output === 'string') assert.equal(got.output, output, String(httpGet.path));
    else assert.match(got.output, output);
  }
});

test('httpGet probes send upstream headers and the probe headers', async () => {
  seen.length = 0;
  await runProbeAction({ httpGet: { path: '/ok', port }, timeoutSeconds: 5 }, target());
  assert.equal(seen[0]!['user-agent'], 'kube-probe/1.33');
  assert.equal(seen[0]!.accept, '*/*');
  assert.equal(seen[0]!.host, `127.0.0.1:${port}`);
  seen.length = 0;
  const httpHeaders = [
    { name: 'User-Agent', value: 'mine' },
    { name: 'X-Token', value: 'a' },
    { name: 'Host', value: 'example.test' },
  ];
  await runProbeAction({ httpGet: { path: '/ok', port, httpHeaders }, timeoutSeconds: 5 }, target());
  assert.equal(seen[0]!['user-agent'], 'mine');
  assert.equal(seen[0]!['x-token'], 'a');
  assert.equal(seen[0]!.host, 'example.test');
});

test('tcpSocket probes connect to the pod IP or the given host', async () => {
  assert.deepEqual(await runProbeAction({ tcpSocket: { port }, timeoutSeconds: 5 }, target()), { result: 'success', output: '' });
  assert.deepEqual(await runProbeAction({ tcpSocket: { port: 'http', host: '127.0.0.1' }, timeoutSeconds: 5 }, target()), { result: 'success', output: '' });
  assert.deepEqual(await runProbeAction({ tcpSocket: { port: closedPort }, timeoutSeconds: 5 }, target()), {
    result: 'failure',
    output: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
  });
});

test('exec probes: exit code, output, timeout, runtime errors', async () => {
  const exec = (command: string[]): Promise<ExecResult> | ExecResult => {
    switch (command[0]) {
      case 'ok':
        return { exitCode: 0, output: 'all good' };
      case 'bad':
        return { exitCode: 3, output: 'not yet' };
      case 'hang':
        return new Promise(() => {});
      default:
        return Promise.reject(new Error('container not running'));
    }
  };
  const cases: Array<[string[], string, string]> = [
    [['ok'], 'success', 'all good'],
    [['bad'], 'failure', 'not yet'],
    [['hang', 'x'], 'failure', 'command "hang x" timed out'],
    [['boom'], 'error', 'container not running'],
  ];
  for (const [command, result, output] of cases) {
    assert.deepEqual(await runProbeAction({ exec: { command }, timeoutSeconds: 1 }, target(exec)), { result, output }, command[0]);
  }
});

test('named ports resolve from the container, numbers pass through', () => {
  const c: Container = { name: 'c', ports: [{ name: 'metrics', containerPort: 9100 }] };
  assert.equal(resolvePort(8080, c), 8080);
  assert.equal(resolvePort('metrics', c), 9100);
  assert.equal(resolvePort('8081', c), 8081);
  assert.throws(() => resolvePort('web', c), /strconv.Atoi: parsing "web": invalid syntax/);
  assert.throws(() => resolvePort(0, c), /invalid port number: 0/);
});

test('lifecycle hooks: exec and sleep; httpGet fails only when the request fails', async () => {
  const calls: string[][] = [];
  const t = target((command) => {
    calls.push(command);
    return { exitCode: command[0] === 'fail' ? 1 : 0, output: 'out' };
  });
  await runHook({ exec: { command: ['drain'] } }, t);
  assert.deepEqual(calls, [['drain']]);
  await assert.rejects(runHook({ exec: { command: ['fail'] } }, t), /Exec lifecycle hook \(\[fail\]\) for Container "c" in Pod "p_ns\(u\)" failed/);
  await runHook({ httpGet: { path: '/hook', port } }, t); // 503 does not fail a hook
  await assert.rejects(runHook({ httpGet: { path: '/', port: closedPort } }, t), /connection refused/);
  const began = Date.now();
  await runHook({ sleep: { seconds: 3 } }, t);
  assert.ok(Date.now() - began >= 55, 'sleeps 3 (scaled) seconds');
  await assert.rejects(runHook({ tcpSocket: { port } }, t), /only exec, httpGet and sleep/);
});

/** A prober whose probes are exec commands named after their kind, answered by `answers`. */
function prober(probes: Partial<Record<ProbeKind, Probe>>, answers: Partial<Record<ProbeKind, () => ExecResult>>, startedAtMs = Date.now()) {
  const calls: Array<{ kind: ProbeKind; at: number }> = [];
  const failures: Array<{ kind: string; at: number }> = [];
  const events: string[] = [];
  let changes = 0;
  const withCommands: Partial<Record<ProbeKind, Probe>> = {};
  for (const [kind, p] of Object.entries(probes) as Array<[ProbeKind, Probe]>) withCommands[kind] = { timeoutSeconds: 1, periodSeconds: 1, ...p, exec: { command: [kind] } };
  const t = target((command) => {
    const kind = command[0] as ProbeKind;
    calls.push({ kind, at: Date.now() });
    return answers[kind]?.() ?? { exitCode: 0, output: '' };
  });
  const p = new ContainerProber(
    withCommands,
    t,
    {
      changed: () => changes++,
      failed: (kind) => failures.push({ kind, at: Date.now() }),
      event: (_type, reason, message) => events.push(`${reason}: ${message}`),
    },
    startedAtMs,
  );
  return { p, calls, failures, events, changes: () => changes, count: (k: ProbeKind) => calls.filter((c) => c.kind === k).length };
}

const ok = (): ExecResult => ({ exitCode: 0, output: '' });
const bad = (output = 'nope'): (() => ExecResult) => () => ({ exitCode: 1, output });

test('no probes: started and ready at once', () => {
  const { p } = prober({}, {});
  assert.equal(p.started, true);
  assert.equal(p.ready, true);
  p.stop();
});

test('readiness: not ready until the probe passes successThreshold times; unready after failureThreshold failures', async () => {
  let answer = ok;
  const r = prober({ readiness: { successThreshold: 2, failureThreshold: 2 } }, { readiness: () => answer() });
  assert.equal(r.p.started, true);
  assert.equal(r.p.ready, false);
  await waitFor(() => r.count('readiness') >= 1);
  assert.equal(r.p.ready, false, 'one success is below successThreshold 2');
  await waitFor(() => r.p.ready, 2000, 'ready');
  assert.equal(r.count('readiness'), 2);
  answer = bad('503');
  const n = r.count('readiness');
  await waitFor(() => r.count('readiness') >= n + 1);
  assert.equal(r.p.ready, true, 'one failure is below failureThreshold 2');
  await waitFor(() => !r.p.ready, 2000, 'unready');
  assert.ok(r.events.includes('Unhealthy: Readiness probe failed: 503'));
  assert.equal(r.failures.length, 0, 'readiness never kills');
  r.p.stop();
});

test('probes wait initialDelaySeconds, then run every periodSeconds', async () => {
  const began = Date.now();
  const r = prober({ readiness: { initialDelaySeconds: 5, periodSeconds: 2 } }, {}, began);
  await waitFor(() => r.count('readiness') >= 3, 3000);
  r.p.stop();
  const [first, second, third] = r.calls.map((c) => c.at - began);
  assert.ok(first! >= 95, `first probe after the initial delay (${first} ms)`);
  assert.ok(second! - first! >= 35 && third! - second! >= 35, `then every period (${second! - first!}, ${third! - second!} ms)`);
});

test('an adopted container is probed relative to when it really started', async () => {
  const r = prober({ readiness: { initialDelaySeconds: 5 } }, {}, Date.now() - 10_000);
  await waitFor(() => r.count('readiness') >= 1, 50, 'an immediate probe');
  r.p.stop();
});

test('liveness: killed after failureThreshold failures in a row, then probing stops', async () => {
  let answer = ok;
  const r = prober({ liveness: { failureThreshold: 3 } }, { liveness: () => answer() });
  await waitFor(() => r.count('liveness') >= 2);
  answer = bad('dead');
  await waitFor(() => r.failures.length > 0, 2000, 'liveness failure');
  assert.equal(r.failures[0]!.kind, 'liveness');
  const failedRuns = r.events.filter((e) => e === 'Unhealthy: Liveness probe failed: dead').length;
  assert.equal(failedRuns, 3);
  const calls = r.count('liveness');
  await new Promise((res) => setTimeout(res, 80));
  assert.equal(r.count('liveness'), calls, 'no probing after the kill request');
  assert.equal(r.p.ready, true, 'liveness does not decide readiness');
});

test('startup probe gates liveness and readiness; readiness runs as soon as it passes', async () => {
  let startupOK = false;
  const r = prober(
    { startup: { failureThreshold: 30 }, liveness: {}, readiness: { periodSeconds: 100 } },
    { startup: () => (startupOK ? ok() : bad('starting')()) },
  );
  await waitFor(() => r.count('startup') >= 3);
  assert.equal(r.p.started, false);
  assert.equal(r.p.ready, false);
  assert.equal(r.count('liveness') + r.count('readiness'), 0, 'gated until started');
  startupOK = true;
  await waitFor(() => r.p.started, 2000, 'started');
  // readiness has a 100 s (2 s scaled) period, so an early run can only be the immediate one
  await waitFor(() => r.p.ready, 500, 'ready right after startup');
  await waitFor(() => r.count('liveness') >= 1, 2000, 'liveness begins');
  const startups = r.count('startup');
  await new Promise((res) => setTimeout(res, 60));
  assert.equal(r.count('startup'), startups, 'startup probing ends once started');
  assert.ok(r.changes() >= 2);
  r.p.stop();
});

test('startup probe failing failureThreshold times asks for a kill', async () => {
  const r = prober({ startup: { failureThreshold: 2 }, liveness: {} }, { startup: bad('no') });
  await waitFor(() => r.failures.length > 0, 2000, 'startup failure');
  assert.equal(r.failures[0]!.kind, 'startup');
  assert.equal(r.count('liveness'), 0);
  assert.deepEqual(r.events, ['Unhealthy: Startup probe failed: no', 'Unhealthy: Startup probe failed: no']);
});

test('a probe error is reported but does not count as a result', async () => {
  const r = prober({ liveness: { failureThreshold: 1 } }, {});
  const p = new ContainerProber(
    { liveness: { periodSeconds: 1, failureThreshold: 1, tcpSocket: { port: 'nope' } } },
    target(),
    { changed: () => {}, failed: () => assert.fail('an error is not a failure'), event: (_t, reason, message) => r.events.push(`${reason}: ${message}`) },
    Date.now(),
  );
  await waitFor(() => r.events.filter((e) => e.startsWith('Unhealthy: Liveness probe errored')).length >= 2);
  p.stop();
  r.p.stop();
  assert.equal(r.events[0], 'Unhealthy: Liveness probe errored: strconv.Atoi: parsing "nope": invalid syntax');
});
