// When an agent reuses the node credentials in its state dir and when it must ask again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCredentials } from '../../src/apiserver/pki.js';
import { NodeCredentialIssuer } from '../../src/apiserver/node-credentials.js';
import { loadNodeCredentials, type CredentialOptions, type NodeCredentials } from '../../src/agent/credentials.js';

const DAY = 24 * 3600 * 1000;

let dir: string;
let stored: NodeCredentials;
let base: CredentialOptions;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'everynode-agent-creds-'));
  await ensureCredentials(dir, '127.0.0.1');
  const issuer = await NodeCredentialIssuer.load(join(dir, 'pki'));
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  stored = {
    nodeName: 'n1',
    token: issuer.issueToken('n1'),
    certPem: await issuer.issueServingCertificate('n1', publicKey.export({ type: 'spki', format: 'pem' }) as string, ['10.0.0.5', 'n1.example']),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    caPem: issuer.caPem,
    apiServerClientName: 'everynode:apiserver-kubelet-client',
  };
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'node-credentials.json'), JSON.stringify(stored));
  base = { server: 'https://127.0.0.1:1', ca: issuer.caPem, bootstrapToken: 'x', nodeName: 'n1', addresses: ['10.0.0.5'], stateDir };
});

after(() => rmSync(dir, { recursive: true, force: true }));

const cases: { name: string; change: (b: CredentialOptions) => Partial<CredentialOptions>; reused: boolean }[] = [
  { name: 'same node, CA and addresses', change: () => ({}), reused: true },
  { name: 'addresses the certificate covers', change: () => ({ addresses: ['10.0.0.5', 'n1.example'] }), reused: true },
  { name: 'the same CA with other blank lines', change: (b) => ({ ca: `\n${b.ca.trim()}\n\n` }), reused: true },
  { name: 'two months of validity left', change: () => ({ now: new Date(Date.now() + 300 * DAY) }), reused: true },
  { name: 'another node name', change: () => ({ nodeName: 'n2' }), reused: false },
  { name: 'an address the certificate does not cover', change: () => ({ addresses: ['10.0.0.6'] }), reused: false },
  { name: 'another cluster CA', change: () => ({ ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), reused: false },
  { name: 'less than 30 days of validity left', change: () => ({ now: new Date(Date.now() + 340 * DAY) }), reused: false },
  { name: 'nothing stored', change: (b) => ({ stateDir: join(b.stateDir, 'nowhere') }), reused: false },
];
for (const c of cases) {
  test(c.name, () => {
    const got = loadNodeCredentials({ ...base, ...c.change(base) });
    if (c.reused) assert.deepEqual(got, stored);
    else assert.equal(got, undefined);
  });
}

test('an unreadable file: ask again', () => {
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'node-credentials.json'), '{"nodeName":"n1"');
  assert.equal(loadNodeCredentials({ ...base, stateDir: broken }), undefined);
});
