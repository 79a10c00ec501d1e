// Static pods and their mirror pods against a real `everynode server`, observed with the real
// kubectl (1.33). The StaticPodManager runs in the test process over a recording wrapper of the
// simulated runtime (the real agent wires it the same way): a dropped manifest runs and shows a
// Running mirror pod; deleting the mirror brings it back without touching the pod; an edited
// manifest replaces the pod and its mirror; a removed one stops it and its mirror goes; with the
// server down a new manifest still runs, and its mirror appears once the server is back.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { NodeHeartbeat } from '../../src/agent/heartbeat.js';
import { registerNode } from '../../src/agent/node-registration.js';
import type { PodRuntime, PodRuntimeStatus, PodSink } from '../../src/agent/runtime.js';
import { SimulatedRuntime } from '../../src/agent/runtimes/simulated.js';
import { simulatedNode } from '../../src/agent/simulated-nodes.js';
import { StaticPodManager } from '../../src/agent/static-pods.js';
import { HttpClient } from '../../src/client/http.js';
import { TestServer, type KubectlResult } from '../helpers/server.js';
import { eventually, rows } from '../helpers/wait.js';

const KUBECTL = '1.33';
const NODE_PREFIX = 'static-';
const NODE = `${NODE_PREFIX}0`;

/** The simulated runtime, with a log of what it was asked to do. */
class RecordingRuntime implements PodRuntime {
  readonly name = 'simulated';
  readonly version = '1.0';
  readonly starts: string[] = [];
  readonly stops: string[] = [];
  private readonly inner = new SimulatedRuntime({ readyDelayMs: 100, stopDelayMs: 50, podIP: () => '100.64.9.2' });

  startPod(pod: Pod, sink: PodSink): void {
    this.starts.push(pod.metadata!.uid!);
    this.inner.startPod(pod, sink);
  }

  stopPod(uid: string, graceSeconds: number): Promise<PodRuntimeStatus> {
    this.stops.push(uid);
    return this.inner.stopPod(uid, graceSeconds);
  }

  running(uid: string): boolean {
    return this.starts.includes(uid) && !this.stops.includes(uid);
  }
}

function manifest(name: string, image: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  containers:
  - name: main
    image: ${image}
    command: ["sh", "-c", "while true; do date >> /var/log/${name}.log; sleep 5; done"]
`;
}



describe('static pods with mirror pods', { concurrency: 1 }, () => {
  let server: TestServer;
  let client: HttpClient;
  let heartbeat: NodeHeartbeat;
  let manager: StaticPodManager;
  let dir: string;
  let nodeUID: string;
  const runtime = new RecordingRuntime();
  const kubectl = (args: string[]): Promise<KubectlResult> => server.kubectl(KUBECTL, args);
  const getPod = async (name: string): Promise<Pod | undefined> => {
    const r = await kubectl(['get', 'pod', name, '-o', 'json', '--ignore-not-found']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim() ? (JSON.parse(r.stdout) as Pod) : undefined;
  };
  const staticUID = (name: string): string | undefined => manager.pods().find((p) => p.metadata!.name === `${name}-${NODE}`)?.metadata!.uid;

  before(async () => {
    server = await TestServer.start();
    dir = mkdtempSync(join(tmpdir(), 'everynode-manifests-'));
    // The agent's own credential, as a real agent would use.
    const token = readFileSync(join(server.dataDir, 'agent-token'), 'utf8').trim();
    client = new HttpClient({ server: server.url, token, ca: server.ca });
    const log = pino({ level: process.env.STATIC_LOG ?? 'warn' });
    const { node } = await registerNode(client, simulatedNode(0, { prefix: NODE_PREFIX, kernelVersion: release(), containerRuntimeVersion: 'simulated://1.0', bootSeed: 'static' }));
    nodeUID = node.metadata!.uid!;
    heartbeat = new NodeHeartbeat(node, { client, log });
    heartbeat.start();
    manager = new StaticPodManager({ manifestDir: dir, nodeName: NODE, runtime, client, log, rescanIntervalMs: 2000 });
    await manager.start();
  });

  after(async () => {
    manager?.stop();
    heartbeat?.stop();
    client?.close();
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a dropped manifest runs, and kubectl shows its mirror pod Running on the node', async () => {
    writeFileSync(join(dir, 'logger.yaml'), manifest('logger', 'busybox:1.36'));
    const uid = await eventually('the runtime to start logger', () => staticUID('logger'));
    assert.ok(runtime.running(uid));

    const row = await eventually('the mirror pod to be Running', async () => {
      const found = rows(await kubectl(['get', 'pods', '-A', '-o', 'wide'])).find((r) => r[1] === `logger-${NODE}`);
      return found?.[3] === 'Running' ? found : undefined;
    });
    assert.equal(row[0], 'default');
    assert.equal(row[2], '1/1');
    assert.equal(row[7], NODE, 'NODE');

    const mirror = (await getPod(`logger-${NODE}`))!;
    const annotations = mirror.metadata!.annotations!;
    assert.equal(annotations['kubernetes.io/config.mirror'], uid);
    assert.equal(annotations['kubernetes.io/config.hash'], uid);
    assert.equal(annotations['kubernetes.io/config.source'], 'file');
    assert.ok(annotations['kubernetes.io/config.seen']);
    assert.notEqual(mirror.metadata!.uid, uid, 'the mirror has its own uid');
    assert.deepEqual(mirror.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: nodeUID, controller: true }]);
    assert.deepEqual(mirror.metadata!.labels, { app: 'logger' });
    assert.equal(mirror.spec!.nodeName, NODE);
    assert.equal(mirror.status!.phase, 'Running');
    const nodeIP = await kubectl(['get', 'node', NODE, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}']);
    assert.equal(mirror.status!.hostIP, nodeIP.stdout);

    const describe = await kubectl(['describe', 'pod', `logger-${NODE}`]);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, new RegExp(`Controlled By:\\s+Node/${NODE}`));
  });

  it('the mirror pod is read-only where upstream says so: its annotation cannot be changed or removed', async () => {
    const removed = await kubectl(['annotate', 'pod', `logger-${NODE}`, 'kubernetes.io/config.mirror-']);
    assert.notEqual(removed.code, 0);
    assert.match(removed.stderr, /metadata\.annotations\[kubernetes\.io\/config\.mirror\]: Forbidden: may not remove or update mirror pod annotation/);
    const changed = await kubectl(['annotate', 'pod', `logger-${NODE}`, '--overwrite', 'kubernetes.io/config.mirror=other']);
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /may not remove or update mirror pod annotation/);

    await kubectl(['run', 'plain', '--image=busybox', '--overrides={"spec":{"nodeName":"nowhere"}}']);
    const added = await kubectl(['annotate', 'pod', 'plain', 'kubernetes.io/config.mirror=x']);
    assert.notEqual(added.code, 0);
    assert.match(added.stderr, /may not add mirror pod annotation/);
    assert.equal((await kubectl(['delete', 'pod', 'plain', '--grace-period=0', '--force'])).code, 0);
  });

  it('kubectl delete pod on the mirror: the mirror comes back, the static pod never stopped', async () => {
    const uid = staticUID('logger')!;
    const before = (await getPod(`logger-${NODE}`))!;
    const r = await kubectl(['delete', 'pod', `logger-${NODE}`, '--timeout=20s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`pod "logger-${NODE}" deleted`));
    const again = await eventually('a new mirror pod', async () => {
      const p = await getPod(`logger-${NODE}`);
      return p && p.metadata!.uid !== before.metadata!.uid && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(again.metadata!.annotations!['kubernetes.io/config.mirror'], uid);

    const forced = await kubectl(['delete', 'pod', `logger-${NODE}`, '--grace-period=0', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    await eventually('another mirror pod after a forced delete', async () => {
      const p = await getPod(`logger-${NODE}`);
      return p && p.metadata!.uid !== again.metadata!.uid && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.ok(runtime.running(uid), 'the static pod still runs');
    assert.deepEqual(runtime.stops, []);
    assert.equal(runtime.starts.filter((u) => u === uid).length, 1, 'started once');
  });

  it('an edited manifest replaces the pod and its mirror', async () => {
    const oldUID = staticUID('logger')!;
    const oldMirror = (await getPod(`logger-${NODE}`))!;
    writeFileSync(join(dir, 'logger.yaml'), manifest('logger', 'busybox:1.37'));
    const newUID = await eventually('the new static pod', () => {
      const u = staticUID('logger');
      return u && u !== oldUID ? u : undefined;
    });
    await eventually('the old one stopped and the new one started', () => (runtime.stops.includes(oldUID) && runtime.running(newUID) ? true : undefined));
    assert.ok(runtime.stops.indexOf(oldUID) >= 0);

    const mirror = await eventually('the mirror of the new content', async () => {
      const p = await getPod(`logger-${NODE}`);
      return p?.metadata!.annotations!['kubernetes.io/config.mirror'] === newUID && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.notEqual(mirror.metadata!.uid, oldMirror.metadata!.uid, 'a new mirror pod');
    assert.equal(mirror.spec!.containers[0]!.image, 'busybox:1.37');
    const [row] = rows(await kubectl(['get', 'pod', `logger-${NODE}`]));
    assert.deepEqual([row![1], row![2], row![3]], ['1/1', 'Running', '0']);
  });

  it('a removed manifest stops the pod and its mirror goes', async () => {
    const uid = staticUID('logger')!;
    unlinkSync(join(dir, 'logger.yaml'));
    await eventually('the static pod stopped', () => (runtime.stops.includes(uid) ? true : undefined));
    await eventually('the mirror gone', async () => ((await getPod(`logger-${NODE}`)) ? undefined : true));
    assert.deepEqual(manager.pods(), []);
  });

  it('a DaemonSet selecting the labels of a static pod does not adopt its mirror, and GC leaves it alone', async () => {
    writeFileSync(join(dir, 'agent.yaml'), manifest('agent', 'busybox:1.36'));
    const mirror = await eventually('the mirror of agent', async () => {
      const p = await getPod(`agent-${NODE}`);
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
    };
    const applied = await server.kubectl(KUBECTL, ['apply', '-f', '-'], { input: JSON.stringify(ds) });
    assert.equal(applied.code, 0, applied.stderr);
    // The controller makes its own pod for the node: the mirror is not one of its pods.
    await eventually('a DaemonSet pod on the node', async () => {
      const r = await kubectl(['get', 'pods', '-l', 'app=agent', '-o', 'json']);
      const pods = (JSON.parse(r.stdout) as { items: Pod[] }).items;
      return pods.some((p) => p.metadata!.ownerReferences?.[0]?.kind === 'DaemonSet' && p.spec!.nodeName === NODE) ? true : undefined;
    });
    const after = (await getPod(`agent-${NODE}`))!;
    assert.equal(after.metadata!.uid, mirror.metadata!.uid);
    assert.deepEqual(after.metadata!.ownerReferences, mirror.metadata!.ownerReferences);
    assert.equal((await kubectl(['delete', 'daemonset', 'agent'])).code, 0);
    unlinkSync(join(dir, 'agent.yaml'));
    await eventually('the agent mirror gone', async () => ((await getPod(`agent-${NODE}`)) ? undefined : true));
  });

  it('a static pod in a namespace that does not exist runs; its mirror appears once the namespace does', async () => {
    writeFileSync(join(dir, 'ssd.yaml'), manifest('ssd', 'busybox:1.36').replace('  name: ssd', '  name: ssd\n  namespace: health'));
    const uid = await eventually('ssd to run', () => staticUID('ssd'));
    assert.ok(runtime.running(uid));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await kubectl(['get', 'pods', '-n', 'health', '-o', 'name'])).stdout, '');
    assert.equal((await kubectl(['create', 'namespace', 'health'])).code, 0);
    await eventually('the ssd mirror', async () => {
      const r = await kubectl(['get', 'pod', `ssd-${NODE}`, '-n', 'health', '-o', 'jsonpath={.status.phase}']);
      return r.stdout === 'Running' ? true : undefined;
    }, 20_000);
    unlinkSync(join(dir, 'ssd.yaml'));
    await eventually('the ssd mirror gone', async () => ((await kubectl(['get', 'pod', `ssd-${NODE}`, '-n', 'health', '--ignore-not-found', '-o', 'name'])).stdout === '' ? true : undefined));
  });

  it('with the server down a new manifest still runs; its mirror appears when the server is back', async () => {
    const port = new URL(server.url).port;
    await server.stop();
    writeFileSync(join(dir, 'monitor.yaml'), manifest('monitor', 'busybox:1.36'));
    const uid = await eventually('the runtime to start monitor without the API', () => staticUID('monitor'));
    assert.ok(runtime.running(uid));

    await server.launch([...server.args, '--port', port]);
    const mirror = await eventually(
      'the mirror of monitor',
      async () => {
        const p = await getPod(`monitor-${NODE}`);
        return p?.status?.phase === 'Running' ? p : undefined;
      },
      30_000,
    );
    assert.equal(mirror.metadata!.annotations!['kubernetes.io/config.mirror'], uid);
    assert.ok(runtime.running(uid));
  });
});
