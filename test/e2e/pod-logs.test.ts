// `kubectl logs` (the real kubectl 1.33) through a real `everynode server`, which proxies to a
// node's log endpoint: here an in-process LogServer with credentials obtained the agent's way
// (src/agent/credentials.ts, bootstrap token), serving CRI log files this test writes, behind a
// Node registered at 127.0.0.1 and the log server's port.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCredentials, type NodeCredentials } from '../../src/agent/credentials.js';
import { LogServer, logMessages, type LogLocator, type LogSource } from '../../src/agent/log-server.js';
import { API_ONLY, TestServer, type RawResponse } from '../helpers/server.js';

const KUBECTL = '1.33';
const NODE = 'node-logs';

class FileLocator implements LogLocator {
  readonly files = new Map<string, { current?: string; previous?: string }>();
  readonly live = new Set<string>();
  find(namespace: string, pod: string, container: string, previous: boolean): LogSource {
    const entry = this.files.get(`${namespace}/${pod}/${container}`);
    if (!entry) return { notFound: logMessages.podNotFound(pod) };
    const path = previous ? entry.previous : entry.current;
    return path ? { path } : { unavailable: logMessages.noPrevious(container, pod) };
  }
  writing(path: string): boolean {
    return this.live.has(path);
  }
}

let server: TestServer;
let stateDir: string;
let creds: NodeCredentials;
let logs: LogServer;
const locator = new FileLocator();

function cri(ts: string, text: string, stream = 'stdout'): string {
  return `${ts} ${stream} F ${text}\n`;
}

function writeLog(name: string, text: string): string {
  const path = join(stateDir, name);
  writeFileSync(path, text);
  return path;
}

function admin(method: string, path: string, body?: unknown): Promise<RawResponse> {
  return server.request(method, path, body);
}

async function registerNode(name: string, port: number, token: string): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: {
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    },
  };
  const res = await server.request('POST', '/api/v1/nodes', node, { Authorization: `Bearer ${token}` }, false);
  assert.equal(res.status, 201, res.text);
}

async function createPod(name: string, containers: string[], nodeName?: string): Promise<void> {
  const res = await admin('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
  });
  assert.equal(res.status, 201, res.text);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  server = await TestServer.start({ args: API_ONLY });
  stateDir = mkdtempSync(join(tmpdir(), 'everynode-pod-logs-'));
  const bootstrapToken = readFileSync(join(server.dataDir, 'agent-token'), 'utf8').trim();
  const opts = { server: server.url, ca: server.ca, bootstrapToken, nodeName: NODE, addresses: ['127.0.0.1'], stateDir };
  creds = await nodeCredentials(opts);
  assert.ok(existsSync(join(stateDir, 'node-credentials.json')));
  assert.deepEqual(await nodeCredentials(opts), creds, 'a restarted agent reuses its stored credentials');
  logs = new LogServer({ port: 0, host: '127.0.0.1', certPem: creds.certPem, keyPem: creds.keyPem, caPem: creds.caPem, apiServerClientName: creds.apiServerClientName, locator, pollMs: 25 });
  await logs.listen();
  await registerNode(NODE, logs.port, creds.token);

  await createPod('single', ['app'], NODE);
  locator.files.set('default/single/app', {
    current: writeLog('single-app.log', cri('2026-01-01T00:00:01.5Z', 'one') + cri('2026-01-01T00:00:02Z', 'two', 'stderr') + cri('2026-01-01T00:00:03Z', 'three')),
  });
  await createPod('multi', ['a', 'b'], NODE);
  locator.files.set('default/multi/a', { current: writeLog('multi-a.log', cri('2026-01-01T00:00:01Z', 'from a')) });
  locator.files.set('default/multi/b', {
    current: writeLog('multi-b.log', cri('2026-01-01T00:00:05Z', 'b now')),
    previous: writeLog('multi-b.prev.log', cri('2026-01-01T00:00:00Z', 'b before the restart')),
  });
});

after(async () => {
  await logs?.close();
  await server?.destroy();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('kubectl logs', () => {
  const cases: { name: string; args: string[]; stdout: string; stderr?: string }[] = [
    { name: 'a one-container pod', args: ['logs', 'single'], stdout: 'one\ntwo\nthree\n' },
    { name: '-c', args: ['logs', 'multi', '-c', 'b'], stdout: 'b now\n' },
    { name: '--tail 2', args: ['logs', 'single', '--tail', '2'], stdout: 'two\nthree\n' },
    { name: '--timestamps', args: ['logs', 'single', '--timestamps'], stdout: '2026-01-01T00:00:01.5Z one\n2026-01-01T00:00:02Z two\n2026-01-01T00:00:03Z three\n' },
    { name: '--previous', args: ['logs', 'multi', '-c', 'b', '--previous'], stdout: 'b before the restart\n' },
    { name: '--limit-bytes', args: ['logs', 'single', '--limit-bytes', '6'], stdout: 'one\ntw' },
    { name: '--since-time', args: ['logs', 'single', '--since-time', '2026-01-01T00:00:02Z'], stdout: 'two\nthree\n' },
    { name: 'pod/NAME', args: ['logs', 'pod/single', '--tail', '1'], stdout: 'three\n' },
    { name: 'several containers without -c: the first, as kubectl says', args: ['logs', 'multi'], stdout: 'from a\n', stderr: 'Defaulted container "a" out of: a, b\n' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await server.kubectl(KUBECTL, c.args);
      assert.equal(res.stderr, c.stderr ?? '');
      assert.equal(res.stdout, c.stdout);
      assert.equal(res.code, 0);
    });
  }

  it('--all-containers (kubectl fetches them in no fixed order)', async () => {
    const res = await server.kubectl(KUBECTL, ['logs', 'multi', '--all-containers']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.split('\n').sort(), ['', 'b now', 'from a']);
  });

  // kubectl words the first two itself, from the pod it fetched (as against any cluster).
  const failures: { name: string; args: string[]; stderr: string }[] = [
    { name: 'a missing pod', args: ['logs', 'x'], stderr: 'error: error from server (NotFound): pods "x" not found in namespace "default"' },
    { name: 'an unknown container', args: ['logs', 'single', '-c', 'nope'], stderr: 'error: container nope is not valid for pod single' },
    { name: 'no previous run', args: ['logs', 'single', '--previous'], stderr: 'Error from server (BadRequest): previous terminated container "app" in pod "single" not found' },
  ];
  for (const c of failures) {
    it(c.name, async () => {
      const res = await server.kubectl(KUBECTL, c.args);
      assert.equal(res.stderr.trim(), c.stderr);
      assert.equal(res.code, 1);
    });
  }

  it('-f shows appended lines as they come, until stopped', async () => {
    const path = locator.files.get('default/single/app')!.current!;
    locator.live.add(path);
    const proc = server.spawnKubectl(KUBECTL, ['logs', '-f', 'single', '--tail', '1']);
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await until('the last line', () => out === 'three\n');
      appendFileSync(path, cri('2026-01-01T00:00:04Z', 'four'));
      await until('an appended line', () => out === 'three\nfour\n');
      appendFileSync(path, cri('2026-01-01T00:00:05Z', 'five'));
      await until('another one', () => out === 'three\nfour\nfive\n');
    } finally {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      process.kill(proc.pid!, 'SIGTERM');
      await exited;
      locator.live.delete(path);
    }
  });

  it('-f ends when the container stops writing', async () => {
    const path = writeLog('ending.log', cri('2026-01-01T00:00:01Z', 'working'));
    await createPod('ending', ['app'], NODE);
    locator.files.set('default/ending/app', { current: path });
    locator.live.add(path);
    const proc = server.spawnKubectl(KUBECTL, ['logs', '-f', 'ending']);
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    await until('the first line', () => out === 'working\n');
    appendFileSync(path, cri('2026-01-01T00:00:02Z', 'done'));
    locator.live.delete(path);
    assert.equal(await exited, 0);
    assert.equal(out, 'working\ndone\n');
  });

  it('a pod not scheduled yet has no logs', async () => {
    await createPod('pending', ['app']);
    const res = await server.kubectl(KUBECTL, ['logs', 'pending']);
    assert.deepEqual(res, { code: 0, stdout: '', stderr: '' });
  });

  it('an unreachable agent is a clear error', async () => {
    const port = await closedPort();
    await registerNode('node-down', port, server.token);
    await createPod('down', ['app'], 'node-down');
    const res = await server.kubectl(KUBECTL, ['logs', 'down']);
    assert.equal(res.code, 1);
    assert.equal(res.stderr.trim(), `Error from server: Get "https://127.0.0.1:${port}/containerLogs/default/down/app": dial tcp 127.0.0.1:${port}: connect: connection refused`);
  });

  it('an agent with another node\'s certificate is not trusted', async () => {
    await registerNode('impostor', logs.port, server.token);
    await createPod('fooled', ['app'], 'impostor');
    locator.files.set('default/fooled/app', { current: writeLog('fooled.log', cri('2026-01-01T00:00:01Z', 'secret')) });
    const res = await server.kubectl(KUBECTL, ['logs', 'fooled']);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^Error from server: Get "https:\/\/127\.0\.0\.1:\d+\/containerLogs\/default\/fooled\/app": tls: failed to verify certificate: .*system:node:node-logs.*impostor/);
  });
});

describe('GET pods/log', () => {
  const cases: { name: string; path: string; status: number; message: string }[] = [
    { name: 'an unknown container', path: '/api/v1/namespaces/default/pods/single/log?container=nope', status: 400, message: 'container nope is not valid for pod single' },
    { name: 'a missing pod', path: '/api/v1/namespaces/default/pods/x/log', status: 404, message: 'pods "x" not found' },
    { name: 'several containers, none named', path: '/api/v1/namespaces/default/pods/multi/log', status: 400, message: 'a container name must be specified for pod multi, choose one of: [a b]' },
    { name: 'a negative tail', path: '/api/v1/namespaces/default/pods/single/log?tailLines=-1', status: 422, message: 'PodLogOptions "single" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0' },
    { name: 'both since forms', path: '/api/v1/namespaces/default/pods/single/log?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z', status: 422, message: 'PodLogOptions "single" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' },
    { name: 'a bad boolean', path: '/api/v1/namespaces/default/pods/single/log?follow=maybe', status: 400, message: 'strconv.ParseBool: parsing "maybe": invalid syntax' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const res = await admin('GET', c.path);
      assert.equal(res.status, c.status, res.text);
      assert.equal(res.json.message, c.message);
    });
  }

  it('answers text/plain with the agent\'s bytes', async () => {
    const res = await admin('GET', '/api/v1/namespaces/default/pods/single/log?tailLines=1&timestamps=true');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.match(res.text, /Z (three|five)\n$/);
  });

  it('is listed in discovery', async () => {
    const res = await admin('GET', '/api/v1');
    const log = res.json.resources.find((r: { name: string }) => r.name === 'pods/log');
    assert.deepEqual(log.verbs, ['get']);
  });

  it('is not for node tokens, not even their own pods', async () => {
    const res = await server.request('GET', '/api/v1/namespaces/default/pods/single/log', undefined, { Authorization: `Bearer ${creds.token}` }, false);
    assert.equal(res.status, 403);
    assert.equal(res.json.message, 'pods "single" is forbidden: User "system:node:node-logs" cannot get resource "pods/log" in API group "" in the namespace "default"');
  });
});
