import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino, type Logger } from 'pino';
import type { PodRuntime, PodRuntimeStatus, PodSink } from '../../src/agent/runtime.js';
import { isManifestFileName, parseManifest, staticPodName, staticPodUID, StaticPodManager } from '../../src/agent/static-pods.js';
import { isMirrorPod, mirrorPodFor } from '../../src/agent/mirror-pods.js';
import type { KObject } from '../../src/api/object.js';
import { resources } from '../../src/api/resources.js';
import { PodWorkers } from '../../src/agent/pod-workers.js';
import type { Client } from '../../src/client/client.js';

const NODE = 'node-a';
const FILE = '/etc/everynode/manifests/web.yaml';

function podYAML(name = 'web', image = 'busybox:1.36', extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: main
    image: ${image}
    command: ["sleep", "3600"]
${extra}`;
}

function parsed(text: string, file = FILE, node = NODE): Pod[] {
  const r = parseManifest(text, file, node);
  assert.equal(r.error, undefined, `unexpected error: ${r.error}`);
  return r.pods!;
}

// --- parsing ---------------------------------------------------------------------------------

describe('parseManifest: what a static pod looks like', () => {
  const [pod] = parsed(podYAML());

  const cases: Array<[string, (p: Pod) => unknown, unknown]> = [
    ['name is <name>-<node>', (p) => p.metadata!.name, 'web-node-a'],
    ['namespace defaults to default', (p) => p.metadata!.namespace, 'default'],
    ['bound to the node', (p) => p.spec!.nodeName, NODE],
    ['uid is 32 hex digits', (p) => /^[0-9a-f]{32}$/.test(p.metadata!.uid!), true],
    ['config.hash is the uid', (p) => p.metadata!.annotations!['kubernetes.io/config.hash'], pod!.metadata!.uid],
    ['config.source is file', (p) => p.metadata!.annotations!['kubernetes.io/config.source'], 'file'],
    ['no config.seen before it is run', (p) => p.metadata!.annotations!['kubernetes.io/config.seen'], undefined],
    ['tolerates every NoExecute taint', (p) => p.spec!.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]],
    ['restartPolicy defaulted', (p) => p.spec!.restartPolicy, 'Always'],
    ['dnsPolicy defaulted', (p) => p.spec!.dnsPolicy, 'ClusterFirst'],
    ['grace defaulted', (p) => p.spec!.terminationGracePeriodSeconds, 30],
    ['imagePullPolicy defaulted', (p) => p.spec!.containers[0]!.imagePullPolicy, 'IfNotPresent'],
    ['terminationMessagePath defaulted', (p) => p.spec!.containers[0]!.terminationMessagePath, '/dev/termination-log'],
  ];
  for (const [what, get, want] of cases) test(what, () => assert.deepEqual(get(pod!), want));
});

test('parseManifest: the uid is the hash of the manifest, the node and the file', () => {
  const uid = (text: string, file = FILE, node = NODE): string => parsed(text, file, node)[0]!.metadata!.uid!;
  const base = uid(podYAML());
  assert.equal(uid(podYAML()), base, 'same content, same uid');
  assert.equal(uid(JSON.stringify({ kind: 'Pod', apiVersion: 'v1', spec: { containers: [{ command: ['sleep', '3600'], image: 'busybox:1.36', name: 'main' }] }, metadata: { name: 'web' } })), base, 'key order and format do not matter');
  assert.equal(uid(`# a comment\n${podYAML()}`), base, 'comments do not matter');
  assert.notEqual(uid(podYAML('web', 'busybox:1.37')), base, 'another image');
  assert.notEqual(uid(podYAML(), '/other/web.yaml'), base, 'another file');
  assert.notEqual(uid(podYAML(), FILE, 'node-b'), base, 'another node');
  assert.equal(staticPodUID({ a: 1, b: [1, { c: 2, d: 3 }] }, NODE, FILE), staticPodUID({ b: [1, { d: 3, c: 2 }], a: 1 }, NODE, FILE));
});

const variants: Array<[string, string, (pods: Pod[]) => void]> = [
  [
    'JSON manifest',
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }),
    (pods) => assert.deepEqual(pods.map((p) => p.metadata!.name), ['j-node-a']),
  ],
  ['explicit namespace kept', podYAML('web').replace('  name: web', '  name: web\n  namespace: kube-system'), (pods) => assert.equal(pods[0]!.metadata!.namespace, 'kube-system')],
  ['labels kept', podYAML('web').replace('  name: web', '  name: web\n  labels: {app: web}'), (pods) => assert.deepEqual(pods[0]!.metadata!.labels, { app: 'web' })],
  [
    'manifest annotations kept beside the config ones',
    podYAML('web').replace('  name: web', '  name: web\n  annotations: {team: infra}'),
    (pods) => assert.deepEqual(Object.keys(pods[0]!.metadata!.annotations!).sort(), ['kubernetes.io/config.hash', 'kubernetes.io/config.source', 'team']),
  ],
  ['a uid in the manifest is kept', podYAML('web').replace('  name: web', '  name: web\n  uid: my-own-uid'), (pods) => assert.equal(pods[0]!.metadata!.uid, 'my-own-uid')],
  [
    'an existing NoExecute toleration is not added twice',
    podYAML('web', 'busybox', '  tolerations:\n  - {operator: Exists, effect: NoExecute}\n  - {key: a, operator: Exists}\n'),
    (pods) => assert.deepEqual(pods[0]!.spec!.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }, { key: 'a', operator: 'Exists' }]),
  ],
  ['several documents', `${podYAML('a')}---\n${podYAML('b')}---\n`, (pods) => assert.deepEqual(pods.map((p) => p.metadata!.name), ['a-node-a', 'b-node-a'])],
  [
    'a PodList',
    JSON.stringify({ apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'i' }] } }, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'y' }, spec: { containers: [{ name: 'c', image: 'i' }] } }] }),
    (pods) => assert.deepEqual(pods.map((p) => p.metadata!.name), ['x-node-a', 'y-node-a']),
  ],
  ['a List of pods', `apiVersion: v1\nkind: List\nitems:\n- ${podYAML('l').trimEnd().split('\n').join('\n  ')}\n`, (pods) => assert.deepEqual(pods.map((p) => p.metadata!.name), ['l-node-a'])],
  [
    'YAML 1.1 as Kubernetes reads it: 0644 is octal',
    podYAML('web', 'busybox', '  volumes:\n  - name: cfg\n    configMap: {name: cfg, defaultMode: 0644}\n'),
    (pods) => assert.equal(pods[0]!.spec!.volumes![0]!.configMap!.defaultMode, 0o644),
  ],
  ['an empty file holds no pods', '', (pods) => assert.deepEqual(pods, [])],
  ['only comments: no pods', '# nothing yet\n', (pods) => assert.deepEqual(pods, [])],
];
for (const [what, text, check] of variants) test(`parseManifest: ${what}`, () => check(parsed(text)));

test('staticPodName lower-cases the node name, as upstream', () => {
  assert.equal(staticPodName('web', 'HOST-1'), 'web-host-1');
});

const invalid: Array<[string, string, RegExp]> = [
  ['broken YAML', 'apiVersion: v1\nkind: Pod\nmetadata: [\n', /^cannot decode: /],
  ['a duplicate key', 'apiVersion: v1\nkind: Pod\nkind: Pod\n', /^cannot decode: /],
  ['a scalar', 'just text\n', /not a Kubernetes object/],
  ['no apiVersion/kind', 'metadata: {name: x}\n', /apiVersion and kind must be set/],
  ['a Deployment', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n', /expected a v1 Pod or PodList, got apps\/v1 Deployment/],
  ['no name', podYAML().replace('  name: web\n', '  labels: {a: b}\n'), /metadata\.name: Required value/],
  ['a bad name', podYAML('Web_1'), /pod "Web_1": invalid pod: metadata\.name: Invalid value: "Web_1-node-a"/],
  ['no spec', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n', /spec: Required value/],
  ['no containers', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: []}\n', /spec\.containers: Required value/],
  ['no image', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c}]}\n', /spec\.containers\[0\]\.image: Required value/],
  ['a bad restartPolicy', podYAML('web', 'busybox', '  restartPolicy: Sometimes\n'), /spec\.restartPolicy: Unsupported value: "Sometimes"/],
  ['a list item that is not a Pod', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service' }] }), /items\[0\]: expected a v1 Pod/],
  ['one bad document rejects the file', `${podYAML('a')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec: {containers: []}\n`, /^document 2: pod "b": invalid pod: /],
];
for (const [what, text, want] of invalid) {
  test(`parseManifest rejects ${what}`, () => {
    const r = parseManifest(text, FILE, NODE);
    assert.equal(r.pods, undefined);
    assert.match(r.error!, want);
  });
}

test('isManifestFileName', () => {
  const cases: Array<[string, boolean]> = [
    ['web.yaml', true],
    ['web.yml', true],
    ['web.json', true],
    ['kube-apiserver.manifest', true],
    ['WEB.YAML', true],
    ['.web.yaml', false],
    ['.web.yaml.swp', false],
    ['web.yaml~', false],
    ['web.yaml.bak', false],
    ['README.md', false],
    ['web', false],
  ];
  for (const [name, want] of cases) assert.equal(isManifestFileName(name), want, name);
});

// --- mirror pods -----------------------------------------------------------------------------

test('mirrorPodFor: a copy of the static pod, marked with its hash and owned by the Node', () => {
  const [pod] = parsed(podYAML('web').replace('  name: web', '  name: web\n  labels: {app: web}'));
  pod!.metadata!.annotations!['kubernetes.io/config.seen'] = '2026-01-01T00:00:00.5Z';
  const mirror = mirrorPodFor(pod!, { metadata: { name: NODE, uid: 'node-uid' } });
  const uid = pod!.metadata!.uid!;
  assert.deepEqual(mirror.metadata, {
    name: 'web-node-a',
    namespace: 'default',
    labels: { app: 'web' },
    annotations: {
      'kubernetes.io/config.hash': uid,
      'kubernetes.io/config.source': 'file',
      'kubernetes.io/config.seen': '2026-01-01T00:00:00.5Z',
      'kubernetes.io/config.mirror': uid,
    },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: 'node-uid', controller: true }],
  });
  assert.deepEqual(mirror.spec, pod!.spec);
  assert.notEqual(mirror.spec, pod!.spec, 'a copy');
  assert.equal(isMirrorPod(mirror), true);
  assert.equal(isMirrorPod(pod!), false);
});

test('the API server keeps the mirror annotation as it was created (upstream pod update rules)', () => {
  const def = resources.find((r) => r.kind === 'Pod')!;
  const pod = (annotations?: Record<string, string>): KObject => {
    const [p] = parsed(podYAML());
    return { ...(p as unknown as KObject), metadata: { ...p!.metadata, resourceVersion: '5', annotations } };
  };
  const errors = (next?: Record<string, string>, old?: Record<string, string>): string[] =>
    def.validateUpdate(pod(next), pod(old)).map((e) => `${e.field}: ${e.message}`);
  const field = 'metadata.annotations[kubernetes.io/config.mirror]';
  const cases: Array<[string, Record<string, string> | undefined, Record<string, string> | undefined, string[]]> = [
    ['unchanged mirror', { 'kubernetes.io/config.mirror': 'h' }, { 'kubernetes.io/config.mirror': 'h' }, []],
    ['other annotations may change', { 'kubernetes.io/config.mirror': 'h', team: 'b' }, { 'kubernetes.io/config.mirror': 'h', team: 'a' }, []],
    ['changed', { 'kubernetes.io/config.mirror': 'other' }, { 'kubernetes.io/config.mirror': 'h' }, [`${field}: Forbidden: may not remove or update mirror pod annotation`]],
    ['removed', { team: 'a' }, { 'kubernetes.io/config.mirror': 'h' }, [`${field}: Forbidden: may not remove or update mirror pod annotation`]],
    ['all annotations removed', undefined, { 'kubernetes.io/config.mirror': 'h' }, [`${field}: Forbidden: may not remove or update mirror pod annotation`]],
    ['added', { 'kubernetes.io/config.mirror': 'h' }, undefined, [`${field}: Forbidden: may not add mirror pod annotation`]],
    ['added (empty value)', { 'kubernetes.io/config.mirror': '' }, { team: 'a' }, [`${field}: Forbidden: may not add mirror pod annotation`]],
    ['a plain pod', { team: 'a' }, undefined, []],
  ];
  for (const [what, next, old, want] of cases) assert.deepEqual(errors(next, old), want, what);
});

test('pod workers do not run mirror pods (their static pod runs from its manifest), but run other pods', () => {
  const runtime = new FakeRuntime();
  const workers = new PodWorkers({ client: {} as Client, runtime, hostIP: () => '10.0.0.1', log: pino({ level: 'silent' }) });
  const [pod] = parsed(podYAML());
  const created = mirrorPodFor(pod!, { metadata: { name: NODE, uid: 'n' } });
  const mirror = { ...created, metadata: { ...created.metadata, uid: 'mirror-uid' } } as unknown as Pod;
  workers.observe(mirror);
  workers.observe({ ...mirror, metadata: { ...mirror.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
  workers.forget(mirror);
  assert.deepEqual(runtime.calls, []);
  const plain = { ...mirror, metadata: { name: 'plain', namespace: 'default', uid: 'plain-uid' } };
  workers.observe(plain);
  assert.deepEqual(runtime.calls, ['start plain plain-uid']);
  workers.stop();
});

// --- the manager -----------------------------------------------------------------------------

const RUNNING: PodRuntimeStatus = {
  sandboxReady: true,
  initContainers: [],
  containers: [{ name: 'main', state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, ready: true, started: true, restartCount: 0, image: 'busybox', imageID: '' }],
};

/** Records what it is asked to do; stopping takes `stopDelayMs`. */
class FakeRuntime implements PodRuntime {
  readonly name = 'fake';
  readonly version = '0';
  readonly calls: string[] = [];
  readonly running = new Map<string, { pod: Pod; sink: PodSink }>();
  stopDelayMs = 0;

  startPod(pod: Pod, sink: PodSink): void {
    this.calls.push(`start ${pod.metadata!.name} ${pod.metadata!.uid}`);
    this.running.set(pod.metadata!.uid!, { pod, sink });
    sink.status(RUNNING);
  }

  async stopPod(uid: string, graceSeconds: number): Promise<PodRuntimeStatus> {
    const name = this.running.get(uid)?.pod.metadata!.name;
    this.calls.push(`stop ${name} ${uid} grace=${graceSeconds}`);
    await new Promise((r) => setTimeout(r, this.stopDelayMs));
    this.running.delete(uid);
    this.calls.push(`stopped ${name} ${uid}`);
    return { sandboxReady: false, initContainers: [], containers: [] };
  }

  names(): string[] {
    return [...this.running.values()].map((r) => r.pod.metadata!.name!).sort();
  }
}

interface LogLine {
  level: number;
  msg: string;
}

function capturingLogger(): { log: Logger; warnings(): string[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('StaticPodManager', () => {
  let dir: string;
  let runtime: FakeRuntime;
  let logs: ReturnType<typeof capturingLogger>;
  let manager: StaticPodManager | undefined;

  const start = async (opts: { rescanIntervalMs?: number; manifestDir?: string } = {}): Promise<StaticPodManager> => {
    manager = new StaticPodManager({ manifestDir: opts.manifestDir ?? dir, nodeName: NODE, runtime, log: logs.log, rescanIntervalMs: opts.rescanIntervalMs ?? 3_600_000 });
    await manager.start();
    return manager;
  };
  const write = (name: string, text: string): void => writeFileSync(join(dir, name), text);
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'everynode-static-'));
    runtime = new FakeRuntime();
    logs = capturingLogger();
  });
  afterEach(() => {
    manager?.stop();
    manager = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs the manifests present at start, and only those', async () => {
    write('web.yaml', podYAML('web'));
    write('multi.yaml', `${podYAML('a')}---\n${podYAML('b')}`);
    write('.hidden.yaml', podYAML('hidden'));
    write('notes.txt', 'not a manifest');
    write('web.yaml.swp', 'garbage');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'nested.yaml'), podYAML('nested'));
    const m = await start();
    await settle();
    assert.deepEqual(runtime.names(), ['a-node-a', 'b-node-a', 'web-node-a']);
    assert.deepEqual(m.pods().map((p) => p.metadata!.name).sort(), ['a-node-a', 'b-node-a', 'web-node-a']);
    assert.deepEqual(logs.warnings(), []);
  });

  test('a running static pod carries config.seen, kept across rescans, and its runtime status', async () => {
    write('web.yaml', podYAML());
    const m = await start();
    await settle();
    const [pod] = m.pods();
    const seen = pod!.metadata!.annotations!['kubernetes.io/config.seen'];
    assert.match(seen!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    await m.scan();
    assert.equal(m.pods()[0]!.metadata!.annotations!['kubernetes.io/config.seen'], seen);
    assert.deepEqual(m.runtimeStatus(pod!.metadata!.uid!), RUNNING);
    assert.equal(runtime.calls.length, 1, 'a rescan without changes does nothing');
  });

  test('add, change and remove a manifest: start, replace (stop first), stop', async () => {
    const m = await start();
    write('web.yaml', podYAML('web', 'busybox:1'));
    await m.scan();
    await settle();
    const first = m.pods()[0]!.metadata!.uid!;
    assert.deepEqual(runtime.calls, [`start web-node-a ${first}`]);

    runtime.stopDelayMs = 100;
    write('web.yaml', podYAML('web', 'busybox:2', '  terminationGracePeriodSeconds: 5\n'));
    await m.scan();
    const second = m.pods()[0]!.metadata!.uid!;
    assert.notEqual(second, first);
    await eventually('the new pod started', () => runtime.running.has(second));
    // The new instance waits for the old one to be gone (one instance of a static pod at a time).
    assert.deepEqual(runtime.calls.slice(1), [`stop web-node-a ${first} grace=30`, `stopped web-node-a ${first}`, `start web-node-a ${second}`]);
    assert.equal(runtime.running.get(second)!.pod.spec!.containers[0]!.image, 'busybox:2');

    unlinkSync(join(dir, 'web.yaml'));
    await m.scan();
    await eventually('stopped', () => runtime.running.size === 0);
    assert.deepEqual(runtime.calls.slice(4), [`stop web-node-a ${second} grace=5`, `stopped web-node-a ${second}`]);
    assert.deepEqual(m.pods(), []);
    assert.equal(m.runtimeStatus(second), undefined);
  });

  test('changed back before the old instance stopped: the first content runs again after the stop', async () => {
    const m = await start();
    write('web.yaml', podYAML('web', 'busybox:1'));
    await m.scan();
    await settle();
    runtime.stopDelayMs = 100;
    write('web.yaml', podYAML('web', 'busybox:2'));
    await m.scan();
    write('web.yaml', podYAML('web', 'busybox:1'));
    await m.scan();
    const uid = m.pods()[0]!.metadata!.uid!;
    await eventually('settled', () => runtime.calls.length >= 4, 3000);
    await new Promise((r) => setTimeout(r, 250));
    // The second content never reached the runtime; the first one was stopped, then started again.
    assert.deepEqual(runtime.calls, [`start web-node-a ${uid}`, `stop web-node-a ${uid} grace=30`, `stopped web-node-a ${uid}`, `start web-node-a ${uid}`]);
    assert.deepEqual(runtime.names(), ['web-node-a']);
    assert.equal([...runtime.running.values()][0]!.pod.spec!.containers[0]!.image, 'busybox:1');
    assert.equal(m.pods().length, 1);
  });

  test('an invalid manifest is warned about once, runs nothing, and runs once fixed', async () => {
    write('bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: []}\n');
    const m = await start();
    await m.scan();
    await m.scan();
    assert.deepEqual(runtime.calls, []);
    const warnings = logs.warnings();
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]!, /^invalid static pod manifest .*bad\.yaml: pod "bad": invalid pod: spec\.containers: Required value; its pods do not run$/);
    write('bad.yaml', podYAML('bad'));
    await m.scan();
    await settle();
    assert.deepEqual(runtime.names(), ['bad-node-a']);
  });

  test('a manifest that becomes invalid stops its pod (as upstream: the file no longer holds a pod)', async () => {
    write('web.yaml', podYAML());
    const m = await start();
    await settle();
    write('web.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: [oops\n');
    await m.scan();
    await eventually('stopped', () => runtime.running.size === 0);
    assert.equal(logs.warnings().length, 1);
    assert.match(logs.warnings()[0]!, /invalid static pod manifest .*web\.yaml: cannot decode/);
  });

  test('two files defining the same pod: the first (by file name) runs, the other is warned about', async () => {
    write('a.yaml', podYAML('web', 'busybox:a'));
    write('b.yaml', podYAML('web', 'busybox:b'));
    const m = await start();
    await settle();
    await m.scan();
    assert.deepEqual(runtime.names(), ['web-node-a']);
    assert.equal([...runtime.running.values()][0]!.pod.spec!.containers[0]!.image, 'busybox:a');
    assert.equal(logs.warnings().length, 1);
    assert.match(logs.warnings()[0]!, /static pod default\/web-node-a is already defined in .*a\.yaml; ignoring this one/);
  });

  test('a missing folder holds no pods; created later, the periodic rescan finds it', async () => {
    const missing = join(dir, 'later');
    await start({ manifestDir: missing, rescanIntervalMs: 100 });
    assert.equal(logs.warnings().length, 1);
    assert.match(logs.warnings()[0]!, /does not exist: no static pods/);
    mkdirSync(missing);
    writeFileSync(join(missing, 'web.yaml'), podYAML());
    await eventually('started by a rescan', () => runtime.running.size === 1, 3000);
  });

  test('the folder is watched: files dropped, edited and removed are noticed without a rescan', async () => {
    await start();
    write('web.yaml', podYAML('web', 'busybox:1'));
    await eventually('started', () => runtime.names().join() === 'web-node-a');
    const first = [...runtime.running.keys()][0]!;
    write('web.yaml', podYAML('web', 'busybox:2'));
    await eventually('replaced', () => runtime.running.size === 1 && !runtime.running.has(first));
    unlinkSync(join(dir, 'web.yaml'));
    await eventually('stopped', () => runtime.running.size === 0);
  });

  test('stop() leaves the static pods running', async () => {
    write('web.yaml', podYAML());
    const m = await start();
    await settle();
    m.stop();
    unlinkSync(join(dir, 'web.yaml'));
    await m.scan();
    await settle();
    assert.deepEqual(runtime.names(), ['web-node-a']);
    assert.ok(!runtime.calls.some((c) => c.startsWith('stop')));
  });
});
