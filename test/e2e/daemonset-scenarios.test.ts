// The DaemonSet e2e scenarios of upstream's test/e2e/apps/daemon_set.go (daemonset-semantics.md
// §8), reproduced against `everynode server` and `everynode agent --simulate 5` with the real
// kubectl 1.33. Assertions are what a user sees (kubectl get/describe/rollout output); the raw
// API is used where kubectl cannot express a step (a pod's phase through /status, DaemonSet
// status conditions) and for watches that check the rollout invariants at every change.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent as HttpsAgent, request } from 'node:https';
import type { DaemonSet, ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { TestServer, type KubectlResult } from '../helpers/server.js';
import { eventually, tableRows } from '../helpers/wait.js';
import { TestAgent } from '../helpers/agent.js';

const KUBECTL = '1.33';
const NODES = ['sim-0', 'sim-1', 'sim-2', 'sim-3', 'sim-4'];
const DS = 'daemon-set';
const IMAGE = 'registry.k8s.io/e2e-test-images/httpd:2.4.38-4';
const NEW_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const HASH = 'controller-revision-hash';

let server: TestServer;
let agent: TestAgent;

before(async () => {
  server = await TestServer.start();
  agent = await TestAgent.start(server, ['--simulate', String(NODES.length), '--ready-delay-ms', '100']);
});

after(async () => {
  await agent?.kill();
  await server?.destroy();
});

// ---------------------------------------------------------------------------------------------
// kubectl and the raw API

function run(args: string[], input?: string): Promise<KubectlResult> {
  return server.kubectl(KUBECTL, args, { input, timeoutMs: 120_000 });
}

/** Runs kubectl, expects success, returns stdout. */
async function kubectl(...args: string[]): Promise<string> {
  const r = await run(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}


async function api<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await server.request(method, path, body, headers);
  if (res.status >= 300) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${res.text}`), { status: res.status });
  return res.json as T;
}


interface WatchEvent {
  type: string;
  object: any;
}

interface Watch {
  close(): void;
  /** True once the server ended the stream (a watch that ends early would miss observations). */
  readonly ended: boolean;
}

/** Opens a raw watch stream; `onEvent` gets every event in order. Resolves once the headers arrive. */
function openWatch(path: string, onEvent: (e: WatchEvent) => void): Promise<Watch> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const req = request(new URL(path, server.url), { agent: new HttpsAgent({ ca: server.ca }), headers: { Authorization: `Bearer ${server.token}` } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
        }
      });
      res.on('end', () => (ended = true));
      res.on('error', () => (ended = true));
      resolve({
        close: () => req.destroy(),
        get ended() {
          return ended;
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Objects

interface DsOptions {
  name?: string;
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: object;
  updateStrategy?: object;
  minReadySeconds?: number;
  env?: { name: string; value: string }[];
}

/** Upstream's fixture: a webserver on port 9376, pods labelled daemonset-name=<name>. */
function daemonSet(ns: string, o: DsOptions = {}): DaemonSet {
  const name = o.name ?? DS;
  const podLabels = { 'daemonset-name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns, ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      selector: { matchLabels: podLabels },
      ...(o.updateStrategy ? { updateStrategy: o.updateStrategy } : {}),
      ...(o.minReadySeconds ? { minReadySeconds: o.minReadySeconds } : {}),
      template: {
        metadata: { labels: podLabels },
        spec: {
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          ...(o.affinity ? { affinity: o.affinity } : {}),
          containers: [{ name: 'app', image: IMAGE, ports: [{ containerPort: 9376 }], ...(o.env ? { env: o.env } : {}) }],
        },
      },
    },
  } as DaemonSet;
}

let nsCounter = 0;
async function namespace(prefix: string): Promise<string> {
  const ns = `${prefix}-${++nsCounter}`;
  assert.equal(await kubectl('create', 'namespace', ns), `namespace/${ns} created\n`);
  return ns;
}

async function create(ds: DaemonSet): Promise<void> {
  const r = await run(['create', '-f', '-'], JSON.stringify(ds));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `daemonset.apps/${ds.metadata!.name} created\n`);
}

/** Upstream's AfterEach: delete the DaemonSet (the garbage collector removes its pods) and wait for no pods. */
async function tearDown(ns: string, name = DS): Promise<void> {
  assert.equal(await kubectl('delete', 'ds', name, '-n', ns), `daemonset.apps "${name}" deleted\n`);
  await eventually(`the pods of ${ns}/${name} to be garbage-collected`, async () => (await pods(ns, name)).length === 0);
}

async function getDs(ns: string, name = DS): Promise<DaemonSet> {
  return api<DaemonSet>('GET', `/apis/apps/v1/namespaces/${ns}/daemonsets/${name}`);
}

/** Every pod of the namespace with the DaemonSet's label, including terminating ones. */
async function pods(ns: string, name = DS): Promise<Pod[]> {
  const list = await api<{ items: Pod[] }>('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=daemonset-name%3D${name}`);
  return list.items;
}

async function revisions(ns: string): Promise<ControllerRevision[]> {
  const list = await api<{ items: ControllerRevision[] }>('GET', `/apis/apps/v1/namespaces/${ns}/controllerrevisions`);
  return list.items.sort((a, b) => Number(a.revision) - Number(b.revision));
}

// ---------------------------------------------------------------------------------------------
// Pod predicates (upstream's podutil)

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function isAvailable(pod: Pod, minReadySeconds: number, now = Date.now()): boolean {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready) return false;
  if (minReadySeconds === 0) return true;
  return !!ready.lastTransitionTime && Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 < now;
}

const deleting = (pod: Pod): boolean => !!pod.metadata?.deletionTimestamp;
const imageOf = (pod: Pod): string => pod.spec!.containers[0]!.image!;
const hashOf = (pod: Pod): string => pod.metadata?.labels?.[HASH] ?? '';

/** The node a daemon pod is for: its nodeName once bound, else the matchFields node affinity the controller set. */
function nodeOf(pod: Pod): string {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name') return f.values![0]!;
  }
  return '';
}

function controlledBy(pod: Pod, ds: DaemonSet): boolean {
  return pod.metadata?.ownerReferences?.some((r) => r.controller && r.uid === ds.metadata!.uid) ?? false;
}

/**
 * Upstream's checkDaemonPodOnNodes: each of `nodes` has exactly one non-terminating, available pod
 * controlled by the DaemonSet, and no other node has one.
 */
async function runsOnExactly(ns: string, nodes: string[], name = DS): Promise<void> {
  await eventually(`${ns}/${name} to run on exactly [${nodes.join(', ')}]`, async () => {
    const ds = await getDs(ns, name);
    const count: Record<string, number> = {};
    for (const p of await pods(ns, name)) {
      if (!controlledBy(p, ds) || deleting(p) || !isAvailable(p, ds.spec!.minReadySeconds ?? 0)) continue;
      count[nodeOf(p)] = (count[nodeOf(p)] ?? 0) + 1;
    }
    assert.deepEqual(count, Object.fromEntries(nodes.map((n) => [n, 1])));
    return true;
  });
}

interface DsRow {
  desired: number;
  current: number;
  ready: number;
  upToDate: number;
  available: number;
  nodeSelector: string;
}

async function dsRow(ns: string, name = DS): Promise<DsRow> {
  const out = await kubectl('get', 'ds', name, '-n', ns);
  assert.match(out, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\n/);
  const [r] = tableRows(out);
  assert.equal(r![0], name);
  return { desired: +r![1]!, current: +r![2]!, ready: +r![3]!, upToDate: +r![4]!, available: +r![5]!, nodeSelector: r![6]! };
}

/** Upstream's CheckDaemonStatus (desired == current == ready), as `kubectl get ds` shows it, once the controller has seen the latest spec. */
async function statusShows(ns: string, expected: Partial<DsRow>, name = DS): Promise<DsRow> {
  return eventually(`kubectl get ds ${name} to show ${JSON.stringify(expected)}`, async () => {
    const ds = await getDs(ns, name);
    if ((ds.status?.observedGeneration ?? 0) < ds.metadata!.generation!) return undefined;
    const row = await dsRow(ns, name);
    assert.deepEqual({ ...row, ...expected }, row);
    return row;
  });
}

/** `kubectl get pods -o wide`: name, ready, status, node. */
async function podsWide(ns: string): Promise<{ name: string; ready: string; status: string; node: string }[]> {
  const out = await kubectl('get', 'pods', '-n', ns, '-o', 'wide');
  assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
  return tableRows(out).map((r) => ({ name: r[0]!, ready: r[1]!, status: r[2]!, node: r[6]! }));
}

async function noPodsShown(ns: string): Promise<void> {
  await eventually(`kubectl get pods -n ${ns} to show none`, async () => {
    const r = await run(['get', 'pods', '-n', ns]);
    return r.code === 0 && r.stdout === '' && r.stderr === `No resources found in ${ns} namespace.\n`;
  });
}

/** `kubectl get controllerrevisions`: [name, controller, revision]. */
async function revisionRows(ns: string): Promise<string[][]> {
  const out = await kubectl('get', 'controllerrevisions', '-n', ns);
  assert.match(out, /^NAME\s+CONTROLLER\s+REVISION\s+AGE\n/);
  return tableRows(out).map((r) => r.slice(0, 3));
}

/** `kubectl rollout history`: [revision, change-cause] rows. */
async function history(ns: string, name = DS): Promise<string[][]> {
  const out = await kubectl('rollout', 'history', `ds/${name}`, '-n', ns);
  const [first, header, ...rest] = out.split('\n');
  assert.equal(first, `daemonset.apps/${name} `);
  assert.match(header!, /^REVISION\s+CHANGE-CAUSE$/);
  return rest.filter((l) => l.trim()).map((l) => l.trim().split(/\s{2,}/));
}

/** `kubectl rollout status` until done: progress lines as upstream prints them, then success. */
async function rolledOut(ns: string, name = DS): Promise<void> {
  const r = await run(['rollout', 'status', `ds/${name}`, '-n', ns, '--timeout=90s']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.pop(), `daemon set "${name}" successfully rolled out`);
  for (const line of lines) {
    assert.match(
      line,
      new RegExp(`^Waiting for daemon set (spec update to be observed|"${name}" rollout to finish: (\\d out of 5 new pods have been updated|\\d of 5 updated pods are available))\\.\\.\\.$`),
    );
  }
}

/**
 * Watches the namespace's pods from a list onwards and calls `check` with the full pod set after
 * every change, so an invariant is verified in every state the API server went through.
 */
class PodObserver {
  readonly pods = new Map<string, Pod>();
  readonly violations: string[] = [];
  changes = 0;
  private watch: Watch | undefined;

  constructor(private readonly check: (pods: Pod[]) => string | undefined) {}

  static async start(ns: string, check: (pods: Pod[]) => string | undefined): Promise<PodObserver> {
    const o = new PodObserver(check);
    const list = await api<{ metadata: { resourceVersion: string }; items: Pod[] }>('GET', `/api/v1/namespaces/${ns}/pods`);
    for (const p of list.items) o.pods.set(p.metadata!.uid!, p);
    o.verify();
    o.watch = await openWatch(`/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`, (e) => {
      const pod = e.object as Pod;
      if (e.type === 'DELETED') o.pods.delete(pod.metadata!.uid!);
      else if (e.type === 'ADDED' || e.type === 'MODIFIED') o.pods.set(pod.metadata!.uid!, pod);
      else return;
      o.changes++;
      o.verify();
    });
    return o;
  }

  private verify(): void {
    const problem = this.check([...this.pods.values()]);
    if (problem && this.violations.length < 20) this.violations.push(problem);
  }

  /** Stops watching; fails if an invariant was broken or the stream ended early. */
  stop(): void {
    this.watch?.close();
    assert.equal(this.watch?.ended, false, 'the pod watch ended before the rollout did');
    assert.deepEqual(this.violations, []);
  }
}

function describePods(ps: Pod[]): string {
  return ps.map((p) => `${p.metadata!.name}@${nodeOf(p)}[${imageOf(p)}${deleting(p) ? ',deleting' : ''}${isReady(p) ? ',ready' : ''}]`).join(' ');
}

/**
 * Upstream's rolling-update invariant: at most `max` non-terminating pods are unavailable
 * (minReadySeconds 0 here), and without surge one live pod per node. `peak` records the most
 * unavailable pods seen at once, to show the rollout was observed in flight.
 */
function atMostUnavailable(max: number, peak: { unavailable: number }): (ps: Pod[]) => string | undefined {
  return (ps) => {
    const live = ps.filter((p) => !deleting(p));
    const unavailable = live.filter((p) => !isReady(p));
    peak.unavailable = Math.max(peak.unavailable, unavailable.length);
    if (unavailable.length > max) return `${unavailable.length} unavailable pods: ${describePods(live)}`;
    const perNode = new Map<string, number>();
    for (const p of live) perNode.set(nodeOf(p), (perNode.get(nodeOf(p)) ?? 0) + 1);
    for (const [node, n] of perNode) if (n > 1) return `${n} live pods on ${node} without surge: ${describePods(live)}`;
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------

describe('DaemonSet e2e scenarios (upstream test/e2e/apps/daemon_set.go)', { concurrency: 1 }, () => {
  it('1. should run and stop simple daemon: a pod on every node; a deleted pod is recreated', async () => {
    const ns = await namespace('simple');
    await create(daemonSet(ns));
    await runsOnExactly(ns, NODES);
    await statusShows(ns, { desired: 5, current: 5, ready: 5, upToDate: 5, available: 5, nodeSelector: '<none>' });

    const before = await podsWide(ns);
    assert.deepEqual(before.map((p) => p.node).sort(), NODES);
    for (const p of before) {
      assert.match(p.name, /^daemon-set-[a-z0-9]{5}$/);
      assert.deepEqual([p.ready, p.status], ['1/1', 'Running']);
    }

    const victim = before.find((p) => p.node === 'sim-3')!;
    assert.equal(await kubectl('delete', 'pod', victim.name, '-n', ns), `pod "${victim.name}" deleted\n`);
    await runsOnExactly(ns, NODES);
    await statusShows(ns, { desired: 5, current: 5, ready: 5 });
    const now = await podsWide(ns);
    assert.deepEqual(now.map((p) => p.node).sort(), NODES);
    const replacement = now.find((p) => p.node === 'sim-3')!;
    assert.notEqual(replacement.name, victim.name);
    assert.deepEqual([replacement.ready, replacement.status], ['1/1', 'Running']);
    assert.deepEqual(
      now.filter((p) => p.node !== 'sim-3').map((p) => p.name).sort(),
      before.filter((p) => p.node !== 'sim-3').map((p) => p.name).sort(),
      'the other pods are untouched',
    );

    await tearDown(ns);
  });

  it('2. should run and stop complex daemon: nodeSelector follows node labels and a patched selector', async () => {
    const ns = await namespace('complex');
    try {
      await create(daemonSet(ns, { nodeSelector: { 'daemonset-color': 'blue' } }));
      await statusShows(ns, { desired: 0, current: 0, ready: 0, upToDate: 0, available: 0, nodeSelector: 'daemonset-color=blue' });
      await noPodsShown(ns);

      assert.equal(await kubectl('label', 'node', 'sim-1', 'daemonset-color=blue'), 'node/sim-1 labeled\n');
      await runsOnExactly(ns, ['sim-1']);
      await statusShows(ns, { desired: 1, current: 1, ready: 1, upToDate: 1, available: 1 });
      assert.deepEqual((await podsWide(ns)).map((p) => [p.status, p.node]), [['Running', 'sim-1']]);

      assert.equal(await kubectl('label', 'node', 'sim-1', 'daemonset-color=green', '--overwrite'), 'node/sim-1 labeled\n');
      await runsOnExactly(ns, []);
      await noPodsShown(ns);
      await statusShows(ns, { desired: 0, current: 0, ready: 0 });

      const patch = JSON.stringify({ spec: { template: { spec: { nodeSelector: { 'daemonset-color': 'green' } } }, updateStrategy: { type: 'RollingUpdate' } } });
      assert.equal(await kubectl('patch', 'ds', DS, '-n', ns, '--type=strategic', '-p', patch), `daemonset.apps/${DS} patched\n`);
      await runsOnExactly(ns, ['sim-1']);
      await statusShows(ns, { desired: 1, current: 1, ready: 1, upToDate: 1, available: 1, nodeSelector: 'daemonset-color=green' });
      assert.deepEqual((await podsWide(ns)).map((p) => [p.status, p.node]), [['Running', 'sim-1']]);
      await tearDown(ns);
    } finally {
      await run(['label', 'node', 'sim-1', 'daemonset-color-']);
    }
  });

  it('3. should run and stop complex daemon with node affinity', async () => {
    const ns = await namespace('affinity');
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'daemonset-color', operator: 'In', values: ['blue'] }] }],
        },
      },
    };
    try {
      await create(daemonSet(ns, { affinity }));
      // Node affinity is not shown in the NODE SELECTOR column.
      await statusShows(ns, { desired: 0, current: 0, ready: 0, nodeSelector: '<none>' });
      await noPodsShown(ns);

      assert.equal(await kubectl('label', 'node', 'sim-2', 'daemonset-color=blue'), 'node/sim-2 labeled\n');
      await runsOnExactly(ns, ['sim-2']);
      await statusShows(ns, { desired: 1, current: 1, ready: 1, upToDate: 1, available: 1, nodeSelector: '<none>' });
      assert.deepEqual((await podsWide(ns)).map((p) => [p.status, p.node]), [['Running', 'sim-2']]);

      assert.equal(await kubectl('label', 'node', 'sim-2', 'daemonset-color-'), 'node/sim-2 unlabeled\n');
      await runsOnExactly(ns, []);
      await noPodsShown(ns);
      await statusShows(ns, { desired: 0, current: 0, ready: 0 });
      await tearDown(ns);
    } finally {
      await run(['label', 'node', 'sim-2', 'daemonset-color-']);
    }
  });

  it('4. should retry creating failed daemon pods', async () => {
    const ns = await namespace('failed');
    await create(daemonSet(ns));
    await runsOnExactly(ns, NODES);
    await statusShows(ns, { desired: 5, current: 5, ready: 5 });

    const [victim] = (await pods(ns)).filter((p) => nodeOf(p) === 'sim-0');
    const name = victim!.metadata!.name!;
    victim!.status!.phase = 'Failed';
    await api('PUT', `/api/v1/namespaces/${ns}/pods/${name}/status`, victim);

    await runsOnExactly(ns, NODES);
    await eventually(`the failed pod ${name} to be deleted`, async () => {
      const res = await server.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
      return res.status === 404;
    });
    await statusShows(ns, { desired: 5, current: 5, ready: 5, available: 5 });
    const wide = await podsWide(ns);
    assert.deepEqual(wide.map((p) => p.node).sort(), NODES);
    assert.ok(!wide.some((p) => p.name === name));

    const described = await kubectl('describe', 'ds', DS, '-n', ns);
    assert.match(described, new RegExp(`Warning\\s+FailedDaemonPod\\s+\\S+\\s+daemonset-controller\\s+Found failed daemon pod ${ns}/${name} on node sim-0, will try to kill it`));
    assert.match(described, /Normal\s+SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: daemon-set-/);
    assert.match(described, /Pods Status:\s+5 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);

    await tearDown(ns);
  });

  it('5. should not update pod when spec was updated and update strategy is OnDelete', async () => {
    const ns = await namespace('ondelete');
    await create(daemonSet(ns, { updateStrategy: { type: 'OnDelete' } }));
    await runsOnExactly(ns, NODES);

    const [first] = await revisions(ns);
    assert.equal((await revisions(ns)).length, 1);
    assert.deepEqual(await revisionRows(ns), [[first!.metadata!.name!, `daemonset.apps/${DS}`, '1']]);
    const firstHash = first!.metadata!.labels![HASH]!;
    assert.equal(first!.metadata!.name, `${DS}-${firstHash}`);
    const original = await pods(ns);
    assert.deepEqual(original.map(hashOf), NODES.map(() => firstHash));

    assert.equal(await kubectl('set', 'image', `ds/${DS}`, `app=${NEW_IMAGE}`, '-n', ns), `daemonset.apps/${DS} image updated\n`);
    const second = await eventually('a second ControllerRevision', async () => {
      const crs = await revisions(ns);
      return crs.length === 2 ? crs[1] : undefined;
    });
    assert.equal(second!.revision, 2);
    assert.notEqual(second!.metadata!.labels![HASH], firstHash);
    await statusShows(ns, { desired: 5, current: 5, ready: 5, upToDate: 0, available: 5 });

    // Every pod keeps its old image and hash; none was replaced or became unavailable.
    await runsOnExactly(ns, NODES);
    const now = await pods(ns);
    assert.deepEqual(now.map((p) => p.metadata!.uid).sort(), original.map((p) => p.metadata!.uid).sort());
    assert.deepEqual(now.map(imageOf), NODES.map(() => IMAGE));
    assert.deepEqual(now.map(hashOf), NODES.map(() => firstHash));
    assert.deepEqual((await revisionRows(ns)).map((r) => r[2]).sort(), ['1', '2']);

    // A deleted pod comes back from the current template.
    const victim = now.find((p) => nodeOf(p) === 'sim-4')!;
    await kubectl('delete', 'pod', victim.metadata!.name!, '-n', ns);
    await runsOnExactly(ns, NODES);
    const replaced = (await pods(ns)).find((p) => nodeOf(p) === 'sim-4' && !deleting(p))!;
    assert.equal(imageOf(replaced), NEW_IMAGE);
    assert.equal(hashOf(replaced), second!.metadata!.labels![HASH]);
    await statusShows(ns, { desired: 5, current: 5, ready: 5, upToDate: 1, available: 5 });

    await tearDown(ns);
  });

  it('6. should update pod when spec was updated and update strategy is RollingUpdate', async () => {
    const ns = await namespace('rolling');
    await create(daemonSet(ns));
    await runsOnExactly(ns, NODES);
    const crs = await revisions(ns);
    assert.deepEqual(crs.map((c) => c.revision), [1]);
    assert.deepEqual((await pods(ns)).map(hashOf), NODES.map(() => crs[0]!.metadata!.labels![HASH]));

    const peak = { unavailable: 0 };
    const observer = await PodObserver.start(ns, atMostUnavailable(1, peak));
    const patch = JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'app', image: NEW_IMAGE }] } } } });
    assert.equal(await kubectl('patch', 'ds', DS, '-n', ns, '-p', patch), `daemonset.apps/${DS} patched\n`);
    await rolledOut(ns);

    await eventually('every node to run only the new image', async () => {
      const ps = await pods(ns);
      return ps.length === 5 && ps.every((p) => imageOf(p) === NEW_IMAGE && isReady(p) && !deleting(p));
    });
    observer.stop();
    assert.equal(peak.unavailable, 1, 'the watch saw pods being replaced');
    assert.ok(observer.changes >= 20, `the watch saw the rollout (${observer.changes} changes)`);
    await runsOnExactly(ns, NODES);

    const after = await revisions(ns);
    assert.deepEqual(after.map((c) => c.revision), [1, 2]);
    const newHash = after[1]!.metadata!.labels![HASH];
    assert.notEqual(newHash, crs[0]!.metadata!.labels![HASH]);
    assert.deepEqual((await pods(ns)).map(hashOf), NODES.map(() => newHash));
    await statusShows(ns, { desired: 5, current: 5, ready: 5, upToDate: 5, available: 5 });

    await tearDown(ns);
  });

  it('7. should rollback without unnecessary restarts', async () => {
    const ns = await namespace('rollback');
    await create(daemonSet(ns));
    await runsOnExactly(ns, NODES);

    assert.equal(await kubectl('set', 'image', `ds/${DS}`, 'app=foo:non-existent', '-n', ns), `daemonset.apps/${DS} image updated\n`);
    // In the middle of a rollout that cannot finish: a new pod exists and nothing is terminating.
    const middle = await eventually('a pod with the non-existent image', async () => {
      const ps = await pods(ns);
      return ps.some((p) => imageOf(p) === 'foo:non-existent') && !ps.some(deleting) ? ps : undefined;
    });
    const existing = middle.filter((p) => imageOf(p) === IMAGE);
    const fresh = middle.filter((p) => imageOf(p) === 'foo:non-existent');
    assert.equal(existing.length + fresh.length, middle.length, `unexpected images: ${describePods(middle)}`);
    assert.ok(existing.length > 0 && fresh.length > 0);
    assert.deepEqual(await history(ns), [
      ['1', '<none>'],
      ['2', '<none>'],
    ]);
    const wide = await podsWide(ns);
    const stuck = wide.find((p) => p.name === fresh[0]!.metadata!.name)!;
    assert.equal(stuck.ready, '0/1');
    assert.match(stuck.status, /^(ErrImagePull|ImagePullBackOff)$/);

    const peak = { unavailable: 0 };
    const observer = await PodObserver.start(ns, atMostUnavailable(1, peak));
    assert.equal(await kubectl('rollout', 'undo', `ds/${DS}`, '-n', ns), `daemonset.apps/${DS} rolled back\n`);
    await eventually('every pod to be back on the original image', async () => {
      const ps = await pods(ns);
      return ps.length === 5 && ps.every((p) => imageOf(p) === IMAGE && isReady(p) && !deleting(p));
    });
    observer.stop();
    assert.equal(peak.unavailable, 1);
    await runsOnExactly(ns, NODES);

    const now = new Map((await pods(ns)).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    for (const p of existing) assert.equal(now.get(p.metadata!.name!), p.metadata!.uid, `pod ${p.metadata!.name} was restarted`);
    await statusShows(ns, { desired: 5, current: 5, ready: 5, upToDate: 5, available: 5 });

    // The rolled-back template takes the next revision number: history reads 2, 3.
    await eventually('the history to be renumbered', async () => {
      assert.deepEqual(await history(ns), [
        ['2', '<none>'],
        ['3', '<none>'],
      ]);
      return true;
    });
    assert.deepEqual((await revisionRows(ns)).map((r) => r[2]).sort(), ['2', '3']);
    assert.equal(
      await kubectl('rollout', 'undo', `ds/${DS}`, '--to-revision=3', '-n', ns),
      `daemonset.apps/${DS} skipped rollback (current template already matches revision 3)\n`,
    );
    const missing = await run(['rollout', 'undo', `ds/${DS}`, '--to-revision=1', '-n', ns]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: unable to find specified revision 1 in history\n');

    await tearDown(ns);
  });

  it('8. should surge pods onto nodes when spec was updated and update strategy is RollingUpdate', async () => {
    const ns = await namespace('surge');
    const minReadySeconds = 1;
    const maxSurge = 1; // 20% of 5 nodes, rounded up
    await create(
      daemonSet(ns, {
        minReadySeconds,
        env: [{ name: 'VERSION', value: '1' }],
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '20%' } },
      }),
    );
    await runsOnExactly(ns, NODES);
    await statusShows(ns, { desired: 5, current: 5, ready: 5, available: 5 });
    const [rev1] = await revisions(ns);
    const oldHash = rev1!.metadata!.labels![HASH]!;

    const versionOf = (p: Pod): string => p.spec!.containers[0]!.env?.find((e) => e.name === 'VERSION')?.value ?? '';
    const coexistingSince = new Map<string, number>();
    let longestCoexistenceMs = 0;
    const versionsSeen = new Set<string>();
    // Nodes whose old pod the test deletes on purpose (upstream injects such failures): they may be
    // without a ready pod until their replacement is ready.
    const emptiedOnPurpose = new Set<string>();
    const observer = await PodObserver.start(ns, (ps) => {
      const now = Date.now();
      for (const p of ps) versionsSeen.add(hashOf(p));
      if (new Set(ps.map(hashOf)).size > 2) return `more than 2 versions: ${describePods(ps)}`;
      let newUnavailable = 0;
      for (const node of NODES) {
        const here = ps.filter((p) => nodeOf(p) === node);
        const live = here.filter((p) => !deleting(p));
        const old = live.filter((p) => hashOf(p) === oldHash);
        const fresh = live.filter((p) => hashOf(p) !== oldHash);
        if (old.length > 1 || fresh.length > 1) return `more than one live pod of a version on ${node}: ${describePods(here)}`;
        for (const hash of new Set(here.map(hashOf))) {
          if (here.filter((p) => hashOf(p) === hash).length > 2) return `more than two pods of one version on ${node}: ${describePods(here)}`;
        }
        // The exemption lasts until the replacement is ready (not merely until the next event,
        // which may still show the victim live just before its deletion lands).
        if (fresh.some(isReady)) emptiedOnPurpose.delete(node);
        if (!live.some(isReady) && !emptiedOnPurpose.has(node)) return `${node} has no ready pod: ${describePods(here)}`;
        // A node without an old pod gets its new pod from manage, outside the surge budget.
        if (old.length === 1 && fresh.length === 1 && !isAvailable(fresh[0]!, minReadySeconds, now)) newUnavailable++;
        if (old.length === 1 && fresh.length === 1) {
          const since = coexistingSince.get(node) ?? now;
          coexistingSince.set(node, since);
          longestCoexistenceMs = Math.max(longestCoexistenceMs, now - since);
        } else coexistingSince.delete(node);
      }
      // No old pod ever becomes unavailable here, so only the surge budget lets a node run an old pod beside a new one that is not yet available.
      if (newUnavailable > maxSurge) return `${newUnavailable} nodes surging, more than maxSurge ${maxSurge}: ${describePods(ps)}`;
      return undefined;
    });

    assert.equal(await kubectl('set', 'env', `ds/${DS}`, 'VERSION=2', '-n', ns), `daemonset.apps/${DS} env updated\n`);
    // While a node surges, delete the old pod of a node not yet reached: it is replaced at once with the new version.
    const victim = await eventually('a node running an old and a new pod', async () => {
      const live = [...observer.pods.values()].filter((p) => !deleting(p));
      if (!live.some((p) => hashOf(p) !== oldHash)) return undefined;
      return NODES.map((n) => live.filter((p) => nodeOf(p) === n)).find((here) => here.length === 1 && hashOf(here[0]!) === oldHash)?.[0];
    });
    emptiedOnPurpose.add(nodeOf(victim));
    assert.equal(await kubectl('delete', 'pod', victim.metadata!.name!, '-n', ns, '--wait=false'), `pod "${victim.metadata!.name}" deleted\n`);
    await rolledOut(ns);
    await eventually('every node to run only version 2', async () => {
      const ps = await pods(ns);
      return ps.length === 5 && ps.every((p) => versionOf(p) === '2' && !deleting(p));
    });
    observer.stop();
    assert.ok(longestCoexistenceMs < 60_000, `an old pod outlived its replacement's start by ${longestCoexistenceMs} ms`);
    assert.ok(longestCoexistenceMs > 0, 'old and new pods ran side by side (surge)');
    assert.ok(coexistingSince.size === 0);
    assert.equal(versionsSeen.size, 2);
    await runsOnExactly(ns, NODES);

    const crs = await revisions(ns);
    assert.deepEqual(crs.map((c) => c.revision), [1, 2]);
    assert.deepEqual((await pods(ns)).map(hashOf), NODES.map(() => crs[1]!.metadata!.labels![HASH]));
    await statusShows(ns, { desired: 5, current: 5, ready: 5, upToDate: 5, available: 5 });

    await tearDown(ns);
  });

  it('9. should list and delete a collection of DaemonSets', async () => {
    const ns = await namespace('collection');
    const labels = { 'daemonset-collection': 'e2e' };
    await create(daemonSet(ns, { name: 'labelled-a', labels }));
    await create(daemonSet(ns, { name: 'labelled-b', labels }));
    await create(daemonSet(ns, { name: 'unlabelled' }));
    for (const name of ['labelled-a', 'labelled-b', 'unlabelled']) await runsOnExactly(ns, NODES, name);

    // Cluster-wide list by label selector.
    const listed = await api<{ items: DaemonSet[] }>('GET', '/apis/apps/v1/daemonsets?labelSelector=daemonset-collection%3De2e');
    assert.deepEqual(listed.items.map((d) => d.metadata!.name).sort(), ['labelled-a', 'labelled-b']);
    const table = tableRows(await kubectl('get', 'ds', '-A', '-l', 'daemonset-collection=e2e'));
    assert.deepEqual(
      table.map((r) => r.slice(0, 3)),
      [
        [ns, 'labelled-a', '5'],
        [ns, 'labelled-b', '5'],
      ],
    );

    assert.equal(await kubectl('delete', 'ds', '-l', 'daemonset-collection=e2e', '-n', ns), 'daemonset.apps "labelled-a" deleted\ndaemonset.apps "labelled-b" deleted\n');
    assert.equal((await api<{ items: DaemonSet[] }>('GET', '/apis/apps/v1/daemonsets?labelSelector=daemonset-collection%3De2e')).items.length, 0);
    for (const name of ['labelled-a', 'labelled-b']) {
      await eventually(`the pods of ${name} to be garbage-collected`, async () => (await pods(ns, name)).length === 0);
    }

    // DeleteCollection over the raw API, as the conformance test does (grace period 1 s).
    await create(daemonSet(ns, { name: 'labelled-c', labels }));
    await runsOnExactly(ns, NODES, 'labelled-c');
    const deleted = await api('DELETE', `/apis/apps/v1/namespaces/${ns}/daemonsets?labelSelector=daemonset-collection%3De2e`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 1,
    });
    assert.equal(deleted.kind, 'DaemonSetList');
    assert.deepEqual(
      deleted.items.map((d: DaemonSet) => d.metadata!.name),
      ['labelled-c'],
    );
    assert.equal((await api<{ items: DaemonSet[] }>('GET', '/apis/apps/v1/daemonsets?labelSelector=daemonset-collection%3De2e')).items.length, 0);
    await eventually('the pods of labelled-c to be garbage-collected', async () => (await pods(ns, 'labelled-c')).length === 0);

    // The unlabelled DaemonSet and its pods are untouched.
    assert.deepEqual(tableRows(await kubectl('get', 'ds', '-n', ns)).map((r) => r.slice(0, 4)), [['unlabelled', '5', '5', '5']]);
    await runsOnExactly(ns, NODES, 'unlabelled');
    await tearDown(ns, 'unlabelled');
  });

  it('10. should verify changes to a daemon set status', async () => {
    const ns = await namespace('status');
    await create(daemonSet(ns));
    await runsOnExactly(ns, NODES);
    const base = `/apis/apps/v1/namespaces/${ns}/daemonsets`;

    const viaStatus = await api<DaemonSet>('GET', `${base}/${DS}/status`);
    assert.equal(viaStatus.kind, 'DaemonSet');
    assert.equal(viaStatus.metadata!.name, DS);
    await eventually('the status to count 5 ready pods', async () => (await getDs(ns)).status?.numberReady === 5);

    const list = await api<{ metadata: { resourceVersion: string } }>('GET', base);
    const seen: DaemonSet[] = [];
    const watch = await openWatch(`${base}?watch=true&resourceVersion=${list.metadata.resourceVersion}&fieldSelector=metadata.name%3D${DS}`, (e) => {
      if (e.type === 'MODIFIED') seen.push(e.object as DaemonSet);
    });
    const conditionSeen = (type: string): Promise<DaemonSet> =>
      eventually(`a watch event with condition ${type}`, async () => seen.find((d) => d.status?.conditions?.some((c) => c.type === type)), 15_000);

    try {
      // UpdateStatus appending a condition, retried on conflict (as client-go's RetryOnConflict).
      await eventually('UpdateStatus to succeed', async () => {
        const ds = await getDs(ns);
        ds.status!.conditions = [
          ...(ds.status!.conditions ?? []),
          // client-go sends a zero metav1.Time as null.
          { type: 'StatusUpdate', status: 'True', reason: 'E2E', message: 'Set from e2e test', lastTransitionTime: null as unknown as string },
        ];
        try {
          await api('PUT', `${base}/${DS}/status`, ds);
          return true;
        } catch (err) {
          if ((err as { status?: number }).status === 409) return false;
          throw err;
        }
      });
      const updated = await conditionSeen('StatusUpdate');
      assert.deepEqual(
        updated.status!.conditions!.map((c) => [c.type, c.status, c.reason, c.message]),
        [['StatusUpdate', 'True', 'E2E', 'Set from e2e test']],
      );

      // A merge patch of the status with the body client-go marshals from a DaemonSet holding only the condition.
      const patch = {
        metadata: { creationTimestamp: null },
        spec: { selector: null, template: { metadata: { creationTimestamp: null }, spec: { containers: null } }, updateStrategy: {} },
        status: {
          currentNumberScheduled: 0,
          numberMisscheduled: 0,
          desiredNumberScheduled: 0,
          numberReady: 0,
          conditions: [{ type: 'StatusPatched', status: 'True', lastTransitionTime: null }],
        },
      };
      const patched = await api<DaemonSet>('PATCH', `${base}/${DS}/status`, patch, { 'Content-Type': 'application/merge-patch+json' });
      assert.deepEqual(patched.status!.conditions!.map((c) => c.type), ['StatusPatched']);
      assert.equal(patched.spec!.template.spec!.containers[0]!.image, IMAGE, 'the status subresource leaves the spec alone');
      assert.ok(patched.metadata!.creationTimestamp);
      await conditionSeen('StatusPatched');
    } finally {
      watch.close();
    }

    // The controller restores the counters it owns and keeps the client-written condition.
    const restored = await eventually('the controller to rewrite the counters', async () => {
      const ds = await getDs(ns);
      return ds.status?.desiredNumberScheduled === 5 && ds.status.numberReady === 5 ? ds : undefined;
    });
    assert.deepEqual(restored.status!.conditions!.map((c) => [c.type, c.status]), [['StatusPatched', 'True']]);
    const victim = (await pods(ns))[0]!;
    await kubectl('delete', 'pod', victim.metadata!.name!, '-n', ns);
    await runsOnExactly(ns, NODES);
    await statusShows(ns, { desired: 5, current: 5, ready: 5, available: 5 });
    assert.deepEqual((await getDs(ns)).status!.conditions!.map((c) => c.type), ['StatusPatched']);

    await tearDown(ns);
  });

  it('kubectl set image, rollout status, history (--revision), restart, pause', async () => {
    const ns = await namespace('rollout');
    await create(daemonSet(ns));
    await rolledOut(ns);

    assert.equal(await kubectl('annotate', 'ds', DS, '-n', ns, 'kubernetes.io/change-cause=set image to agnhost'), `daemonset.apps/${DS} annotated\n`);
    assert.equal(await kubectl('set', 'image', `ds/${DS}`, `app=${NEW_IMAGE}`, '-n', ns), `daemonset.apps/${DS} image updated\n`);
    await rolledOut(ns);
    const [wide] = tableRows(await kubectl('get', 'ds', DS, '-n', ns, '-o', 'wide'));
    assert.deepEqual(wide!.slice(0, 7).concat(wide!.slice(8)), [DS, '5', '5', '5', '5', '5', '<none>', 'app', NEW_IMAGE, `daemonset-name=${DS}`]);
    assert.deepEqual(await history(ns), [
      ['1', '<none>'],
      ['2', 'set image to agnhost'],
    ]);

    const rev2 = await kubectl('rollout', 'history', `ds/${DS}`, '--revision=2', '-n', ns);
    assert.match(rev2, new RegExp(`^daemonset\\.apps/${DS} with revision #2\\nPod Template:\\n  Labels:\\tdaemonset-name=${DS}\\n`));
    assert.match(rev2, new RegExp(`\\n  Containers:\\n   app:\\n    Image:\\t${NEW_IMAGE.replace(/\./g, '\\.')}\\n    Port:\\t9376/TCP\\n`));
    const rev1 = await kubectl('rollout', 'history', `ds/${DS}`, '--revision=1', '-n', ns);
    assert.match(rev1, new RegExp(`Image:\\t${IMAGE.replace(/\./g, '\\.')}\\n`));
    const nowhere = await run(['rollout', 'history', `ds/${DS}`, '--revision=7', '-n', ns]);
    assert.equal(nowhere.code, 1);
    assert.equal(nowhere.stderr, 'error: unable to find the specified revision\n');

    const before = new Set((await pods(ns)).map((p) => p.metadata!.uid));
    assert.equal(await kubectl('rollout', 'restart', `ds/${DS}`, '-n', ns), `daemonset.apps/${DS} restarted\n`);
    await rolledOut(ns);
    assert.deepEqual((await history(ns)).map((r) => r[0]), ['1', '2', '3']);
    await eventually('every pod to be replaced by the restart', async () => {
      const ps = (await pods(ns)).filter((p) => !deleting(p));
      return ps.length === 5 && ps.every((p) => !before.has(p.metadata!.uid) && p.metadata!.annotations?.['kubectl.kubernetes.io/restartedAt']);
    });
    await runsOnExactly(ns, NODES);
    await statusShows(ns, { desired: 5, current: 5, ready: 5, upToDate: 5, available: 5 });

    const pause = await run(['rollout', 'pause', `ds/${DS}`, '-n', ns]);
    assert.equal(pause.code, 1);
    assert.match(pause.stderr, /pausing is not supported/);

    await tearDown(ns);
  });
});
