// The agent's log endpoint over real HTTPS with certificates from the cluster CA: CRI log files
// shown as `kubectl logs` shows them (tail, timestamps, previous, since, limitBytes), following
// appended lines and rotations, and only the API server's client certificate answered.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCredentials } from '../../src/apiserver/pki.js';
import { NodeCredentialIssuer } from '../../src/apiserver/node-credentials.js';
import { formatCriEntry, parseCriLine } from '../../src/agent/cri-log.js';
import { LogServer, logMessages, type LogLocator, type LogSource } from '../../src/agent/log-server.js';

interface Identity {
  cert?: string;
  key?: string;
}

class FakeLocator implements LogLocator {
  readonly files = new Map<string, { current?: string; previous?: string }>();
  readonly live = new Set<string>();
  find(namespace: string, pod: string, container: string, previous: boolean): LogSource {
    const entry = this.files.get(`${namespace}/${pod}/${container}`);
    if (!entry) return { notFound: logMessages.containerNotFound(container, pod) };
    const path = previous ? entry.previous : entry.current;
    if (!path) return { unavailable: logMessages.noPrevious(container, pod) };
    return { path };
  }
  writing(path: string): boolean {
    return this.live.has(path);
  }
}

function cri(ts: string, stream: string, tag: string, text: string): string {
  return `${ts} ${stream} ${tag} ${text}\n`;
}

const LOG = [
  cri('2026-01-01T00:00:01.000000001Z', 'stdout', 'F', 'one'),
  cri('2026-01-01T00:00:02Z', 'stderr', 'F', 'two'),
  cri('2026-01-01T00:00:03Z', 'stdout', 'P', 'thr'),
  cri('2026-01-01T00:00:03.5Z', 'stdout', 'F', 'ee'),
  cri('2026-01-01T00:00:04Z', 'stdout', 'F', 'four'),
].join('');

let dir: string;
let server: LogServer;
let locator: FakeLocator;
let ca: string;
let apiServer: Identity;
let nodeIdentity: Identity;

function get(path: string, who: Identity = apiServer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, ca, cert: who.cert, key: who.key, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A streaming GET: `text` grows as chunks arrive; `done` resolves when the server ends it. */
function follow(path: string): { text: () => string; done: Promise<number>; stop: () => void } {
  let text = '';
  let stop = (): void => undefined;
  const done = new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, ca, cert: apiServer.cert, key: apiServer.key, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('error', () => undefined); // stop() aborts the response
      res.on('close', () => resolve(res.statusCode ?? 0));
    });
    stop = () => req.destroy();
    req.on('error', reject);
    req.end();
  });
  return { text: () => text, done, stop };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A client certificate signed by the CA in `pkiDir` for `cn`. */
async function clientCertificate(pkiDir: string, cn: string): Promise<Identity> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const caPem = readFileSync(join(pkiDir, 'ca.crt'), 'utf8');
  const caKeyDer = Buffer.from(readFileSync(join(pkiDir, 'ca.key'), 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const caKey = await webcrypto.subtle.importKey('pkcs8', caKeyDer, alg, false, ['sign']);
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '03',
    subject: `CN=${cn}`,
    issuer: new x509.X509Certificate(caPem).subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 3600_000),
    signingAlgorithm: alg,
    publicKey: keys.publicKey as never,
    signingKey: caKey as never,
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { cert: cert.toString('pem'), key: `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n` };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'everynode-log-server-'));
  await ensureCredentials(dir, '127.0.0.1');
  const issuer = await NodeCredentialIssuer.load(join(dir, 'pki'));
  ca = issuer.caPem;
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certPem = await issuer.issueServingCertificate('node-1', publicKey.export({ type: 'spki', format: 'pem' }) as string, ['127.0.0.1']);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  apiServer = { cert: issuer.clientCertPem, key: issuer.clientKeyPem };
  nodeIdentity = { cert: certPem, key: keyPem };
  locator = new FakeLocator();
  server = new LogServer({ port: 0, host: '127.0.0.1', certPem, keyPem, caPem: ca, apiServerClientName: 'everynode:apiserver-kubelet-client', locator, pollMs: 20 });
  await server.listen();
  writeFileSync(join(dir, 'c.log'), LOG);
  writeFileSync(join(dir, 'c.prev.log'), cri('2025-12-31T23:59:59Z', 'stdout', 'F', 'the run before'));
  locator.files.set('ns/pod/c', { current: join(dir, 'c.log'), previous: join(dir, 'c.prev.log') });
  locator.files.set('ns/pod/fresh', { current: join(dir, 'c.log') });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CRI lines', () => {
  const cases: { line: string; want?: { stream: string; partial: boolean; content: string } }[] = [
    { line: '2026-01-01T00:00:01Z stdout F hello world', want: { stream: 'stdout', partial: false, content: 'hello world' } },
    { line: '2026-01-01T00:00:01.123456789Z stderr P part', want: { stream: 'stderr', partial: true, content: 'part' } },
    { line: '2026-01-01T00:00:01Z stdout F ', want: { stream: 'stdout', partial: false, content: '' } },
    { line: '2026-01-01T00:00:01Z stdout F', want: { stream: 'stdout', partial: false, content: '' } },
    { line: '2026-01-01T00:00:01Z stdout F  two spaces', want: { stream: 'stdout', partial: false, content: ' two spaces' } },
    { line: '2026-01-01T00:00:01Z stdout P:x tagged', want: { stream: 'stdout', partial: true, content: 'tagged' } },
    { line: 'not a log line' },
    { line: '2026-01-01T00:00:01Z stdin F x' },
    { line: 'yesterday stdout F x' },
    { line: '' },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.line), () => {
      const e = parseCriLine(Buffer.from(c.line));
      if (!c.want) return assert.equal(e, undefined);
      assert.ok(e);
      assert.deepEqual({ stream: e.stream, partial: e.partial, content: e.content.toString() }, c.want);
    });
  }

  test('formatting with and without timestamps', () => {
    const e = parseCriLine(Buffer.from('2026-01-01T00:00:01.5Z stdout F hi'))!;
    assert.equal(formatCriEntry(e, false).toString(), 'hi\n');
    assert.equal(formatCriEntry(e, true).toString(), '2026-01-01T00:00:01.5Z hi\n');
    const p = parseCriLine(Buffer.from('2026-01-01T00:00:01.5Z stdout P hi'))!;
    assert.equal(formatCriEntry(p, false).toString(), 'hi');
  });
});

describe('reading a log', () => {
  const cases: { name: string; query: string; want: string }[] = [
    { name: 'everything', query: '', want: 'one\ntwo\nthree\nfour\n' },
    {
      name: 'timestamps',
      query: 'timestamps=true',
      want: '2026-01-01T00:00:01.000000001Z one\n2026-01-01T00:00:02Z two\n2026-01-01T00:00:03Z thr2026-01-01T00:00:03.5Z ee\n2026-01-01T00:00:04Z four\n',
    },
    { name: 'timestamps off', query: 'timestamps=false', want: 'one\ntwo\nthree\nfour\n' },
    { name: 'tail 2 (entries, a partial counts as one)', query: 'tailLines=2', want: 'ee\nfour\n' },
    { name: 'tail 1', query: 'tailLines=1', want: 'four\n' },
    { name: 'tail 0', query: 'tailLines=0', want: '' },
    { name: 'tail beyond the start', query: 'tailLines=100', want: 'one\ntwo\nthree\nfour\n' },
    { name: 'tail with timestamps', query: 'tailLines=1&timestamps=true', want: '2026-01-01T00:00:04Z four\n' },
    { name: 'since a time', query: 'sinceTime=2026-01-01T00:00:03Z', want: 'three\nfour\n' },
    { name: 'since a time after everything', query: 'sinceTime=2027-01-01T00:00:00Z', want: '' },
    { name: 'limitBytes cuts mid-line', query: 'limitBytes=5', want: 'one\nt' },
    { name: 'limitBytes larger than the log', query: 'limitBytes=1000', want: 'one\ntwo\nthree\nfour\n' },
    { name: 'limitBytes counts timestamps', query: 'limitBytes=25&timestamps=true', want: '2026-01-01T00:00:01.00000' },
    { name: 'previous', query: 'previous=true', want: 'the run before\n' },
    { name: 'previous with timestamps', query: 'previous=true&timestamps=true', want: '2025-12-31T23:59:59Z the run before\n' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const res = await get(`/containerLogs/ns/pod/c${c.query ? `?${c.query}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, c.want);
    });
  }

  test('sinceSeconds keeps only recent entries', async () => {
    const now = Date.now();
    const path = join(dir, 'recent.log');
    writeFileSync(path, cri(new Date(now - 120_000).toISOString(), 'stdout', 'F', 'old') + cri(new Date(now - 1000).toISOString(), 'stdout', 'F', 'new'));
    locator.files.set('ns/pod/recent', { current: path });
    assert.equal((await get('/containerLogs/ns/pod/recent?sinceSeconds=60')).text, 'new\n');
    assert.equal((await get('/containerLogs/ns/pod/recent?sinceSeconds=600')).text, 'old\nnew\n');
  });

  test('lines that are not CRI entries are skipped; an unfinished last line is not shown', async () => {
    const path = join(dir, 'odd.log');
    writeFileSync(path, 'garbage\n' + cri('2026-01-01T00:00:01Z', 'stdout', 'F', 'ok') + '2026-01-01T00:00:02Z stdout F unfin');
    locator.files.set('ns/pod/odd', { current: path });
    assert.equal((await get('/containerLogs/ns/pod/odd')).text, 'ok\n');
  });

  const errorCases: { name: string; path: string; status: number; text: string }[] = [
    { name: 'no previous run', path: '/containerLogs/ns/pod/fresh?previous=true', status: 400, text: 'previous terminated container "fresh" in pod "pod" not found\n' },
    { name: 'unknown container', path: '/containerLogs/ns/pod/nope', status: 404, text: 'container "nope" not found in pod "pod"\n' },
    { name: 'negative tail', path: '/containerLogs/ns/pod/c?tailLines=-1', status: 400, text: 'invalid tailLines: "-1"\n' },
    { name: 'zero limitBytes', path: '/containerLogs/ns/pod/c?limitBytes=0', status: 400, text: 'invalid limitBytes: "0"\n' },
    { name: 'both since forms', path: '/containerLogs/ns/pod/c?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z', status: 400, text: 'at most one of `sinceTime` or `sinceSeconds` may be specified\n' },
    { name: 'not a log path', path: '/pods', status: 404, text: '404 page not found\n' },
  ];
  for (const c of errorCases) {
    test(c.name, async () => {
      const res = await get(c.path);
      assert.deepEqual(res, { status: c.status, text: c.text });
    });
  }

  test('a log file that is gone is a 400', async () => {
    locator.files.set('ns/pod/gone', { current: join(dir, 'missing.log') });
    const res = await get('/containerLogs/ns/pod/gone');
    assert.equal(res.status, 400);
    assert.match(res.text, /^failed to open log file ".*missing\.log": ENOENT/);
  });
});

describe('who may read', () => {
  test('no client certificate: 401', async () => {
    assert.deepEqual(await get('/containerLogs/ns/pod/c', {}), { status: 401, text: 'Unauthorized\n' });
  });

  test('a node serving certificate (signed by the CA, not for clients): 401', async () => {
    assert.equal((await get('/containerLogs/ns/pod/c', nodeIdentity)).status, 401);
  });

  test('a client certificate from the CA for someone else: 403', async () => {
    const res = await get('/containerLogs/ns/pod/c', await clientCertificate(join(dir, 'pki'), 'system:node:node-1'));
    assert.equal(res.status, 403);
    assert.equal(res.text, 'Forbidden (user=system:node:node-1, verb=get, resource=nodes, subresource(s)=[log])\n');
  });

  test('a certificate from another CA: 401', async () => {
    const other = mkdtempSync(join(tmpdir(), 'everynode-other-ca-'));
    try {
      await ensureCredentials(other, '127.0.0.1');
      const issuer = await NodeCredentialIssuer.load(join(other, 'pki'));
      const res = await get('/containerLogs/ns/pod/c', { cert: issuer.clientCertPem, key: issuer.clientKeyPem });
      assert.equal(res.status, 401);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('following', () => {
  test('appended lines arrive, across a rename-and-recreate rotation and a truncation, until the container stops', async () => {
    const path = join(dir, 'follow.log');
    writeFileSync(path, cri('2026-01-01T00:00:01Z', 'stdout', 'F', 'first'));
    locator.files.set('ns/pod/f', { current: path });
    locator.live.add(path);
    const f = follow('/containerLogs/ns/pod/f?follow=true');
    await until('the first line', () => f.text() === 'first\n');

    appendFileSync(path, cri('2026-01-01T00:00:02Z', 'stdout', 'F', 'second'));
    await until('an appended line', () => f.text() === 'first\nsecond\n');

    appendFileSync(path, '2026-01-01T00:00:03Z stdout F hal');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(f.text(), 'first\nsecond\n', 'half a line is held back');
    appendFileSync(path, 'ves\n');
    await until('the completed line', () => f.text() === 'first\nsecond\nhalves\n');

    renameSync(path, `${path}.20260101-000004`);
    writeFileSync(path, cri('2026-01-01T00:00:04Z', 'stdout', 'F', 'after rotation'));
    await until('the rotated file', () => f.text().endsWith('after rotation\n'));

    truncateSync(path, 0); // copytruncate: noticed because the file got shorter than what was read
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(path, cri('2026-01-01T00:00:05Z', 'stdout', 'F', 'after truncation'));
    await until('the truncated file', () => f.text().endsWith('after truncation\n'));

    locator.live.delete(path);
    assert.equal(await f.done, 200);
    assert.equal(f.text(), 'first\nsecond\nhalves\nafter rotation\nafter truncation\n');
  });

  test('follow with tail 0 shows only new lines', async () => {
    const path = join(dir, 'tail0.log');
    writeFileSync(path, cri('2026-01-01T00:00:01Z', 'stdout', 'F', 'old'));
    locator.files.set('ns/pod/t0', { current: path });
    locator.live.add(path);
    const f = follow('/containerLogs/ns/pod/t0?follow=true&tailLines=0&timestamps=true');
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(path, cri('2026-01-01T00:00:02Z', 'stdout', 'F', 'new'));
    await until('the new line', () => f.text() === '2026-01-01T00:00:02Z new\n');
    locator.live.delete(path);
    await f.done;
  });

  test('following a container that no longer writes ends at once', async () => {
    const res = await get('/containerLogs/ns/pod/c?follow=true');
    assert.deepEqual(res, { status: 200, text: 'one\ntwo\nthree\nfour\n' });
  });

  test('a follower that goes away is let go', async () => {
    const path = join(dir, 'leave.log');
    writeFileSync(path, cri('2026-01-01T00:00:01Z', 'stdout', 'F', 'x'));
    locator.files.set('ns/pod/leave', { current: path });
    locator.live.add(path);
    const f = follow('/containerLogs/ns/pod/leave?follow=true');
    await until('the line', () => f.text() === 'x\n');
    f.stop();
    await f.done;
    // the server keeps serving others
    assert.equal((await get('/containerLogs/ns/pod/c?tailLines=1')).text, 'four\n');
    locator.live.delete(path);
  });
});
