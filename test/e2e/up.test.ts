// `everynode up` on this machine, driven with the real kubectl (1.33): a server and this host's
// agent in one process, running DaemonSets as real processes (process runtime). A daemon writing
// to a hostPath runs (found in /proc), the host file grows, `kubectl logs` shows its output;
// `set image`, `rollout restart` and `kubectl delete pod` replace the process after a graceful
// stop; a container that exits is restarted with back-off (RESTARTS, CrashLoopBackOff); a failing
// readiness probe makes the pod 0/1 and the DaemonSet's READY drop; a memory limit kills a
// process that exceeds it (OOMKilled). Ctrl-C (SIGINT) stops `up` and its daemons.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { findProcesses, isAlive, killLeftovers } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';
import { KUBECTL_DIR, type KubectlResult } from '../helpers/server.js';

const MAIN = join(new URL('../..', import.meta.url).pathname, 'dist/cli/main.js');
const NS = 'up-e2e';
// hostPath mounts (mount namespaces) and memory limits (cgroups) need root.
const asRoot = process.getuid?.() === 0 ? false : 'needs root';
const MARK = `up${randomBytes(4).toString('hex')}`;

/** `everynode up` as a user runs it; ready once it printed its welcome. */
class Up {
  out = '';
  err = '';
  kubeconfig = '';
  nodeName = '';
  private constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (c: Buffer) => (this.out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (this.err += c.toString()));
  }

  static async start(dataDir: string): Promise<Up> {
    const up = new Up(spawn(process.execPath, [MAIN, 'up', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`up did not start within 30 s:\n${up.out}\n${up.err}`)), 30_000);
      up.proc.stdout!.on('data', () => {
        const kc = /export KUBECONFIG=(\S+)/.exec(up.out);
        const node = /one node "([^"]+)"/.exec(up.out);
        if (!kc || !node) return;
        up.kubeconfig = kc[1]!;
        up.nodeName = node[1]!;
        clearTimeout(timer);
        resolve();
      });
      up.proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`up exited with ${code}:\n${up.out}\n${up.err}`));
      });
    });
    return up;
  }

  /** Sends `signal` and waits for the exit code (SIGKILL after 20 s). */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    const p = this.proc;
    if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

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
          terminationGracePeriodSeconds: 10,
          containers: [{ name, image: 'busybox:1.36', ...container }],
          ...(volumes ? { volumes } : {}),
        },
      },
    },
  } as DaemonSet;
}

describe('everynode up: DaemonSets as real processes', { concurrency: 1, skip: asRoot }, () => {
  let up: Up;
  let dataDir: string;
  let hostDir: string;
  let cacheDir: string;
  const ticks = (): string => readFileSync(join(hostDir, 'ticks.log'), 'utf8');

  const kubectl = (args: string[]): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const proc = spawn(join(KUBECTL_DIR, 'kubectl.1.33'), ['--kubeconfig', up.kubeconfig, '--cache-dir', cacheDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
      proc.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  const ok = async (args: string[]): Promise<string> => {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** The app's pod that is not being deleted. */
  const livePod = async (app: string): Promise<Pod | undefined> => {
    const list = JSON.parse(await ok(['get', 'pods', '-n', NS, '-l', `app=${app}`, '-o', 'json'])) as { items: Pod[] };
    return list.items.find((p) => !p.metadata!.deletionTimestamp);
  };
  /** `kubectl get pods -o wide` row of a pod: NAME READY STATUS RESTARTS AGE IP NODE ... */
  const wideRow = async (name: string): Promise<string[]> => {
    const out = await ok(['get', 'pod', name, '-n', NS, '-o', 'wide', '--no-headers']);
    return out.trim().split(/\s{2,}/);
  };
  /** The one daemon process of `app`, once it is the only one and not `old`. */
  const daemonPid = (app: string, old?: number): Promise<number> =>
    eventually(`exactly one ${app} process${old ? ` other than ${old}` : ''}`, () => {
      const pids = findProcesses(`${MARK}-${app}`);
      return pids.length === 1 && pids[0] !== old && (old === undefined || !isAlive(old)) ? pids[0] : undefined;
    }, 30_000);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'everynode-up-'));
    hostDir = mkdtempSync(join(tmpdir(), 'everynode-up-host-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'everynode-up-kubectl-'));
    up = await Up.start(dataDir);
    await ok(['create', 'namespace', NS]);
    const manifests = [
      // Writes to a hostPath it sees at /host (a folder the host does not have), logs each tick,
      // and says on the host when it is asked to stop.
      daemonSet(
        'logger',
        {
          command: ['sh', '-c', `trap 'echo "stopped $$$$" >> /host/ticks.log; exit 0' TERM; i=0; while true; do i=$((i+1)); echo "tick $i from $NODE_NAME"; echo "$$$$ tick $i" >> /host/ticks.log; sleep 0.3; done # ${MARK}-logger`],
          env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          volumeMounts: [{ name: 'host', mountPath: '/host' }],
        },
        [{ name: 'host', hostPath: { path: hostDir, type: 'Directory' } }],
      ),
      daemonSet('crasher', { command: ['sh', '-c', `echo "crashing, as planned"; sleep 1; exit 3 # ${MARK}-crasher`] }),
      daemonSet('unready', {
        command: ['sh', '-c', `while true; do sleep 1; done # ${MARK}-unready`],
        readinessProbe: { exec: { command: ['sh', '-c', `test ! -e ${join(hostDir, 'unready')}`] }, periodSeconds: 1, failureThreshold: 1 },
      }),
      daemonSet('hog', { command: ['sh', '-c', `echo eating memory; tail /dev/zero # ${MARK}-hog`], resources: { limits: { memory: '32Mi' } } }),
    ];
    writeFileSync(join(cacheDir, 'daemonsets.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }));
    await ok(['apply', '-f', join(cacheDir, 'daemonsets.json')]);
  });

  after(async () => {
    // As a user would (the daemons stop with it); what a failure may have left is killed by pid.
    await up?.stop('SIGINT');
    killLeftovers(MARK);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('registers this host as a Ready node with its real capacity and system info', async () => {
    const node = JSON.parse(await ok(['get', 'node', up.nodeName, '-o', 'json'])) as { status: { conditions: { type: string; status: string }[]; capacity: Record<string, string>; nodeInfo: Record<string, string>; addresses: { type: string; address: string }[] } };
    assert.equal(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) assert.equal(node.status.conditions.find((c) => c.type === t)?.status, 'False', t);
    assert.match(node.status.capacity.cpu!, /^\d+$/);
    assert.match(node.status.capacity.memory!, /^\d+Ki$/);
    assert.equal(node.status.capacity.pods, '110');
    assert.equal(node.status.nodeInfo.containerRuntimeVersion, 'process://1.0');
    assert.match(node.status.nodeInfo.kubeletVersion!, /^v1\.33\.0-everynode/);
    assert.equal(node.status.nodeInfo.operatingSystem, 'linux');
    assert.deepEqual(node.status.addresses[0], { type: 'InternalIP', address: '127.0.0.1' });
    const row = (await ok(['get', 'nodes', '--no-headers'])).trim().split(/\s+/);
    assert.deepEqual([row[0], row[1]], [up.nodeName, 'Ready']);
  });

  it('runs the daemon as a real process: the host file grows, kubectl logs shows it, Running 1/1 on the node', async () => {
    const pid = await daemonPid('logger');
    const pod = await eventually('the logger pod Running 1/1', async () => {
      const p = await livePod('logger');
      if (!p) return undefined;
      const row = await wideRow(p.metadata!.name!);
      return row[1] === '1/1' && row[2] === 'Running' ? { p, row } : undefined;
    });
    assert.equal(pod.row[6], up.nodeName, 'NODE column');
    const size = statSync(join(hostDir, 'ticks.log')).size;
    await eventually('the host file to grow', () => statSync(join(hostDir, 'ticks.log')).size > size);
    assert.match(ticks(), new RegExp(`^${pid} tick \\d+$`, 'm'));
    const logs = await eventually('kubectl logs to show ticks', async () => {
      const out = await ok(['logs', '-n', NS, pod.p.metadata!.name!]);
      return /tick \d+ from /.test(out) ? out : undefined;
    });
    assert.match(logs, new RegExp(`tick 1 from ${up.nodeName}\n`));
    const tail = await ok(['logs', '-n', NS, pod.p.metadata!.name!, '--tail', '1', '--timestamps']);
    assert.match(tail, /^\d{4}-\d\d-\d\dT[\d:.]+Z tick \d+ from /);
  });

  it('kubectl set image and rollout restart replace the process after a graceful stop', async () => {
    const first = await daemonPid('logger');
    await ok(['set', 'image', 'ds/logger', '-n', NS, 'logger=busybox:1.37']);
    await ok(['rollout', 'status', 'ds/logger', '-n', NS, '--timeout', '60s']);
    const second = await daemonPid('logger', first);
    assert.match(ticks(), new RegExp(`^stopped ${first}$`, 'm'), 'the old process got SIGTERM and stopped');
    const pod = (await livePod('logger'))!;
    assert.equal(pod.spec!.containers[0]!.image, 'busybox:1.37');
    assert.equal(pod.status!.containerStatuses?.[0]?.image, 'docker.io/library/busybox:1.37');

    await ok(['rollout', 'restart', 'ds/logger', '-n', NS]);
    await ok(['rollout', 'status', 'ds/logger', '-n', NS, '--timeout', '60s']);
    await daemonPid('logger', second);
    assert.match(ticks(), new RegExp(`^stopped ${second}$`, 'm'));
  });

  it('kubectl delete pod stops the process gracefully and the DaemonSet starts a new one', async () => {
    const before = await daemonPid('logger');
    const pod = (await livePod('logger'))!;
    await ok(['delete', 'pod', '-n', NS, pod.metadata!.name!]);
    assert.match(ticks(), new RegExp(`^stopped ${before}$`, 'm'));
    assert.equal(isAlive(before), false);
    await daemonPid('logger', before);
    const next = await eventually('a new logger pod Running', async () => {
      const p = await livePod('logger');
      return p && p.metadata!.uid !== pod.metadata!.uid && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.notEqual(next.metadata!.name, pod.metadata!.name);
  });

  it('a container that exits is restarted with back-off: RESTARTS counts up, STATUS shows CrashLoopBackOff', async () => {
    const pod = await eventually('crasher in CrashLoopBackOff', async () => {
      const p = await livePod('crasher');
      if (!p) return undefined;
      const row = await wideRow(p.metadata!.name!);
      return row[2] === 'CrashLoopBackOff' && /^[1-9]/.test(row[3]!) ? p : undefined;
    }, 40_000);
    const fresh = JSON.parse(await ok(['get', 'pod', '-n', NS, pod.metadata!.name!, '-o', 'json'])) as Pod;
    const cs = fresh.status!.containerStatuses![0]!;
    assert.ok(cs.restartCount >= 1);
    assert.equal(cs.lastState?.terminated?.exitCode, 3);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    assert.match(cs.state?.waiting?.message ?? '', /^back-off \d+s restarting failed container=crasher pod=crasher-/);
    const previous = await ok(['logs', '-n', NS, pod.metadata!.name!, '--previous']);
    assert.equal(previous, 'crashing, as planned\n');
  });

  it('a failing readiness probe makes the pod 0/1 and the DaemonSet READY drop', async () => {
    const pod = await eventually('unready ready first', async () => {
      const p = await livePod('unready');
      return p && (await wideRow(p.metadata!.name!))[1] === '1/1' ? p : undefined;
    });
    await eventually('the DaemonSet READY 1', async () => (JSON.parse(await ok(['get', 'ds', 'unready', '-n', NS, '-o', 'json'])) as DaemonSet).status?.numberReady === 1);
    writeFileSync(join(hostDir, 'unready'), '');
    await eventually('READY 0/1, still Running', async () => {
      const row = await wideRow(pod.metadata!.name!);
      return row[1] === '0/1' && row[2] === 'Running' ? row : undefined;
    });
    const row = await eventually('the DaemonSet READY 0', async () => {
      const r = (await ok(['get', 'ds', 'unready', '-n', NS, '--no-headers'])).trim().split(/\s+/);
      return r[3] === '0' ? r : undefined;
    });
    assert.deepEqual(row.slice(0, 3), ['unready', '1', '1'], 'DESIRED and CURRENT stay 1');
  });

  it('a memory limit kills the process that exceeds it: OOMKilled in lastState', async () => {
    const cs = await eventually('hog OOMKilled', async () => {
      const p = await livePod('hog');
      const s = p?.status?.containerStatuses?.[0];
      return s?.lastState?.terminated?.reason === 'OOMKilled' ? s : undefined;
    }, 40_000);
    assert.equal(cs.lastState!.terminated!.exitCode, 137);
    assert.ok(cs.restartCount >= 1);
  });

  it('Ctrl-C stops the daemons, the agent and the server, and exits 0', async () => {
    const pid = await daemonPid('logger');
    assert.equal(await up.stop('SIGINT'), 0);
    assert.equal(isAlive(pid), false);
    assert.deepEqual(findProcesses(MARK), []);
    assert.ok(existsSync(join(dataDir, 'admin.kubeconfig')) && existsSync(join(dataDir, 'agent', 'node-credentials.json')));
  });
});
