// Durability of a real `everynode server`: writes are acknowledged only once they are on disk.
// Many creates are in flight when the process is killed with SIGKILL; after a restart on the
// same data dir every acknowledged object is there with its acknowledged resourceVersion,
// revisions keep increasing, the bootstrap objects are the same ones (not recreated), and a
// watch from a resourceVersion taken before the kill replays exactly what happened since and
// then streams live changes. SIGTERM then stops the server with exit code 0.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import type { ClientRequest } from 'node:http';
import { API_ONLY, TestServer, type RawResponse } from '../helpers/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const BEFORE_MARK = 20; // nodes created one by one before the resourceVersion we resume from
const PLANNED = 300; // creates attempted concurrently around the kill
const IN_FLIGHT = 32; // concurrent writers
const KILL_AFTER = 150; // acknowledgements seen before SIGKILL

interface Ack {
  path: string; // the object's URL
  name: string;
  uid: string;
  rv: number;
}

let server: TestServer;

function node(name: string): Obj {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'durability/test': 'true' } } };
}

function namespace(name: string): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function daemonSet(name: string): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } },
    },
  };
}

/** The i-th planned write: mostly Nodes, every 10th a Namespace, every 10th (offset 5) a DaemonSet. */
function plannedWrite(i: number): { collection: string; body: Obj } {
  const n = String(i).padStart(3, '0');
  if (i % 10 === 0) return { collection: '/api/v1/namespaces', body: namespace(`dur-ns-${n}`) };
  if (i % 10 === 5) return { collection: '/apis/apps/v1/namespaces/default/daemonsets', body: daemonSet(`dur-ds-${n}`) };
  return { collection: '/api/v1/nodes', body: node(`dur-node-${n}`) };
}

async function ok(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Obj> {
  const res: RawResponse = await server.request(method, path, body, headers);
  assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} → ${res.status}: ${res.text}`);
  return res.json;
}

function rvOf(obj: Obj): number {
  return Number(obj.metadata.resourceVersion);
}

async function createAck(collection: string, body: Obj): Promise<Ack> {
  const created = await ok('POST', collection, body);
  return { path: `${collection}/${created.metadata.name}`, name: created.metadata.name, uid: created.metadata.uid, rv: rvOf(created) };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface WatchEvent {
  type: string;
  object: Obj;
}

/** A raw watch stream: events are collected as they arrive, one JSON object per line. */
function openWatch(path: string): Promise<{ status: number; events: WatchEvent[]; ended: () => boolean; close: () => void }> {
  return new Promise((resolve, reject) => {
    const events: WatchEvent[] = [];
    let done = false;
    const req: ClientRequest = request(new URL(path, server.url), { agent: new Agent({ ca: server.ca }), headers: { Authorization: `Bearer ${server.token}` } }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) events.push(JSON.parse(line) as WatchEvent);
        }
      });
      res.on('end', () => (done = true));
      res.on('error', () => (done = true));
      resolve({ status: res.statusCode ?? 0, events, ended: () => done, close: () => req.destroy() });
    });
    req.on('error', (err) => (done ? undefined : reject(err)));
    req.end();
  });
}

/** Concurrent creates until `stopAfter` have been acknowledged, then SIGKILL while others are in flight. */
async function writeAndKill(): Promise<{ acks: Ack[]; attempted: Set<string>; inFlightAtKill: number }> {
  const acks: Ack[] = [];
  const attempted = new Set<string>();
  let next = 0;
  let inFlight = 0;
  let inFlightAtKill = -1;
  let killing: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (!killing && next < PLANNED) {
      const { collection, body } = plannedWrite(next++);
      attempted.add(body.metadata.name);
      inFlight++;
      try {
        const res = await server.request('POST', collection, body);
        // Only a complete 201 counts as acknowledged.
        if (res.status === 201) acks.push({ path: `${collection}/${res.json.metadata.name}`, name: res.json.metadata.name, uid: res.json.metadata.uid, rv: rvOf(res.json) });
        else if (!killing) assert.fail(`POST ${collection} → ${res.status}: ${res.text}`);
      } catch (err) {
        if (!killing) throw err; // connection errors are expected only once the server is being killed
      } finally {
        inFlight--;
      }
      if (acks.length >= KILL_AFTER && !killing) {
        inFlightAtKill = inFlight;
        killing = server.kill9();
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  assert.ok(killing, `the server was never killed: only ${acks.length} acknowledgements`);
  await killing;
  return { acks, attempted, inFlightAtKill };
}

describe('durability across kill -9', () => {
  let bootstrapBefore: Map<string, Obj>;
  let beforeMark: Ack[]; // nodes created before the mark
  let mark: number; // a resourceVersion taken before the kill
  let acks: Ack[];
  let attempted: Set<string>;
  let inFlightAtKill: number;
  let maxRvBeforeRestart: number;
  let nodesAfterRestart: Obj[];

  before(async () => {
    server = await TestServer.start({ args: API_ONLY });
    bootstrapBefore = await bootstrapObjects();
    beforeMark = [];
    for (let i = 0; i < BEFORE_MARK; i++) beforeMark.push(await createAck('/api/v1/nodes', node(`early-node-${String(i).padStart(2, '0')}`)));
    mark = rvOf(await ok('GET', '/api/v1/nodes'));
    ({ acks, attempted, inFlightAtKill } = await writeAndKill());
    await server.launch();
  });

  after(async () => {
    await server?.destroy();
  });

  async function bootstrapObjects(): Promise<Map<string, Obj>> {
    const out = new Map<string, Obj>();
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) out.set(`ns/${ns}`, await ok('GET', `/api/v1/namespaces/${ns}`));
    for (const pc of ['system-node-critical', 'system-cluster-critical']) out.set(`pc/${pc}`, await ok('GET', `/apis/scheduling.k8s.io/v1/priorityclasses/${pc}`));
    return out;
  }

  it('the kill really happened with writes in flight', (t) => {
    t.diagnostic(`${acks.length} of ${attempted.size} attempted creates acknowledged; ${inFlightAtKill} in flight at the kill`);
    assert.ok(acks.length >= KILL_AFTER, `${acks.length} acknowledged`);
    assert.ok(acks.length < PLANNED, 'every planned write finished before the kill; nothing was in flight');
    assert.ok(inFlightAtKill > 0, `in flight at the kill: ${inFlightAtKill}`);
  });

  it('every acknowledged object is there, same uid, with the acknowledged resourceVersion', async () => {
    for (const ack of [...beforeMark, ...acks]) {
      const res = await server.request('GET', ack.path);
      assert.equal(res.status, 200, `${ack.path} was acknowledged at ${ack.rv} but is gone: ${res.text}`);
      assert.equal(res.json.metadata.uid, ack.uid, ack.path);
      assert.ok(rvOf(res.json) >= ack.rv, `${ack.path}: resourceVersion ${res.json.metadata.resourceVersion} < acknowledged ${ack.rv}`);
    }
    // Nothing here changes Nodes or DaemonSets, so theirs are exactly as acknowledged.
    for (const ack of acks.filter((a) => !a.path.startsWith('/api/v1/namespaces/'))) assert.equal(rvOf(await ok('GET', ack.path)), ack.rv, ack.path);
  });

  it('no object appears that nobody tried to create; the rest of the in-flight ones may or may not exist', async () => {
    const nodes = await ok('GET', '/api/v1/nodes');
    nodesAfterRestart = nodes.items;
    const early = new Set(beforeMark.map((a) => a.name));
    for (const n of nodesAfterRestart) assert.ok(early.has(n.metadata.name) || attempted.has(n.metadata.name), `unexpected node ${n.metadata.name}`);
    const dss = await ok('GET', '/apis/apps/v1/namespaces/default/daemonsets');
    for (const d of dss.items) assert.ok(attempted.has(d.metadata.name), `unexpected DaemonSet ${d.metadata.name}`);
    const nss = await ok('GET', '/api/v1/namespaces');
    for (const ns of nss.items) assert.ok(bootstrapBefore.has(`ns/${ns.metadata.name}`) || attempted.has(ns.metadata.name), `unexpected namespace ${ns.metadata.name}`);
    maxRvBeforeRestart = Math.max(...[...nodes.items, ...dss.items, ...nss.items].map(rvOf), ...acks.map((a) => a.rv));
    assert.ok(Number(nodes.metadata.resourceVersion) >= maxRvBeforeRestart, 'the list revision is behind its items');
  });

  it('the bootstrap namespaces and PriorityClasses were not recreated (same uid, same resourceVersion)', async () => {
    const now = await bootstrapObjects();
    for (const [key, was] of bootstrapBefore) {
      const is = now.get(key)!;
      assert.equal(is.metadata.uid, was.metadata.uid, `${key} was recreated`);
      assert.equal(is.metadata.creationTimestamp, was.metadata.creationTimestamp, key);
      assert.equal(is.metadata.resourceVersion, was.metadata.resourceVersion, `${key} was written again`);
    }
    const ns = await server.kubectl('1.33', ['get', 'namespaces', '-o', 'name']);
    assert.equal(ns.code, 0, ns.stderr);
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.equal(ns.stdout.split('\n').filter((l) => l === `namespace/${name}`).length, 1, ns.stdout);
    }
    const pcs = await ok('GET', '/apis/scheduling.k8s.io/v1/priorityclasses');
    assert.deepEqual(pcs.items.map((p: Obj) => p.metadata.name).sort(), ['system-cluster-critical', 'system-node-critical']);
  });

  it('resourceVersions keep increasing; a watch from before the kill replays exactly what happened since, then streams', async () => {
    assert.ok(nodesAfterRestart, 'runs after the listing test');
    // Changes after the restart: they belong in the replay too.
    const [modifiedName, deletedName] = [beforeMark[0]!.name, beforeMark[1]!.name];
    const labelled = await ok('PATCH', `/api/v1/nodes/${modifiedName}`, { metadata: { labels: { restarted: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' });
    assert.ok(rvOf(labelled) > maxRvBeforeRestart, `first write after the restart got ${rvOf(labelled)}, not above ${maxRvBeforeRestart}`);
    const deleted = await ok('DELETE', `/api/v1/nodes/${deletedName}`);
    assert.equal(deleted.status, 'Success');
    const added = await ok('POST', '/api/v1/nodes', node('after-restart-1'));
    assert.ok(rvOf(added) > rvOf(labelled));

    const expected = [
      // Every node created after the mark, acknowledged or not, in revision order.
      ...nodesAfterRestart
        .filter((n) => rvOf(n) > mark)
        .sort((a, b) => rvOf(a) - rvOf(b))
        .map((n) => ({ type: 'ADDED', name: n.metadata.name, rv: rvOf(n) })),
      { type: 'MODIFIED', name: modifiedName, rv: rvOf(labelled) },
      { type: 'DELETED', name: deletedName, rv: -1 }, // the deletion's own revision, checked below
      { type: 'ADDED', name: 'after-restart-1', rv: rvOf(added) },
    ];
    assert.ok(expected.length > 50, `only ${expected.length} changes to replay`);
    for (const ack of acks.filter((a) => a.path.startsWith('/api/v1/nodes/'))) {
      assert.ok(expected.some((e) => e.type === 'ADDED' && e.name === ack.name && e.rv === ack.rv), `${ack.name} missing from the expected replay`);
    }

    const watch = await openWatch(`/api/v1/nodes?watch=true&resourceVersion=${mark}`);
    try {
      assert.equal(watch.status, 200);
      await until(`${expected.length} replayed events`, () => (watch.events.length >= expected.length ? true : undefined));
      const live = await ok('POST', '/api/v1/nodes', node('after-restart-2'));
      await until('the live event', () => (watch.events.length >= expected.length + 1 ? true : undefined));
      expected.push({ type: 'ADDED', name: 'after-restart-2', rv: rvOf(live) });

      const got = watch.events.map((e) => ({ type: e.type, name: e.object.metadata.name as string, rv: rvOf(e.object) }));
      const deletion = got.find((e) => e.type === 'DELETED');
      assert.ok(deletion && deletion.rv > rvOf(labelled) && deletion.rv < rvOf(added), `deletion revision ${deletion?.rv}`);
      expected.find((e) => e.type === 'DELETED')!.rv = deletion.rv;
      assert.deepEqual(got, expected);
      for (let i = 1; i < got.length; i++) assert.ok(got[i]!.rv > got[i - 1]!.rv, 'events out of revision order');
      assert.equal(watch.events.find((e) => e.type === 'MODIFIED')!.object.metadata.labels.restarted, 'yes');
      assert.ok(!watch.ended(), 'the watch stream closed early');
    } finally {
      watch.close();
    }
  });

  it('SIGTERM stops the server with exit code 0, and a clean restart keeps everything', async () => {
    assert.equal(await server.stop(), 0);
    await server.launch();
    const nodes = await ok('GET', '/api/v1/nodes');
    const names = new Set(nodes.items.map((n: Obj) => n.metadata.name));
    for (const ack of acks.filter((a) => a.path.startsWith('/api/v1/nodes/'))) assert.ok(names.has(ack.name), ack.name);
    assert.ok(names.has('after-restart-2'));
    assert.ok(!names.has(beforeMark[1]!.name), 'the deleted node came back');
    const next = await ok('POST', '/api/v1/nodes', node('after-clean-restart'));
    assert.ok(rvOf(next) > Number(nodes.metadata.resourceVersion), `a new write got ${rvOf(next)}, not above the list revision ${nodes.metadata.resourceVersion}`);
    assert.equal(await server.stop(), 0);
  });
});
