// Node credentials and node authorization against a real `everynode server`: an agent trades the
// bootstrap token for a node token and serving certificate; the node token may write its own
// Node, Lease and the pods bound to it (their status, their deletion, mirror pods) and nothing
// else (403), reads what an agent needs, survives a server restart, and forged tokens are 401.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_ONLY, TestServer, type RawResponse } from '../helpers/server.js';

const CREDENTIALS = '/everynode/v1/nodecredentials';
const KUBECTL = '1.33';

let server: TestServer;
let bootstrapToken: string;

function publicKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

function as(token: string | undefined, method: string, path: string, body?: unknown, contentType?: string): Promise<RawResponse> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  if (contentType) headers['Content-Type'] = contentType;
  return server.request(method, path, body, headers, false);
}

async function credentialsFor(token: string, nodeName: string): Promise<RawResponse> {
  return as(token, 'POST', CREDENTIALS, { nodeName, publicKey: publicKey(), addresses: ['127.0.0.1', 'node.example'] });
}

function node(name: string): object {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } };
}

function lease(name: string): object {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } };
}

function pod(name: string, nodeName: string, annotations: Record<string, string> = {}): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec: { nodeName, containers: [{ name: 'app', image: 'busybox' }] } };
}

const MIRROR = { 'kubernetes.io/config.mirror': 'abc123' };

before(async () => {
  server = await TestServer.start({ args: API_ONLY });
  bootstrapToken = readFileSync(join(server.dataDir, 'agent-token'), 'utf8').trim();
  const admin = server.token;
  for (const n of ['node-b']) assert.equal((await as(admin, 'POST', '/api/v1/nodes', node(n))).status, 201);
  assert.equal((await as(admin, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('node-b'))).status, 201);
  assert.equal((await as(admin, 'POST', '/api/v1/namespaces/default/pods', pod('on-a', 'node-a'))).status, 201);
  assert.equal((await as(admin, 'POST', '/api/v1/namespaces/default/pods', pod('on-a-2', 'node-a'))).status, 201);
  assert.equal((await as(admin, 'POST', '/api/v1/namespaces/default/pods', pod('on-b', 'node-b'))).status, 201);
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agentd' },
    spec: { selector: { matchLabels: { app: 'agentd' } }, template: { metadata: { labels: { app: 'agentd' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  };
  assert.equal((await as(admin, 'POST', '/apis/apps/v1/namespaces/default/daemonsets', ds)).status, 201);
});

after(async () => {
  await server?.destroy();
});

describe('obtaining node credentials', () => {
  it('needs a token: none or a wrong one is 401', async () => {
    assert.equal((await credentialsFor('', 'node-a')).status, 401);
    assert.equal((await credentialsFor('not-a-token', 'node-a')).status, 401);
  });

  it('checks the request', async () => {
    const res = await as(bootstrapToken, 'POST', CREDENTIALS, { nodeName: 'Bad_Name', addresses: ['not an address'] });
    assert.equal(res.status, 422);
    assert.equal(res.json.reason, 'Invalid');
    assert.deepEqual(
      res.json.details.causes.map((c: { field: string }) => c.field),
      ['nodeName', 'publicKey', 'addresses[0]'],
    );
    assert.equal((await as(bootstrapToken, 'GET', CREDENTIALS)).status, 405);
  });

  it('gives the bootstrap token a node token and a serving certificate signed by the cluster CA', async () => {
    const res = await credentialsFor(bootstrapToken, 'node-a');
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.kind, 'NodeCredentials');
    assert.equal(res.json.nodeName, 'node-a');
    assert.equal(res.json.caCertificate, server.ca);
    assert.equal(res.json.apiServerClientName, 'everynode:apiserver-kubelet-client');
    const cert = new X509Certificate(res.json.certificate);
    assert.ok(cert.verify(new X509Certificate(server.ca).publicKey));
    assert.match(cert.subject, /CN=system:node:node-a/);
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkHost('node-a'), 'node-a');
    assert.equal(cert.checkHost('node.example'), 'node.example');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  });

  it('lets a node renew its own credentials but not ask for another node', async () => {
    const token = (await credentialsFor(bootstrapToken, 'node-a')).json.token as string;
    assert.equal((await credentialsFor(token, 'node-a')).status, 201);
    const other = await credentialsFor(token, 'node-b');
    assert.equal(other.status, 403);
    assert.equal(other.json.message, 'nodecredentials "node-b" is forbidden: User "system:node:node-a" cannot create credentials for node "node-b"');
  });
});

describe('what a node token may do', () => {
  let token: string;
  before(async () => {
    token = (await credentialsFor(bootstrapToken, 'node-a')).json.token as string;
  });

  const merge = 'application/merge-patch+json';
  const cases: { name: string; method: string; path: string; body?: unknown; type?: string; status: number }[] = [
    // its own Node
    { name: 'create its Node', method: 'POST', path: '/api/v1/nodes', body: node('node-a'), status: 201 },
    { name: 'create another Node', method: 'POST', path: '/api/v1/nodes', body: node('node-x'), status: 403 },
    { name: 'patch its Node', method: 'PATCH', path: '/api/v1/nodes/node-a', body: { metadata: { labels: { disk: 'ssd' } } }, type: merge, status: 200 },
    { name: 'patch another Node', method: 'PATCH', path: '/api/v1/nodes/node-b', body: { metadata: { labels: { disk: 'ssd' } } }, type: merge, status: 403 },
    { name: 'patch its Node status', method: 'PATCH', path: '/api/v1/nodes/node-a/status', body: { status: { phase: 'Running' } }, type: merge, status: 200 },
    { name: 'patch another Node status', method: 'PATCH', path: '/api/v1/nodes/node-b/status', body: { status: { phase: 'Running' } }, type: merge, status: 403 },
    { name: 'delete another Node', method: 'DELETE', path: '/api/v1/nodes/node-b', status: 403 },
    { name: 'get another Node', method: 'GET', path: '/api/v1/nodes/node-b', status: 200 },
    { name: 'list Nodes', method: 'GET', path: '/api/v1/nodes', status: 200 },
    // its own Lease
    { name: 'create its Lease', method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', body: lease('node-a'), status: 201 },
    { name: 'create another Lease', method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', body: lease('node-y'), status: 403 },
    { name: 'create a Lease elsewhere', method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/default/leases', body: lease('node-a'), status: 403 },
    { name: 'renew its Lease', method: 'PATCH', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a', body: { spec: { renewTime: '2026-01-01T00:00:00.000000Z' } }, type: merge, status: 200 },
    { name: 'renew another Lease', method: 'PATCH', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b', body: { spec: { renewTime: '2026-01-01T00:00:00.000000Z' } }, type: merge, status: 403 },
    { name: 'get another Lease', method: 'GET', path: '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b', status: 200 },
    { name: 'read Leases elsewhere', method: 'GET', path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', status: 403 },
    // pods bound to it
    { name: 'list pods', method: 'GET', path: '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a', status: 200 },
    { name: 'get a pod on another node', method: 'GET', path: '/api/v1/namespaces/default/pods/on-b', status: 200 },
    { name: 'patch the status of its pod', method: 'PATCH', path: '/api/v1/namespaces/default/pods/on-a/status', body: { status: { phase: 'Running' } }, type: merge, status: 200 },
    { name: 'patch the status of a pod elsewhere', method: 'PATCH', path: '/api/v1/namespaces/default/pods/on-b/status', body: { status: { phase: 'Running' } }, type: merge, status: 403 },
    { name: 'patch its pod itself', method: 'PATCH', path: '/api/v1/namespaces/default/pods/on-a', body: { metadata: { labels: { x: 'y' } } }, type: merge, status: 403 },
    { name: 'delete a pod elsewhere', method: 'DELETE', path: '/api/v1/namespaces/default/pods/on-b', status: 403 },
    { name: 'delete its pod', method: 'DELETE', path: '/api/v1/namespaces/default/pods/on-a-2', body: { gracePeriodSeconds: 0 }, status: 200 },
    { name: 'bind a pod', method: 'POST', path: '/api/v1/namespaces/default/pods/on-b/binding', body: { target: { name: 'node-a' } }, status: 403 },
    { name: 'evict a pod', method: 'POST', path: '/api/v1/namespaces/default/pods/on-b/eviction', body: {}, status: 403 },
    { name: 'read pod logs', method: 'GET', path: '/api/v1/namespaces/default/pods/on-a/log', status: 403 },
    // mirror pods only, bound to itself
    { name: 'create a mirror pod for itself', method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('static-a', 'node-a', MIRROR), status: 201 },
    { name: 'create a mirror pod for another node', method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('static-b', 'node-b', MIRROR), status: 403 },
    { name: 'create an ordinary pod', method: 'POST', path: '/api/v1/namespaces/default/pods', body: pod('plain', 'node-a'), status: 403 },
    // anything else
    { name: 'delete a DaemonSet', method: 'DELETE', path: '/apis/apps/v1/namespaces/default/daemonsets/agentd', status: 403 },
    { name: 'read DaemonSets', method: 'GET', path: '/apis/apps/v1/namespaces/default/daemonsets', status: 403 },
    { name: 'create a namespace', method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name: 'mine' } }, status: 403 },
    { name: 'read namespaces', method: 'GET', path: '/api/v1/namespaces', status: 200 },
    { name: 'read priority classes', method: 'GET', path: '/apis/scheduling.k8s.io/v1/priorityclasses', status: 200 },
    { name: 'create an event', method: 'POST', path: '/api/v1/namespaces/default/events', body: { metadata: { name: 'e1' }, involvedObject: { kind: 'Node', name: 'node-a' }, reason: 'Starting', message: 'hi', type: 'Normal' }, status: 201 },
    { name: 'read events', method: 'GET', path: '/api/v1/namespaces/default/events', status: 403 },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status}`, async () => {
      const res = await as(token, c.method, c.path, c.body, c.type);
      assert.equal(res.status, c.status, res.text);
      if (c.status === 403) assert.equal(res.json.reason, 'Forbidden');
    });
  }

  it('updates (PUT) the status of its own pod, not of one elsewhere', async () => {
    for (const [name, want] of [
      ['on-a', 200],
      ['on-b', 403],
    ] as const) {
      const current = (await as(server.token, 'GET', `/api/v1/namespaces/default/pods/${name}`)).json;
      const res = await as(token, 'PUT', `/api/v1/namespaces/default/pods/${name}/status`, { ...current, status: { ...current.status, phase: 'Running', hostIP: '127.0.0.1' } });
      assert.equal(res.status, want, res.text);
    }
  });

  it('says why, as upstream does', async () => {
    const res = await as(token, 'PATCH', '/api/v1/namespaces/default/pods/on-b/status', { status: {} }, merge);
    assert.equal(res.json.message, 'pods "on-b" is forbidden: node "node-a" can only update pod status for pods with spec.nodeName set to itself');
    const mirror = await as(token, 'POST', '/api/v1/namespaces/default/pods', pod('static-c', 'node-b', MIRROR));
    assert.equal(mirror.json.message, 'pods "static-c" is forbidden: node "node-a" can only create pods with spec.nodeName set to itself');
    const plain = await as(token, 'POST', '/api/v1/namespaces/default/pods', pod('plain', 'node-a'));
    assert.equal(plain.json.message, 'pods "plain" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-a" can only create mirror pods');
    const k = await server.kubectl(KUBECTL, ['--token', token, 'delete', 'ds', 'agentd']);
    assert.equal(k.code, 1);
    assert.equal(
      k.stderr.trim(),
      'Error from server (Forbidden): daemonsets.apps "agentd" is forbidden: User "system:node:node-a" cannot delete resource "daemonsets" in API group "apps" in the namespace "default"',
    );
    const ds = await server.kubectl(KUBECTL, ['get', 'ds', 'agentd', '-o', 'name']);
    assert.equal(ds.stdout.trim(), 'daemonset.apps/agentd');
  });

  it('rejects forged and garbled tokens with 401', async () => {
    const [prefix, payload, sig] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(JSON.stringify({ n: 'node-b', iat: 1 })).toString('base64url');
    const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA');
    for (const forged of [
      `${prefix}.${otherPayload}.${sig}`, // another node's name under this signature
      `${prefix}.${payload}.${flipped}`, // a changed signature
      `${prefix}.${payload}`, // no signature
      `${prefix}.${payload}.${sig}.x`,
      `everynode-node.e30.${sig}`,
      'garbage',
      token.toUpperCase(),
    ]) {
      const res = await as(forged, 'GET', '/api/v1/nodes');
      assert.equal(res.status, 401, forged);
      assert.equal(res.json.reason, 'Unauthorized');
    }
  });

  it('keeps working after the server restarts (the token is stateless)', async () => {
    await server.stop();
    await server.launch();
    assert.equal((await as(token, 'PATCH', '/api/v1/nodes/node-a', { metadata: { labels: { after: 'restart' } } }, merge)).status, 200);
    assert.equal((await as(token, 'PATCH', '/api/v1/nodes/node-b', { metadata: { labels: { after: 'restart' } } }, merge)).status, 403);
  });
});

describe('the bootstrap token', () => {
  it('keeps its rights (agent --simulate runs many nodes with it) but cannot read logs', async () => {
    assert.equal((await as(bootstrapToken, 'POST', '/api/v1/nodes', node('sim-1'))).status, 201);
    assert.equal((await as(bootstrapToken, 'PATCH', '/api/v1/nodes/node-b/status', { status: { phase: 'Running' } }, 'application/merge-patch+json')).status, 200);
    assert.equal((await as(bootstrapToken, 'GET', '/apis/apps/v1/daemonsets')).status, 200);
    assert.equal((await as(bootstrapToken, 'GET', '/api/v1/namespaces/default/pods/on-b/log')).status, 403);
    assert.equal((await as(bootstrapToken, 'DELETE', '/apis/apps/v1/namespaces/default/daemonsets/agentd')).status, 403);
  });
});
