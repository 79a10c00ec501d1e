// `everynode agent --runtime podman` beside `everynode server`, driven with the real kubectl
// (1.33): the DaemonSet of the process-runtime tests runs as podman containers of a busybox image
// built here from Debian's busybox-static (no registry can be reached), with its hostPath, its
// logs through `kubectl logs`, and its memory limit (set on the container, and enforced: OOMKilled).
// A static pod manifest dropped in --pod-manifest-path runs as a container and shows a mirror pod.
// Needs root and podman (scripts/system-deps.sh installs it); skipped otherwise.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { createPodmanRuntime, podmanInvocation, podmanPaths } from '../../src/agent/runtimes/oci-cli/podman.js';
import { TestAgent } from '../helpers/agent.js';
import { findProcesses } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';
import { TestServer } from '../helpers/server.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const KUBECTL = '1.33';
const IMAGE = 'localhost/busybox:1';
const NS = 'podman-e2e';
const available = process.getuid?.() === 0 && spawnSync('podman', ['--version']).status === 0;
const skip = available ? false : 'needs root and podman (scripts/system-deps.sh installs it)';

function daemonSet(name: string, container: Record<string, unknown>, volumes?: unknown[]): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [{ name, image: IMAGE, imagePullPolicy: 'IfNotPresent', ...container }],
          ...(volumes ? { volumes } : {}),
        },
      },
    },
  } as DaemonSet;
}

describe('the podman runtime: DaemonSets as containers, static pods', { concurrency: 1, skip }, () => {
  let server: TestServer;
  let agent: TestAgent;
  // Short: podman puts unix sockets under its storage dirs.
  const stateDir = available ? mkdtempSync('/tmp/enpa-') : '';
  const hostDir = join(stateDir, 'host');
  const manifests = join(stateDir, 'manifests');
  const node = `podman-${Math.random().toString(16).slice(2, 8)}`;

  const podman = (args: string[]): string => {
    const inv = podmanInvocation(stateDir);
    return execFileSync(inv.binary, [...inv.globalArgs, ...args], { env: inv.env, encoding: 'utf8' });
  };
  const kubectl = async (args: string[]): Promise<string> => {
    const r = await server.kubectl(KUBECTL, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const pods = async (app: string): Promise<Pod[]> => (JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-l', `app=${app}`, '-o', 'json'])) as { items: Pod[] }).items.filter((p) => !p.metadata!.deletionTimestamp);
  /** Running containers of a pod (by uid), as podman lists them. */
  const containersOf = (uid: string): string[] => podman(['ps', '-q', '--no-trunc', '--filter', `label=io.kubernetes.pod.uid=${uid}`]).split('\n').filter(Boolean);

  before(async () => {
    mkdirSync(hostDir);
    mkdirSync(manifests);
    // Podman's configuration for this state dir, then the image in its storage, as the agent will use them.
    const rt = createPodmanRuntime({ stateDir });
    await rt.check();
    rt.close();
    const inv = podmanInvocation(stateDir);
    execFileSync(join(ROOT, 'scripts/build-busybox-image.sh'), inv.globalArgs, { env: inv.env, stdio: ['ignore', 'ignore', 'inherit'] });
    server = await TestServer.start();
    agent = await TestAgent.start(server, ['--runtime', 'podman', '--name', node, '--state-dir', stateDir, '--port', '0', '--pod-manifest-path', manifests]);
    await kubectl(['create', 'namespace', NS]);
    const file = join(stateDir, 'ds.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          daemonSet(
            'logger',
            {
              command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i from $NODE_NAME"; echo "tick $i" >> /host/ticks.log; sleep 0.3; done'],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              volumeMounts: [{ name: 'host', mountPath: '/host' }],
              resources: { limits: { memory: '64Mi', cpu: '250m' } },
            },
            [{ name: 'host', hostPath: { path: hostDir, type: 'Directory' } }],
          ),
          daemonSet('hog', { command: ['sh', '-c', 'echo eating memory; tail /dev/zero'], resources: { limits: { memory: '32Mi' } } }),
        ],
      }),
    );
    await kubectl(['apply', '-f', file]);
  });

  after(async () => {
    if (!available) return;
    try {
      rmSync(join(manifests, 'static.yaml'), { force: true });
      await server?.kubectl(KUBECTL, ['delete', 'ds', '--all', '-n', NS, '--wait=false']);
      await eventually('the containers to stop', () => podman(['ps', '-q']).trim() === '', 20_000).catch(() => {});
    } finally {
      await agent?.kill();
      await server?.destroy();
      const inv = podmanInvocation(stateDir);
      spawnSync(inv.binary, [...inv.globalArgs, 'rm', '--all', '--force', '--time', '0'], { env: inv.env, stdio: 'ignore' });
      // conmon runs `podman container cleanup` as containers exit: let those finish before removing their files.
      await eventually('podman cleanups to finish', () => findProcesses(stateDir).length === 0, 15_000).catch(() => {});
      spawnSync('umount', [join(podmanPaths(stateDir).root, 'overlay')], { stdio: 'ignore' });
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('the node reports podman as its container runtime', async () => {
    const n = JSON.parse(await kubectl(['get', 'node', node, '-o', 'json'])) as Node;
    assert.match(n.status!.nodeInfo!.containerRuntimeVersion, /^podman:\/\/\d+\.\d+/);
    assert.equal(n.status!.conditions!.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('the DaemonSet runs as a container: Running 1/1, the host file grows, kubectl logs shows it, limits are set', async () => {
    const pod = await eventually('the logger pod Running and Ready', async () => (await pods('logger')).find((p) => p.status?.containerStatuses?.[0]?.ready), 40_000);
    const cs = pod.status!.containerStatuses![0]!;
    assert.match(cs.containerID!, /^podman:\/\/[0-9a-f]{64}$/);
    assert.equal(cs.image, IMAGE);
    assert.match(cs.imageID, /^localhost\/busybox@sha256:/);
    const [id] = containersOf(pod.metadata!.uid!);
    assert.ok(id && cs.containerID!.endsWith(id), 'podman runs the container the pod reports');
    const row = (await kubectl(['get', 'pod', pod.metadata!.name!, '-n', NS, '-o', 'wide', '--no-headers'])).trim().split(/\s{2,}/);
    assert.deepEqual([row[1], row[2], row[6]], ['1/1', 'Running', node]);

    const ticks = join(hostDir, 'ticks.log');
    await eventually('the host file', () => statSync(ticks, { throwIfNoEntry: false })?.size);
    const size = statSync(ticks).size;
    await eventually('the host file to grow', () => statSync(ticks).size > size);
    const logs = await eventually('kubectl logs', async () => {
      const out = await kubectl(['logs', '-n', NS, pod.metadata!.name!]);
      return out.includes('tick 2 from') ? out : undefined;
    });
    assert.match(logs, new RegExp(`^tick 1 from ${node}\n`));

    const limits = JSON.parse(podman(['inspect', id!]))[0].HostConfig as { Memory: number; CpuQuota: number; CpuPeriod: number };
    assert.equal(limits.Memory, 64 * 1024 * 1024);
    assert.equal(limits.CpuQuota / limits.CpuPeriod, 0.25);
  });

  it('a memory limit kills the container that exceeds it: OOMKilled in lastState', async () => {
    const cs = await eventually(
      'hog OOMKilled',
      async () => {
        const s = (await pods('hog'))[0]?.status?.containerStatuses?.[0];
        return s?.lastState?.terminated?.reason === 'OOMKilled' ? s : undefined;
      },
      40_000,
    );
    assert.equal(cs.lastState!.terminated!.exitCode, 137);
    assert.ok(cs.restartCount >= 1);
  });

  it('a manifest dropped in --pod-manifest-path runs as a container and shows a mirror pod', async () => {
    writeFileSync(
      join(manifests, 'static.yaml'),
      `apiVersion: v1
kind: Pod
metadata:
  name: watcher
  namespace: ${NS}
  labels: {app: watcher}
spec:
  containers:
  - name: watch
    image: ${IMAGE}
    imagePullPolicy: Never
    command: ["sh", "-c", "while true; do echo static pod alive; sleep 1; done"]
`,
    );
    const mirror = await eventually(
      'the mirror pod Running',
      async () => {
        const p = (await pods('watcher'))[0];
        return p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
      },
      40_000,
    );
    assert.equal(mirror.metadata!.name, `watcher-${node}`);
    const staticUid = mirror.metadata!.annotations!['kubernetes.io/config.mirror']!;
    assert.ok(staticUid);
    assert.equal(mirror.spec!.nodeName, node);
    assert.equal(containersOf(staticUid).length, 1, 'podman runs the static pod');
    const logs = await eventually('logs of the static pod', async () => {
      const out = await kubectl(['logs', '-n', NS, mirror.metadata!.name!, '--tail', '1']);
      return out.trim() ? out : undefined;
    });
    assert.equal(logs, 'static pod alive\n');

    unlinkSync(join(manifests, 'static.yaml'));
    await eventually('the static pod and its mirror gone', async () => containersOf(staticUid).length === 0 && (await pods('watcher')).length === 0, 30_000);
  });
});
