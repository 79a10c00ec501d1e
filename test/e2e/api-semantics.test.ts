// The API's semantics against a real `everynode server` process: authentication, discovery,
// writes and their metadata, patches, selectors and paging, watches, deletion, pod
// subresources and admission, namespaces and protobuf bodies. Raw HTTPS throughout, and the
// real kubectl where it is the client a user would reach for.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { API_ONLY, TestServer, type RawResponse } from '../helpers/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const KUBECTL = '1.33';
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';

let server: TestServer;

before(async () => {
  server = await TestServer.start({ args: API_ONLY });
});

after(async () => {
  await server?.destroy();
});

// ---- helpers ---------------------------------------------------------------------------------

function req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return server.request(method, path, body, headers);
}

async function ok(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Obj> {
  const res = await req(method, path, body, headers);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status}: ${res.text}`);
  return res.json;
}

function expectCode(res: RawResponse, code: number): void {
  assert.equal(res.status, code, res.text);
}

function assertStatus(res: RawResponse, code: number, reason: string, message?: string | RegExp): void {
  assert.equal(res.status, code, res.text);
  assert.equal(res.json?.kind, 'Status', res.text);
  assert.equal(res.json.status, 'Failure');
  assert.equal(res.json.code, code);
  assert.equal(res.json.reason, reason);
  if (typeof message === 'string') assert.equal(res.json.message, message);
  else if (message) assert.match(res.json.message, message);
}

async function namespace(name: string): Promise<void> {
  await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function daemonSet(name: string, extra: { labels?: Record<string, string>; finalizers?: string[] } = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, labels: { app: name, ...extra.labels }, ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'main', image: 'busybox:1.36' },
            { name: 'side', image: 'registry.k8s.io/pause:3.9' },
          ],
        },
      },
    },
  };
}

function pod(name: string, extra: { labels?: Record<string, string>; nodeName?: string; spec?: Obj; finalizers?: string[] } = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}), ...extra.spec },
  };
}

function lease(name: string, labels?: Record<string, string>): Obj {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, ...(labels ? { labels } : {}) }, spec: { holderIdentity: 'e2e' } };
}

const names = (list: Obj): string[] => list.items.map((i: Obj) => i.metadata.name).sort();

async function pollUntil<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface WatchEvent {
  type: string;
  object: Obj;
}

interface WatchStream {
  status: number;
  headers: IncomingHttpHeaders;
  events: WatchEvent[];
  /** Resolves once `n` events in total have arrived. */
  until(n: number, timeoutMs?: number): Promise<WatchEvent[]>;
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch; resolves as soon as the response headers arrive. */
function openWatch(path: string, headers: Record<string, string> = {}): Promise<WatchStream> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const r = request(url, { method: 'GET', agent: new Agent({ ca: server.ca }), headers: { Authorization: `Bearer ${server.token}`, ...headers } }, (res) => {
      const events: WatchEvent[] = [];
      const waiters: (() => void)[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) events.push(JSON.parse(line) as WatchEvent);
        }
        for (const w of waiters.splice(0)) w();
      });
      const ended = new Promise<void>((done) => {
        res.once('end', done);
        res.once('close', done);
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        ended,
        close: () => r.destroy(),
        until(n, timeoutMs = 5000) {
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`expected ${n} watch events, got ${JSON.stringify(events.map((e) => [e.type, e.object?.metadata?.name]))}`)), timeoutMs);
            const check = (): void => {
              if (events.length >= n) {
                clearTimeout(timer);
                ok(events.slice());
              } else waiters.push(check);
            };
            check();
          });
        },
      });
    });
    r.on('error', reject);
    r.end();
  });
}

const summary = (events: WatchEvent[]): string[][] => events.map((e) => [e.type, e.object.metadata?.name ?? '']);

// ---- authentication and authorization --------------------------------------------------------

describe('authentication and authorization', () => {
  it('rejects a request without a token or with a wrong one as 401 Unauthorized', async () => {
    assertStatus(await server.request('GET', '/api/v1/namespaces', undefined, {}, false), 401, 'Unauthorized');
    assertStatus(await server.request('GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer not-the-token' }), 401, 'Unauthorized');
    assertStatus(await server.request('GET', '/apis', undefined, { Authorization: 'Basic YWRtaW46YWRtaW4=' }), 401, 'Unauthorized');
  });

  it('serves health and version without a token', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const res = await server.request('GET', path, undefined, {}, false);
      assert.equal(res.status, 200, path);
      assert.equal(res.text, 'ok');
    }
    const v = await server.request('GET', '/version', undefined, {}, false);
    assert.equal(v.status, 200);
    assert.equal(v.json.major, '1');
    assert.equal(v.json.minor, '33');
    assert.match(v.json.gitVersion, /^v1\.33\./);
  });

  it('kubectl version reports the server as v1.33', async () => {
    const r = await server.kubectl(KUBECTL, ['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Server Version: v1\.33\./m);
  });

  it('serves /metrics only with a token, with request, latency, watcher and object metrics', async () => {
    assertStatus(await server.request('GET', '/metrics', undefined, {}, false), 401, 'Unauthorized');
    await ok('GET', '/api/v1/namespaces');
    await ok('GET', '/api/v1/namespaces/default');
    const w = await openWatch('/api/v1/namespaces/default/pods?watch=true');
    try {
      const res = await req('GET', '/metrics');
      assert.equal(res.status, 200);
      const lines = res.text.split('\n');
      const has = (re: RegExp): boolean => lines.some((l) => re.test(l));
      const labelled = (name: string, labels: Record<string, string>): boolean =>
        lines.some((l) => l.startsWith(name + '{') && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      assert.ok(labelled('apiserver_request_total', { verb: 'list', resource: 'namespaces', code: '200' }), 'list count');
      assert.ok(labelled('apiserver_request_total', { verb: 'get', resource: 'namespaces', code: '200' }), 'get count');
      assert.ok(has(/^apiserver_request_duration_seconds_bucket\{.*verb="list".*resource="namespaces"/), 'latency histogram');
      assert.ok(labelled('apiserver_registered_watchers', { resource: 'pods' }), 'watcher gauge');
      assert.ok(has(/^apiserver_registered_watchers\{[^}]*resource="pods"[^}]*\} 1$/), 'one open pod watch');
      assert.ok(has(/^apiserver_storage_objects\{resource="namespaces"\} \d+$/), 'object counts');
      assert.ok(has(/^apiserver_storage_objects\{resource="priorityclasses"\} 2$/), 'two built-in priority classes');
    } finally {
      w.close();
    }
  });

  it('the agent token reads everything and writes nodes, leases, pods and events, but not DaemonSets', async () => {
    const agentToken = readFileSync(join(server.dataDir, 'agent-token'), 'utf8').trim();
    const as = (method: string, path: string, body?: unknown): Promise<RawResponse> => server.request(method, path, body, { Authorization: `Bearer ${agentToken}` });
    await namespace('agent');
    expectCode(await as('GET', '/api/v1/namespaces/agent/pods'), 200);
    expectCode(await as('GET', '/apis/apps/v1/daemonsets'), 200);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'agent-node' } };
    expectCode(await as('POST', '/api/v1/nodes', node), 201);
    const current = (await as('GET', '/api/v1/nodes/agent-node')).json;
    const withStatus = { ...current, status: { ...current.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] } };
    expectCode(await as('PUT', '/api/v1/nodes/agent-node/status', withStatus), 200);
    expectCode(await as('POST', '/apis/coordination.k8s.io/v1/namespaces/agent/leases', lease('agent-node')), 201);
    expectCode(await as('POST', '/api/v1/namespaces/agent/pods', pod('agent-pod')), 201);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'agent-event' },
      involvedObject: { kind: 'Pod', namespace: 'agent', name: 'agent-pod' },
      reason: 'Started',
      message: 'container started',
      type: 'Normal',
    };
    expectCode(await as('POST', '/api/v1/namespaces/agent/events', event), 201);

    assertStatus(
      await as('POST', '/apis/apps/v1/namespaces/agent/daemonsets', daemonSet('nope')),
      403,
      'Forbidden',
      'daemonsets.apps is forbidden: User "system:bootstrap:agent" cannot create resource "daemonsets" in API group "apps" in the namespace "agent"',
    );
    expectCode(await req('GET', '/apis/apps/v1/namespaces/agent/daemonsets/nope'), 404);

    const r = await server.kubectl(KUBECTL, ['--token', agentToken, 'create', '-n', 'agent', '-f', '-'], { input: JSON.stringify(daemonSet('nope')) });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /Error from server \(Forbidden\): error when creating "STDIN": daemonsets\.apps is forbidden: User "system:bootstrap:agent" cannot create resource "daemonsets" in API group "apps" in the namespace "agent"/,
    );
  });
});

// ---- discovery -------------------------------------------------------------------------------

describe('discovery', () => {
  it('/api lists v1', async () => {
    const api = await ok('GET', '/api');
    assert.equal(api.kind, 'APIVersions');
    assert.deepEqual(api.versions, ['v1']);
  });

  it('/apis lists apps (v1 preferred, deprecated v1beta2), coordination.k8s.io and scheduling.k8s.io', async () => {
    const list = await ok('GET', '/apis');
    assert.equal(list.kind, 'APIGroupList');
    const byName = new Map<string, Obj>(list.groups.map((g: Obj) => [g.name, g]));
    const apps = byName.get('apps');
    assert.deepEqual(
      apps.versions.map((v: Obj) => v.groupVersion),
      ['apps/v1', 'apps/v1beta2'],
    );
    assert.deepEqual(apps.preferredVersion, { groupVersion: 'apps/v1', version: 'v1' });
    assert.deepEqual(byName.get('coordination.k8s.io').preferredVersion, { groupVersion: 'coordination.k8s.io/v1', version: 'v1' });
    assert.deepEqual(byName.get('scheduling.k8s.io').preferredVersion, { groupVersion: 'scheduling.k8s.io/v1', version: 'v1' });
    assert.ok(!byName.has(''), 'the core group is not an API group');
  });

  it('/api/v1 and /apis/apps/v1 list resources with verbs, short names, categories and subresources', async () => {
    const core = await ok('GET', '/api/v1');
    assert.equal(core.kind, 'APIResourceList');
    assert.equal(core.groupVersion, 'v1');
    const r = new Map<string, Obj>(core.resources.map((x: Obj) => [x.name, x]));
    const pods = r.get('pods');
    assert.equal(pods.kind, 'Pod');
    assert.equal(pods.namespaced, true);
    assert.deepEqual(pods.shortNames, ['po']);
    assert.deepEqual(pods.categories, ['all']);
    assert.deepEqual([...pods.verbs].sort(), ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    assert.deepEqual([...r.get('pods/status').verbs].sort(), ['get', 'patch', 'update']);
    assert.deepEqual(r.get('pods/binding').verbs, ['create']);
    assert.equal(r.get('pods/binding').kind, 'Binding');
    assert.deepEqual(r.get('pods/eviction').verbs, ['create']);
    assert.equal(r.get('pods/eviction').kind, 'Eviction');
    assert.equal(r.get('pods/eviction').group, 'policy');
    assert.ok(r.get('nodes/status'));
    assert.equal(r.get('nodes').namespaced, false);
    assert.deepEqual(r.get('nodes').shortNames, ['no']);
    assert.deepEqual(r.get('namespaces').shortNames, ['ns']);
    assert.deepEqual(r.get('events').shortNames, ['ev']);

    const apps = await ok('GET', '/apis/apps/v1');
    const a = new Map<string, Obj>(apps.resources.map((x: Obj) => [x.name, x]));
    assert.deepEqual(a.get('daemonsets').shortNames, ['ds']);
    assert.deepEqual(a.get('daemonsets').categories, ['all']);
    assert.equal(a.get('daemonsets').kind, 'DaemonSet');
    assert.deepEqual([...a.get('daemonsets/status').verbs].sort(), ['get', 'patch', 'update']);
    assert.ok(a.get('controllerrevisions'));
    assert.ok((await ok('GET', '/apis/apps/v1beta2')).resources.some((x: Obj) => x.name === 'daemonsets'));
    assert.ok((await ok('GET', '/apis/scheduling.k8s.io/v1')).resources.some((x: Obj) => x.name === 'priorityclasses' && x.shortNames?.[0] === 'pc'));
    expectCode(await req('GET', '/apis/nope.example.com/v1'), 404);
  });

  it('kubectl api-resources prints what discovery serves', async () => {
    const r = await server.kubectl(KUBECTL, ['api-resources']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^daemonsets\s+ds\s+apps\/v1\s+true\s+DaemonSet$/m);
    assert.match(r.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(r.stdout, /^priorityclasses\s+pc\s+scheduling\.k8s\.io\/v1\s+false\s+PriorityClass$/m);
    assert.match(r.stdout, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
  });
});

// ---- writes ----------------------------------------------------------------------------------

describe('writes', () => {
  before(async () => namespace('writes'));
  const DS = '/apis/apps/v1/namespaces/writes/daemonsets';

  it('fills in generateName, uid, creationTimestamp and resourceVersion', async () => {
    const res = await req('POST', '/api/v1/namespaces/writes/pods', { ...pod(''), metadata: { generateName: 'gen-' } });
    assert.equal(res.status, 201, res.text);
    const m = res.json.metadata;
    assert.match(m.name, /^gen-[a-z0-9]{5}$/);
    assert.equal(m.generateName, 'gen-');
    assert.match(m.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(m.resourceVersion, /^\d+$/);
    assert.equal(m.namespace, 'writes');
    const got = await ok('GET', `/api/v1/namespaces/writes/pods/${m.name}`);
    assert.equal(got.metadata.uid, m.uid);
    // A client cannot choose the uid or resourceVersion.
    const mine = await ok('POST', '/api/v1/namespaces/writes/pods', { ...pod('chosen'), metadata: { name: 'chosen', uid: 'mine', resourceVersion: '5' } });
    assert.notEqual(mine.metadata.uid, 'mine');
  });

  it('a second create of the same name is 409 AlreadyExists', async () => {
    await ok('POST', DS, daemonSet('dup'));
    assertStatus(await req('POST', DS, daemonSet('dup')), 409, 'AlreadyExists', 'daemonsets.apps "dup" already exists');
  });

  it('DaemonSet generation starts at 1 and moves on spec changes only', async () => {
    const created = await ok('POST', DS, daemonSet('gen'));
    assert.equal(created.metadata.generation, 1);
    const path = `${DS}/gen`;
    const relabelled = await ok('PATCH', path, { metadata: { labels: { extra: 'x' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(relabelled.metadata.generation, 1, 'a label change leaves generation alone');
    const respec = await ok('PATCH', path, { spec: { minReadySeconds: 5 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(respec.metadata.generation, 2);
    const status = await ok('PUT', `${path}/status`, { ...respec, status: { currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 0 } });
    assert.equal(status.metadata.generation, 2, 'a status update leaves generation alone');
    assert.equal(status.status.desiredNumberScheduled, 1);
    const again = await ok('PATCH', path, { spec: { minReadySeconds: 5 } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(again.metadata.generation, 2, 'a no-op spec patch leaves generation alone');
  });

  it('PUT /status changes only status; a main-resource PUT cannot change status', async () => {
    const ds = await ok('POST', DS, daemonSet('status'));
    const path = `${DS}/status`;
    const body = structuredClone(ds);
    body.spec.minReadySeconds = 30;
    body.metadata.labels.sneaky = 'yes';
    body.status = { currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 3, numberReady: 1 };
    const afterStatus = await ok('PUT', `${path}/status`, body);
    assert.equal(afterStatus.status.desiredNumberScheduled, 3);
    assert.equal(afterStatus.spec.minReadySeconds ?? 0, 0, 'spec is ignored on /status');

    const main = structuredClone(afterStatus);
    main.status = { currentNumberScheduled: 9, numberMisscheduled: 9, desiredNumberScheduled: 9, numberReady: 9 };
    main.spec.minReadySeconds = 7;
    const afterMain = await ok('PUT', path, main);
    assert.equal(afterMain.spec.minReadySeconds, 7);
    assert.equal(afterMain.status.desiredNumberScheduled, 3, 'status is ignored on the main resource');
    const got = await ok('GET', path);
    assert.equal(got.status.desiredNumberScheduled, 3);
    assert.equal(got.spec.minReadySeconds, 7);
  });

  it('dryRun=All answers as if written but writes nothing', async () => {
    const res = await req('POST', `${DS}?dryRun=All`, daemonSet('dry'));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.metadata.name, 'dry');
    assert.equal(res.json.metadata.generation, 1);
    expectCode(await req('GET', `${DS}/dry`), 404);

    const ds = await ok('POST', DS, daemonSet('dry'));
    const changed = structuredClone(ds);
    changed.spec.template.spec.containers[0].image = 'busybox:9.9';
    const dryPut = await ok('PUT', `${DS}/dry?dryRun=All`, changed);
    assert.equal(dryPut.spec.template.spec.containers[0].image, 'busybox:9.9');
    const dryPatch = await ok('PATCH', `${DS}/dry?dryRun=All`, { metadata: { labels: { dry: 'run' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(dryPatch.metadata.labels.dry, 'run');
    expectCode(await req('DELETE', `${DS}/dry?dryRun=All`), 200);
    const got = await ok('GET', `${DS}/dry`);
    assert.equal(got.spec.template.spec.containers[0].image, 'busybox:1.36');
    assert.equal(got.metadata.labels.dry, undefined);
    assert.equal(got.metadata.resourceVersion, ds.metadata.resourceVersion);
    assertStatus(await req('POST', `${DS}?dryRun=Some`, daemonSet('dry2')), 400, 'BadRequest');
  });

  it('an update without resourceVersion is unconditional; a stale one is 409 Conflict', async () => {
    const ds = await ok('POST', DS, daemonSet('cas'));
    const path = `${DS}/cas`;
    const fresh = structuredClone(ds);
    fresh.metadata.labels.round = 'one';
    const updated = await ok('PUT', path, fresh);
    assert.notEqual(updated.metadata.resourceVersion, ds.metadata.resourceVersion);

    const stale = structuredClone(ds);
    stale.metadata.labels.round = 'stale';
    assertStatus(
      await req('PUT', path, stale),
      409,
      'Conflict',
      'Operation cannot be fulfilled on daemonsets.apps "cas": the object has been modified; please apply your changes to the latest version and try again',
    );

    const blind = structuredClone(ds);
    delete blind.metadata.resourceVersion;
    blind.metadata.labels.round = 'blind';
    const unconditional = await ok('PUT', path, blind);
    assert.equal(unconditional.metadata.labels.round, 'blind');
    assert.equal(unconditional.metadata.uid, ds.metadata.uid);
  });
});

// ---- patches ---------------------------------------------------------------------------------

describe('patches over raw HTTP', () => {
  before(async () => namespace('patches'));
  const DS = '/apis/apps/v1/namespaces/patches/daemonsets';
  const patch = (name: string, type: string, body: unknown, query = ''): Promise<RawResponse> => req('PATCH', `${DS}/${name}${query}`, typeof body === 'string' ? body : JSON.stringify(body), { 'Content-Type': type });
  const images = (ds: Obj): string[][] => ds.spec.template.spec.containers.map((c: Obj) => [c.name, c.image]);

  it('JSON patch (application/json-patch+json)', async () => {
    await ok('POST', DS, daemonSet('jp'));
    const res = await patch('jp', 'application/json-patch+json', [
      { op: 'add', path: '/metadata/labels/tier', value: 'node' },
      { op: 'replace', path: '/spec/template/spec/containers/1/image', value: 'registry.k8s.io/pause:3.10' },
    ]);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.metadata.labels.tier, 'node');
    assert.deepEqual(images(res.json), [
      ['main', 'busybox:1.36'],
      ['side', 'registry.k8s.io/pause:3.10'],
    ]);
    const failed = await patch('jp', 'application/json-patch+json', [{ op: 'test', path: '/metadata/labels/tier', value: 'other' }]);
    assert.ok(failed.status >= 400 && failed.status < 500, failed.text);
    assert.equal(failed.json.kind, 'Status');
  });

  it('merge patch (application/merge-patch+json): null deletes, lists are replaced', async () => {
    await ok('POST', DS, daemonSet('mp', { labels: { gone: 'soon' } }));
    const res = await patch('mp', 'application/merge-patch+json', {
      metadata: { labels: { gone: null, added: 'yes' } },
      spec: { template: { spec: { containers: [{ name: 'only', image: 'nginx:1.27' }] } } },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.metadata.labels, { app: 'mp', added: 'yes' });
    assert.deepEqual(images(res.json), [['only', 'nginx:1.27']]);
  });

  it('strategic merge patch merges containers by name and honours $patch: delete', async () => {
    await ok('POST', DS, daemonSet('smp'));
    const type = 'application/strategic-merge-patch+json';
    const res = await patch('smp', type, { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } } } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(images(res.json), [
      ['main', 'busybox:1.37'],
      ['side', 'registry.k8s.io/pause:3.9'],
    ]);
    const del = await patch('smp', type, { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } });
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(images(del.json), [['main', 'busybox:1.37']]);
    assert.equal(del.json.metadata.generation, 3);
  });

  it('a patch of a missing object is 404; an unknown patch type is 415', async () => {
    assertStatus(await patch('missing', 'application/merge-patch+json', { metadata: { labels: { a: 'b' } } }), 404, 'NotFound', 'daemonsets.apps "missing" not found');
    await ok('POST', DS, daemonSet('badtype'));
    const res = await patch('badtype', 'text/plain', 'hello');
    assert.equal(res.status, 415, res.text);
  });

  it('server-side apply (application/apply-patch+yaml) creates when absent (201), then updates (200)', async () => {
    const yaml = (image: string): string => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: applied
spec:
  selector:
    matchLabels: {app: applied}
  template:
    metadata:
      labels: {app: applied}
    spec:
      containers:
      - name: main
        image: ${image}
`;
    const created = await patch('applied', 'application/apply-patch+yaml', yaml('busybox:1.36'), '?fieldManager=e2e');
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.metadata.generation, 1);
    const updated = await patch('applied', 'application/apply-patch+yaml', yaml('busybox:1.37'), '?fieldManager=e2e&force=true');
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(images(updated.json), [['main', 'busybox:1.37']]);
    assert.equal(updated.json.metadata.generation, 2);
    assert.equal(updated.json.metadata.uid, created.json.metadata.uid);
  });
});

// ---- lists -----------------------------------------------------------------------------------

describe('lists', () => {
  before(async () => {
    await namespace('sel');
    await namespace('sel2');
    const pods = [
      pod('p1', { labels: { app: 'web', tier: 'front' }, nodeName: 'n1' }),
      pod('p2', { labels: { app: 'web', tier: 'back' } }),
      pod('p3', { labels: { app: 'db' } }),
      pod('p4', { nodeName: 'n2' }),
    ];
    for (const p of pods) await ok('POST', '/api/v1/namespaces/sel/pods', p);
    await ok('POST', '/api/v1/namespaces/sel2/pods', pod('other', { labels: { app: 'web' } }));
    const p3 = await ok('GET', '/api/v1/namespaces/sel/pods/p3');
    await ok('PUT', '/api/v1/namespaces/sel/pods/p3/status', { ...p3, status: { ...p3.status, phase: 'Running' } });
    const event = (name: string, involvedObject: Obj): Obj => ({ apiVersion: 'v1', kind: 'Event', metadata: { name }, involvedObject, reason: 'Test', message: name, type: 'Normal' });
    // Events about cluster-scoped objects live in "default" with an empty involvedObject.namespace.
    await ok('POST', '/api/v1/namespaces/default/events', event('node-event', { kind: 'Node', name: 'n1', uid: 'n1-uid' }));
    await ok('POST', '/api/v1/namespaces/sel/events', event('pod-event', { kind: 'Pod', namespace: 'sel', name: 'p1', uid: 'p1-uid' }));
    await ok('POST', '/api/v1/namespaces/sel/events', event('pod-event-2', { kind: 'Pod', namespace: 'sel', name: 'p2', uid: 'p2-uid' }));
  });

  const labelCases: [string, string[]][] = [
    ['app=web', ['p1', 'p2']],
    ['app==web', ['p1', 'p2']],
    ['app!=web', ['p3', 'p4']],
    ['app in (web,db)', ['p1', 'p2', 'p3']],
    ['app notin (web)', ['p3', 'p4']],
    ['tier', ['p1', 'p2']],
    ['!tier', ['p3', 'p4']],
    ['app=web,tier=back', ['p2']],
    ['app=web,!tier', []],
    ['app=nothing', []],
  ];
  for (const [selector, expected] of labelCases) {
    it(`labelSelector ${selector}`, async () => {
      const list = await ok('GET', `/api/v1/namespaces/sel/pods?labelSelector=${encodeURIComponent(selector)}`);
      assert.deepEqual(names(list), expected);
    });
  }

  const fieldCases: [string, string[]][] = [
    ['metadata.name=p1', ['p1']],
    ['metadata.name==p2', ['p2']],
    ['metadata.name!=p1', ['p2', 'p3', 'p4']],
    ['metadata.namespace=sel', ['p1', 'p2', 'p3', 'p4']],
    ['metadata.namespace=sel2', []],
    ['spec.nodeName=n1', ['p1']],
    ['spec.nodeName=', ['p2', 'p3']],
    ['spec.nodeName!=', ['p1', 'p4']],
    ['status.phase=Running', ['p3']],
    ['status.phase!=Running', ['p1', 'p2', 'p4']],
    ['status.phase!=Running,spec.nodeName=n2', ['p4']],
    ['spec.nodeName=n2,status.phase!=Running', ['p4']],
    ['status.phase=Pending,metadata.name!=p1,spec.nodeName=', ['p2']],
  ];
  for (const [selector, expected] of fieldCases) {
    it(`fieldSelector ${selector} on pods`, async () => {
      const list = await ok('GET', `/api/v1/namespaces/sel/pods?fieldSelector=${encodeURIComponent(selector)}`);
      assert.deepEqual(names(list), expected);
    });
  }

  const eventCases: [string, string[]][] = [
    ['involvedObject.namespace=', []],
    ['involvedObject.kind=Node', []],
    ['involvedObject.name=p1,involvedObject.namespace=sel', ['pod-event']],
    ['involvedObject.namespace=sel,involvedObject.name=p1', ['pod-event']],
    ['involvedObject.uid=p2-uid,involvedObject.name=p2,involvedObject.namespace=sel,involvedObject.kind=Pod', ['pod-event-2']],
    ['involvedObject.kind=Pod,involvedObject.namespace=sel,involvedObject.name=p2,involvedObject.uid=p2-uid', ['pod-event-2']],
    ['involvedObject.kind!=Node', ['pod-event', 'pod-event-2']],
  ];
  for (const [selector, expected] of eventCases) {
    it(`fieldSelector ${selector} on events`, async () => {
      const list = await ok('GET', `/api/v1/namespaces/sel/events?fieldSelector=${encodeURIComponent(selector)}`);
      assert.deepEqual(names(list), expected);
    });
  }

  it('fieldSelector involvedObject.namespace= finds events about cluster-scoped objects', async () => {
    for (const path of ['/api/v1/namespaces/default/events', '/api/v1/events']) {
      const list = await ok('GET', `${path}?fieldSelector=${encodeURIComponent('involvedObject.kind=Node,involvedObject.namespace=')}`);
      assert.deepEqual(names(list), ['node-event'], path);
      const reversed = await ok('GET', `${path}?fieldSelector=${encodeURIComponent('involvedObject.namespace=,involvedObject.uid=n1-uid,involvedObject.name=n1')}`);
      assert.deepEqual(names(reversed), ['node-event'], path);
    }
  });

  it('bad selectors are 400 BadRequest', async () => {
    assertStatus(await req('GET', `/api/v1/namespaces/sel/pods?fieldSelector=${encodeURIComponent('spec.color=red')}`), 400, 'BadRequest', /field label not supported: spec\.color/);
    assertStatus(await req('GET', `/api/v1/namespaces/sel/pods?labelSelector=${encodeURIComponent('app in web')}`), 400, 'BadRequest');
  });

  it('kubectl get with -l and --field-selector', async () => {
    const byLabel = await server.kubectl(KUBECTL, ['get', 'pods', '-n', 'sel', '-l', 'app in (web,db),tier!=front', '-o', 'name']);
    assert.equal(byLabel.code, 0, byLabel.stderr);
    assert.equal(byLabel.stdout, 'pod/p2\npod/p3\n');
    const byField = await server.kubectl(KUBECTL, ['get', 'pods', '-n', 'sel', '--field-selector', 'spec.nodeName=n1', '-o', 'name']);
    assert.equal(byField.code, 0, byField.stderr);
    assert.equal(byField.stdout, 'pod/p1\n');
    const none = await server.kubectl(KUBECTL, ['get', 'pods', '-n', 'sel', '-l', 'app=nothing']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stderr, 'No resources found in sel namespace.\n');
  });

  it('limit + continue pages through 25 objects, each exactly once', async () => {
    await namespace('paging');
    const all: string[] = [];
    for (let i = 0; i < 25; i++) all.push(`lease-${String(i).padStart(2, '0')}`);
    await Promise.all(all.map((n) => ok('POST', '/apis/coordination.k8s.io/v1/namespaces/paging/leases', lease(n))));
    const seen: string[] = [];
    const pages: number[] = [];
    let token = '';
    for (let i = 0; i < 10; i++) {
      const page = await ok('GET', `/apis/coordination.k8s.io/v1/namespaces/paging/leases?limit=10${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      pages.push(page.items.length);
      seen.push(...page.items.map((x: Obj) => x.metadata.name));
      token = page.metadata.continue ?? '';
      if (!token) break;
    }
    assert.deepEqual(pages, [10, 10, 5]);
    assert.deepEqual(seen, all);

    const chunked = await server.kubectl(KUBECTL, ['get', 'leases', '-n', 'paging', '--chunk-size=7', '-o', 'name']);
    assert.equal(chunked.code, 0, chunked.stderr);
    assert.deepEqual(
      chunked.stdout.trim().split('\n'),
      all.map((n) => `lease.coordination.k8s.io/${n}`),
    );
  });

  it('/api/v1/pods lists pods of every namespace', async () => {
    const list = await ok('GET', '/api/v1/pods?labelSelector=app%3Dweb');
    assert.equal(list.kind, 'PodList');
    assert.deepEqual(
      list.items.map((p: Obj) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
      ['sel/p1', 'sel/p2', 'sel2/other'],
    );
    const kubectl = await server.kubectl(KUBECTL, ['get', 'pods', '-A', '-l', 'app=web', '-o', 'name']);
    assert.equal(kubectl.code, 0, kubectl.stderr);
    assert.equal(kubectl.stdout, 'pod/p1\npod/p2\npod/other\n');
  });
});

// ---- watch -----------------------------------------------------------------------------------

describe('watch', () => {
  before(async () => namespace('watch'));
  const LEASES = '/apis/coordination.k8s.io/v1/namespaces/watch/leases';

  it('sends the 200 and headers at once, before any event, on an empty collection', async () => {
    const started = Date.now();
    const w = await openWatch(`${LEASES}?watch=true`);
    try {
      assert.equal(w.status, 200);
      assert.ok(Date.now() - started < 2000, 'headers arrived promptly');
      assert.match(String(w.headers['content-type']), /^application\/json/);
      assert.equal(w.events.length, 0);
      await ok('POST', LEASES, lease('first'));
      assert.deepEqual(summary(await w.until(1)), [['ADDED', 'first']]);
    } finally {
      w.close();
    }
  });

  it('without resourceVersion it starts with synthetic ADDED events for what exists', async () => {
    await ok('POST', LEASES, lease('second'));
    const w = await openWatch(`${LEASES}?watch=true`);
    try {
      const events = await w.until(2);
      assert.deepEqual(summary(events), [
        ['ADDED', 'first'],
        ['ADDED', 'second'],
      ]);
      assert.equal(events[0]!.object.kind, 'Lease');
      assert.equal(events[0]!.object.apiVersion, 'coordination.k8s.io/v1');
    } finally {
      w.close();
    }
    // resourceVersion=0 means "from any state": the same synthetic ADDED events.
    const zero = await openWatch(`${LEASES}?watch=true&resourceVersion=0`);
    try {
      assert.deepEqual(summary(await zero.until(2)), [
        ['ADDED', 'first'],
        ['ADDED', 'second'],
      ]);
    } finally {
      zero.close();
    }
  });

  it('from a list resourceVersion it sends only later changes', async () => {
    const list = await ok('GET', LEASES);
    const w = await openWatch(`${LEASES}?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    try {
      await ok('PATCH', `${LEASES}/first`, { spec: { holderIdentity: 'someone' } }, { 'Content-Type': 'application/merge-patch+json' });
      const events = await w.until(1);
      assert.deepEqual(summary(events), [['MODIFIED', 'first']]);
      assert.equal(events[0]!.object.spec.holderIdentity, 'someone');
      assert.ok(Number(events[0]!.object.metadata.resourceVersion) > Number(list.metadata.resourceVersion));
    } finally {
      w.close();
    }
  });

  it('a label-selector watch sees a label change as DELETED / ADDED', async () => {
    const list = await ok('GET', `${LEASES}?labelSelector=color%3Dblue`);
    const w = await openWatch(`${LEASES}?watch=true&labelSelector=color%3Dblue&resourceVersion=${list.metadata.resourceVersion}`);
    try {
      await ok('POST', LEASES, lease('colored', { color: 'blue' }));
      await ok('POST', LEASES, lease('red-one', { color: 'red' }));
      const relabel = (color: string): Promise<Obj> => ok('PATCH', `${LEASES}/colored`, { metadata: { labels: { color } } }, { 'Content-Type': 'application/merge-patch+json' });
      await relabel('red');
      await relabel('blue');
      await ok('PATCH', `${LEASES}/colored`, { spec: { holderIdentity: 'x' } }, { 'Content-Type': 'application/merge-patch+json' });
      await ok('DELETE', `${LEASES}/colored`);
      const events = await w.until(5);
      assert.deepEqual(summary(events), [
        ['ADDED', 'colored'],
        ['DELETED', 'colored'],
        ['ADDED', 'colored'],
        ['MODIFIED', 'colored'],
        ['DELETED', 'colored'],
      ]);
      assert.equal(events[1]!.object.metadata.labels.color, 'red', 'the DELETED event carries the new state');
    } finally {
      w.close();
    }
  });

  it('sendInitialEvents + allowWatchBookmarks ends the initial list with an annotated BOOKMARK', async () => {
    const w = await openWatch(`${LEASES}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
    try {
      const current = names(await ok('GET', LEASES));
      const events = await w.until(current.length + 1);
      assert.deepEqual(
        events.slice(0, -1).map((e) => e.type),
        current.map(() => 'ADDED'),
      );
      const bookmark = events.at(-1)!;
      assert.equal(bookmark.type, 'BOOKMARK');
      assert.equal(bookmark.object.kind, 'Lease');
      assert.deepEqual(bookmark.object.metadata.annotations, { 'k8s.io/initial-events-end': 'true' });
      assert.match(bookmark.object.metadata.resourceVersion, /^\d+$/);
    } finally {
      w.close();
    }
  });

  it('sends no BOOKMARK to a watch that did not ask for them', async () => {
    const w = await openWatch(`${LEASES}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`);
    try {
      const n = names(await ok('GET', LEASES)).length;
      await w.until(n);
      await ok('POST', LEASES, lease('after-initial'));
      const events = await w.until(n + 1);
      assert.ok(
        events.every((e) => e.type === 'ADDED'),
        JSON.stringify(summary(events)),
      );
      assert.equal(events.at(-1)!.object.metadata.name, 'after-initial');
    } finally {
      w.close();
    }
  });

  it('timeoutSeconds=1 closes the stream', async () => {
    const started = Date.now();
    const w = await openWatch(`${LEASES}?watch=true&timeoutSeconds=1&resourceVersion=${(await ok('GET', LEASES)).metadata.resourceVersion}`);
    await Promise.race([w.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the watch stayed open')), 5000))]);
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 4000, `closed after ${took} ms`);
  });

  it('a Table watch sends one-row Tables', async () => {
    const w = await openWatch(`${LEASES}?watch=true`, { Accept: TABLE_ACCEPT });
    try {
      const n = names(await ok('GET', LEASES)).length;
      const initial = await w.until(n);
      for (const e of initial) {
        assert.equal(e.type, 'ADDED');
        assert.equal(e.object.kind, 'Table');
        assert.equal(e.object.apiVersion, 'meta.k8s.io/v1');
        assert.equal(e.object.rows.length, 1);
      }
      assert.ok(initial[0]!.object.columnDefinitions.length > 0, 'the first table carries the columns');
      await ok('PATCH', `${LEASES}/second`, { spec: { holderIdentity: 'table' } }, { 'Content-Type': 'application/merge-patch+json' });
      const modified = (await w.until(n + 1)).at(-1)!;
      assert.equal(modified.type, 'MODIFIED');
      assert.equal(modified.object.kind, 'Table');
      assert.equal(modified.object.rows.length, 1);
      assert.equal(modified.object.rows[0].object.metadata.name, 'second');
      assert.equal(modified.object.rows[0].cells[0], 'second');
    } finally {
      w.close();
    }
  });

  it('an invalid resourceVersion is 400', async () => {
    assertStatus(await req('GET', `${LEASES}?watch=true&resourceVersion=abc`), 400, 'BadRequest');
  });
});

// ---- deletion --------------------------------------------------------------------------------

describe('deletion', () => {
  before(async () => namespace('del'));
  const DS = '/apis/apps/v1/namespaces/del/daemonsets';
  const PODS = '/api/v1/namespaces/del/pods';
  const merge = { 'Content-Type': 'application/merge-patch+json' };

  it('finalizers keep an object (with deletionTimestamp) until the last one is removed', async () => {
    const created = await ok('POST', DS, daemonSet('held', { finalizers: ['example.com/a', 'example.com/b'] }));
    const w = await openWatch(`${DS}?watch=true&resourceVersion=${created.metadata.resourceVersion}`);
    try {
      const res = await req('DELETE', `${DS}/held`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.kind, 'DaemonSet');
      assert.match(res.json.metadata.deletionTimestamp, /Z$/);
      assert.equal(res.json.metadata.deletionGracePeriodSeconds, 0);
      const still = await ok('GET', `${DS}/held`);
      assert.deepEqual(still.metadata.finalizers, ['example.com/a', 'example.com/b']);
      assert.ok(still.metadata.deletionTimestamp);

      await ok('PATCH', `${DS}/held`, { metadata: { finalizers: ['example.com/b'] } }, merge);
      assert.equal((await req('GET', `${DS}/held`)).status, 200, 'one finalizer left');
      await ok('PATCH', `${DS}/held`, { metadata: { finalizers: null } }, merge);
      assertStatus(await req('GET', `${DS}/held`), 404, 'NotFound');
      const events = await w.until(4);
      assert.deepEqual(
        events.map((e) => e.type),
        ['MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED'],
      );
      const [lastUpdate, deletion] = [events[2]!.object, events[3]!.object];
      assert.deepEqual(deletion.metadata.finalizers, undefined, 'DELETED carries the last state');
      assert.ok(Number(deletion.metadata.resourceVersion) > Number(lastUpdate.metadata.resourceVersion), "with the delete's own resourceVersion");
    } finally {
      w.close();
    }
  });

  it('a pod bound to a node waits its 30 s grace period; gracePeriodSeconds=0 deletes it at once', async () => {
    await ok('POST', PODS, pod('bound', { nodeName: 'some-node' }));
    const res = await req('DELETE', `${PODS}/bound`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.kind, 'Pod');
    assert.equal(res.json.metadata.deletionGracePeriodSeconds, 30);
    const deadline = Date.parse(res.json.metadata.deletionTimestamp);
    assert.ok(Math.abs(deadline - (Date.now() + 30_000)) < 5000, 'deletionTimestamp is now + 30 s');
    assert.equal((await ok('GET', `${PODS}/bound`)).metadata.deletionGracePeriodSeconds, 30);

    const now = await req('DELETE', `${PODS}/bound?gracePeriodSeconds=0`);
    assert.equal(now.status, 200, now.text);
    assertStatus(await req('GET', `${PODS}/bound`), 404, 'NotFound', 'pods "bound" not found');
  });

  it('an unbound pod is deleted at once, and the answer is the pod', async () => {
    await ok('POST', PODS, pod('unbound'));
    const res = await req('DELETE', `${PODS}/unbound`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.kind, 'Pod');
    assert.equal(res.json.metadata.name, 'unbound');
    expectCode(await req('GET', `${PODS}/unbound`), 404);
    assertStatus(await req('DELETE', `${PODS}/unbound`), 404, 'NotFound', 'pods "unbound" not found');
  });

  it('a non-pod deleted at once answers a Success Status', async () => {
    await ok('POST', DS, daemonSet('plain'));
    const res = await req('DELETE', `${DS}/plain`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.kind, 'Status');
    assert.equal(res.json.status, 'Success');
    assert.equal(res.json.details.name, 'plain');
    assert.equal(res.json.details.kind, 'daemonsets');
  });

  it('propagationPolicy=Orphan adds the orphan finalizer', async () => {
    await ok('POST', DS, daemonSet('orphaner'));
    const res = await req('DELETE', `${DS}/orphaner?propagationPolicy=Orphan`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.metadata.finalizers, ['orphan']);
    assert.ok(res.json.metadata.deletionTimestamp);
    // Nothing here plays the garbage collector: removing the finalizer finishes the delete.
    await ok('PATCH', `${DS}/orphaner`, { metadata: { finalizers: null } }, merge);
    expectCode(await req('GET', `${DS}/orphaner`), 404);
  });

  it('deletecollection deletes what the label selector matches', async () => {
    for (const [name, batch] of [
      ['dc-1', 'x'],
      ['dc-2', 'x'],
      ['dc-3', 'x'],
      ['dc-4', 'y'],
    ]) {
      await ok('POST', PODS, pod(name!, { labels: { batch: batch! } }));
    }
    const res = await req('DELETE', `${PODS}?labelSelector=batch%3Dx`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.kind, 'PodList');
    assert.deepEqual(names(res.json), ['dc-1', 'dc-2', 'dc-3']);
    assert.deepEqual(names(await ok('GET', `${PODS}?labelSelector=batch`)), ['dc-4']);
  });

  it('delete preconditions: a uid or resourceVersion mismatch is 409', async () => {
    const ds = await ok('POST', DS, daemonSet('pre'));
    const body = (preconditions: Obj): Obj => ({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions });
    assertStatus(
      await req('DELETE', `${DS}/pre`, body({ uid: 'not-the-uid' })),
      409,
      'Conflict',
      `Operation cannot be fulfilled on daemonsets.apps "pre": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${ds.metadata.uid}`,
    );
    assertStatus(await req('DELETE', `${DS}/pre`, body({ resourceVersion: '1' })), 409, 'Conflict', /Precondition failed: ResourceVersion in precondition: 1/);
    expectCode(await req('GET', `${DS}/pre`), 200);
    expectCode(await req('DELETE', `${DS}/pre`, body({ uid: ds.metadata.uid, resourceVersion: ds.metadata.resourceVersion })), 200);
    expectCode(await req('GET', `${DS}/pre`), 404);
  });
});

// ---- pods ------------------------------------------------------------------------------------

describe('pods', () => {
  before(async () => namespace('pods'));
  const PODS = '/api/v1/namespaces/pods/pods';

  it('binding sets spec.nodeName and PodScheduled=True; a second binding is 409', async () => {
    await ok('POST', PODS, pod('to-bind'));
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'to-bind' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } };
    const res = await req('POST', `${PODS}/to-bind/binding`, binding);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.kind, 'Status');
    assert.equal(res.json.status, 'Success');
    const bound = await ok('GET', `${PODS}/to-bind`);
    assert.equal(bound.spec.nodeName, 'node-a');
    const cond = bound.status.conditions.find((c: Obj) => c.type === 'PodScheduled');
    assert.equal(cond.status, 'True');
    assertStatus(await req('POST', `${PODS}/to-bind/binding`, { ...binding, target: { kind: 'Node', name: 'node-b' } }), 409, 'Conflict', /already assigned to node "node-a"/);
    assert.equal((await ok('GET', `${PODS}/to-bind`)).spec.nodeName, 'node-a');
    assertStatus(await req('POST', `${PODS}/missing/binding`, { ...binding, metadata: { name: 'missing' } }), 404, 'NotFound');
  });

  it('eviction deletes an unbound pod and starts terminating a bound one', async () => {
    const eviction = (name: string): Obj => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'pods' } });
    await ok('POST', PODS, pod('evict-unbound'));
    const a = await req('POST', `${PODS}/evict-unbound/eviction`, eviction('evict-unbound'));
    assert.equal(a.status, 201, a.text);
    expectCode(await req('GET', `${PODS}/evict-unbound`), 404);

    await ok('POST', PODS, pod('evict-bound', { nodeName: 'node-a' }));
    const b = await req('POST', `${PODS}/evict-bound/eviction`, eviction('evict-bound'));
    assert.equal(b.status, 201, b.text);
    const terminating = await ok('GET', `${PODS}/evict-bound`);
    assert.ok(terminating.metadata.deletionTimestamp);
    assert.equal(terminating.metadata.deletionGracePeriodSeconds, 30);

    // The Eviction's deleteOptions reach the delete (kubectl drain --grace-period=0).
    const now = await req('POST', `${PODS}/evict-bound/eviction`, { ...eviction('evict-bound'), deleteOptions: { gracePeriodSeconds: 0 } });
    assert.equal(now.status, 201, now.text);
    expectCode(await req('GET', `${PODS}/evict-bound`), 404);
  });

  it('priorityClassName resolves to spec.priority; an unknown class is 403', async () => {
    const critical = await ok('POST', PODS, pod('critical', { spec: { priorityClassName: 'system-node-critical' } }));
    assert.equal(critical.spec.priority, 2000001000);
    const cluster = await ok('POST', PODS, pod('cluster', { spec: { priorityClassName: 'system-cluster-critical' } }));
    assert.equal(cluster.spec.priority, 2000000000);
    const plain = await ok('POST', PODS, pod('plain-priority'));
    assert.equal(plain.spec.priority, 0);
    assertStatus(await req('POST', PODS, pod('unknown', { spec: { priorityClassName: 'no-such-class' } })), 403, 'Forbidden', /no PriorityClass with name no-such-class was found/);
    expectCode(await req('GET', `${PODS}/unknown`), 404);
  });

  const NOT_READY = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const UNREACHABLE = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const tolerationCases: [string, Obj[] | undefined, Obj[]][] = [
    ['none', undefined, [NOT_READY, UNREACHABLE]],
    ['an unrelated one', [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }], [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, NOT_READY, UNREACHABLE]],
    ['tolerate-everything', [{ operator: 'Exists' }], [{ operator: 'Exists' }]],
    [
      'its own not-ready',
      [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }],
      [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }, UNREACHABLE],
    ],
    [
      'both, forever',
      [
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      ],
      [
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      ],
    ],
  ];
  tolerationCases.forEach(([label, given, expected], i) => {
    it(`default not-ready/unreachable tolerations: ${label}`, async () => {
      const created = await ok('POST', PODS, pod(`tol-${i}`, { spec: given ? { tolerations: given } : {} }));
      assert.deepEqual(created.spec.tolerations, expected);
    });
  });

  it('PUT /status changes the status, not the spec', async () => {
    const created = await ok('POST', PODS, pod('status-put', { nodeName: 'node-a' }));
    const body = structuredClone(created);
    body.status.phase = 'Running';
    body.status.podIP = '10.0.0.7';
    body.spec.containers[0].image = 'busybox:9.9';
    const res = await req('PUT', `${PODS}/status-put/status`, body);
    assert.equal(res.status, 200, res.text);
    const got = await ok('GET', `${PODS}/status-put`);
    assert.equal(got.status.phase, 'Running');
    assert.equal(got.status.podIP, '10.0.0.7');
    assert.equal(got.spec.containers[0].image, 'busybox:1.36');
    const byIp = await ok('GET', `${PODS}?fieldSelector=status.podIP%3D10.0.0.7`);
    assert.deepEqual(names(byIp), ['status-put']);
  });
});

// ---- namespaces ------------------------------------------------------------------------------

describe('namespaces', () => {
  it('a namespaced create into a missing namespace is 404', async () => {
    assertStatus(await req('POST', '/api/v1/namespaces/nowhere/pods', pod('p')), 404, 'NotFound', 'namespaces "nowhere" not found');
    const r = await server.kubectl(KUBECTL, ['create', '-n', 'nowhere', '-f', '-'], { input: JSON.stringify(daemonSet('x')) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(NotFound\): error when creating "STDIN": namespaces "nowhere" not found/);
  });

  it('deleting a namespace makes it Terminating, refuses new content, then removes it and its content', async () => {
    await namespace('doomed');
    await ok('POST', '/api/v1/namespaces/doomed/pods', pod('resident'));
    await ok('POST', '/apis/coordination.k8s.io/v1/namespaces/doomed/leases', lease('resident'));
    // A finalizer holds the namespace in Terminating until the test lets go.
    await ok('POST', '/apis/apps/v1/namespaces/doomed/daemonsets', daemonSet('held', { finalizers: ['example.com/hold'] }));

    const res = await req('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.kind, 'Namespace');
    assert.equal(res.json.status.phase, 'Terminating');
    assert.ok(res.json.metadata.deletionTimestamp);

    const get = await server.kubectl(KUBECTL, ['get', 'ns', 'doomed']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^doomed\s+Terminating\s+\S+$/m);

    assertStatus(
      await req('POST', '/api/v1/namespaces/doomed/pods', pod('latecomer')),
      403,
      'Forbidden',
      'pods "latecomer" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    );
    await pollUntil('the pod and lease to go', async () => {
      const pods = await ok('GET', '/api/v1/namespaces/doomed/pods');
      const leases = await ok('GET', '/apis/coordination.k8s.io/v1/namespaces/doomed/leases');
      return pods.items.length === 0 && leases.items.length === 0;
    });
    assert.equal((await ok('GET', '/api/v1/namespaces/doomed')).status.phase, 'Terminating');

    await ok('PATCH', '/apis/apps/v1/namespaces/doomed/daemonsets/held', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    await pollUntil('the namespace to go', async () => (await req('GET', '/api/v1/namespaces/doomed')).status === 404);
    assert.equal((await ok('GET', '/apis/apps/v1/namespaces/doomed/daemonsets')).items.length, 0);
  });
});

// ---- protobuf --------------------------------------------------------------------------------

describe('protobuf request bodies', () => {
  const PROTOBUF = { 'Content-Type': 'application/vnd.kubernetes.protobuf', Accept: 'application/vnd.kubernetes.protobuf,application/json' };

  it('creates a Namespace from the exact body kubectl 1.33 sends (kubectl-wire.md §4.1)', async () => {
    const hex =
      '6b387300' + // magic
      '0a0f' + '0a02' + Buffer.from('v1').toString('hex') + '1209' + Buffer.from('Namespace').toString('hex') +
      '121f' + '0a17' + '0a07' + Buffer.from('logging').toString('hex') + '12001a0022002a00320038004200' + '1200' + '1a020a00' +
      '1a00' + '2200';
    const body = Buffer.from(hex, 'hex');
    const res = await req('POST', '/api/v1/namespaces', body, PROTOBUF);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.kind, 'Namespace');
    assert.equal(res.json.metadata.name, 'logging');
    assert.equal(res.json.status.phase, 'Active');
    assertStatus(await req('POST', '/api/v1/namespaces', body, PROTOBUF), 409, 'AlreadyExists', 'namespaces "logging" already exists');
  });

  it('creates a PriorityClass from a protobuf body', async () => {
    const varint = (n: number): Buffer => {
      const out: number[] = [];
      for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n & 0x7f) | 0x80);
      out.push(n);
      return Buffer.from(out);
    };
    const bytes = (num: number, value: Buffer | string): Buffer => {
      const v = Buffer.from(value);
      return Buffer.concat([varint((num << 3) | 2), varint(v.length), v]);
    };
    const int = (num: number, value: number): Buffer => Buffer.concat([varint(num << 3), varint(value)]);
    const typeMeta = Buffer.concat([bytes(1, 'scheduling.k8s.io/v1'), bytes(2, 'PriorityClass')]);
    const raw = Buffer.concat([bytes(1, bytes(1, 'raw-proto')), int(2, 123456), int(3, 0), bytes(4, 'hand made'), bytes(5, 'PreemptLowerPriority')]);
    const body = Buffer.concat([Buffer.from('6b387300', 'hex'), bytes(1, typeMeta), bytes(2, raw), bytes(3, ''), bytes(4, '')]);
    const res = await req('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', body, PROTOBUF);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.metadata.name, 'raw-proto');
    assert.equal(res.json.value, 123456);
    assert.equal(res.json.description, 'hand made');
    assert.equal(res.json.preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(res.json.globalDefault ?? false, false);
  });

  it('kubectl create ns and create priorityclass (protobuf on 1.33) work', async () => {
    const ns = await server.kubectl(KUBECTL, ['create', 'ns', 'proto-ns']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal(ns.stdout, 'namespace/proto-ns created\n');
    const pc = await server.kubectl(KUBECTL, ['create', 'priorityclass', 'proto-high', '--value=1000', '--description=from protobuf', '--preemption-policy=Never']);
    assert.equal(pc.code, 0, pc.stderr);
    assert.equal(pc.stdout, 'priorityclass.scheduling.k8s.io/proto-high created\n');
    const got = await ok('GET', '/apis/scheduling.k8s.io/v1/priorityclasses/proto-high');
    assert.equal(got.value, 1000);
    assert.equal(got.description, 'from protobuf');
    assert.equal(got.preemptionPolicy, 'Never');
    assert.equal(got.globalDefault ?? false, false);
  });

  it('a kind it cannot decode from protobuf is 415', async () => {
    const typeMeta = Buffer.concat([Buffer.from([0x0a, 2]), Buffer.from('v1'), Buffer.from([0x12, 3]), Buffer.from('Pod')]);
    const body = Buffer.concat([Buffer.from('6b387300', 'hex'), Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, 0])]);
    const res = await req('POST', '/api/v1/namespaces/default/pods', body, PROTOBUF);
    assertStatus(res, 415, 'UnsupportedMediaType');
  });
});
