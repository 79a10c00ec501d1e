// `everynode agent --simulate 5` against a real `everynode server`, observed with the real kubectl
// (1.33): the nodes register and are Ready, their leases are renewed, pods bound to them run (or
// fail to pull a `non-existent` image), graceful deletion is completed by the agent, and the
// agent leaves on SIGTERM with exit 0 — its nodes stay, and a restarted agent takes them back.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TestServer, type KubectlResult } from '../helpers/server.js';
import { eventually, rows } from '../helpers/wait.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');
const KUBECTL = '1.33';

interface Agent {
  proc: ChildProcess;
  logs(): string;
}

/** Starts `everynode agent` and, unless told not to, waits until it watches pods. */
async function startAgent(server: TestServer, args: string[], wait = true): Promise<Agent> {
  const proc = spawn(process.execPath, [MAIN, 'agent', '--server', server.url, '--token-file', join(server.dataDir, 'agent-token'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const agent = { proc, logs: () => out };
  if (!wait) return agent;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start within 30 s:\n${out}`)), 30_000);
    const check = (): void => {
      if (!out.includes('"msg":"watching pods"')) return;
      clearTimeout(timer);
      resolve();
    };
    proc.stderr!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code}:\n${out}`));
    });
  });
  return agent;
}

function exitOf(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}



describe('everynode agent --simulate', { concurrency: 1 }, () => {
  let server: TestServer;
  let agent: Agent;
  const kubectl = (args: string[], input?: string): Promise<KubectlResult> => server.kubectl(KUBECTL, args, { input });

  before(async () => {
    server = await TestServer.start();
    agent = await startAgent(server, ['--simulate', '5', '--labels', 'pool=sim,team=infra']);
  });

  after(async () => {
    if (agent.proc.exitCode === null) agent.proc.kill('SIGKILL');
    await server.destroy();
  });

  it('registers 5 nodes that kubectl shows Ready, with kubelet-like labels and info', async () => {
    const nodes = rows(await kubectl(['get', 'nodes']));
    assert.deepEqual(
      nodes.map((r) => [r[0], r[1], r[2], r[4]]),
      [0, 1, 2, 3, 4].map((i) => [`sim-${i}`, 'Ready', '<none>', 'v1.33.0-everynode']),
    );
    const wide = rows(await kubectl(['get', 'node', 'sim-0', '-o', 'wide']))[0]!;
    assert.match(wide[5]!, /^10\.\d+\.0\.1$/, 'INTERNAL-IP');
    assert.equal(wide[9], 'simulated://1.0', 'CONTAINER-RUNTIME');

    const labels = JSON.parse((await kubectl(['get', 'node', 'sim-2', '-o', 'jsonpath={.metadata.labels}'])).stdout) as Record<string, string>;
    assert.deepEqual(labels, {
      'beta.kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'sim-2',
      'kubernetes.io/os': 'linux',
      pool: 'sim',
      team: 'infra',
    });
    const capacity = JSON.parse((await kubectl(['get', 'node', 'sim-2', '-o', 'jsonpath={.status.capacity}'])).stdout) as Record<string, string>;
    assert.equal(capacity.cpu, '4');
    assert.equal(capacity.pods, '110');
    assert.ok(capacity.memory && capacity['ephemeral-storage']);
  });

  it('renews each node lease in kube-node-lease', async () => {
    const lease = async (): Promise<{ spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string } }> =>
      JSON.parse((await kubectl(['get', 'lease', 'sim-1', '-n', 'kube-node-lease', '-o', 'json'])).stdout);
    const first = await lease();
    assert.equal(first.spec.holderIdentity, 'sim-1');
    assert.equal(first.spec.leaseDurationSeconds, 40);
    assert.match(first.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const renewed = await eventually('the lease to be renewed', async () => {
      const now = await lease();
      return now.spec.renewTime > first.spec.renewTime ? now : undefined;
    });
    assert.equal(renewed.spec.holderIdentity, 'sim-1');
    assert.equal(rows(await kubectl(['get', 'leases', '-n', 'kube-node-lease'])).length, 5);
  });

  it('runs a pod bound to sim-0: Running, 1/1', async () => {
    const r = await kubectl(['run', 'web', '--image=nginx:1.27', '--overrides={"spec":{"nodeName":"sim-0"}}']);
    assert.equal(r.code, 0, r.stderr);
    const row = await eventually('web to be Running', async () => {
      const [web] = rows(await kubectl(['get', 'pod', 'web', '-o', 'wide']));
      return web?.[2] === 'Running' ? web : undefined;
    });
    assert.equal(row[1], '1/1');
    assert.match(row[5]!, /^100\.\d+\.\d+\.\d+$/, 'pod IP');
    assert.equal(row[6], 'sim-0');
    const pod = JSON.parse((await kubectl(['get', 'pod', 'web', '-o', 'json'])).stdout) as {
      status: { phase: string; hostIP: string; conditions: { type: string; status: string }[]; containerStatuses: { ready: boolean; started: boolean; containerID: string; state: { running?: object } }[] };
    };
    assert.equal(pod.status.phase, 'Running');
    assert.match(pod.status.hostIP, /^10\.\d+\.0\.1$/);
    assert.deepEqual(
      pod.status.conditions.map((c) => `${c.type}=${c.status}`),
      ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
    );
    const [c] = pod.status.containerStatuses;
    assert.ok(c!.ready && c!.started && c!.state.running);
    assert.match(c!.containerID, /^simulated:\/\//);
  });

  it('cannot pull an image tagged non-existent: ImagePullBackOff, 0/1', async () => {
    const r = await kubectl(['run', 'broken', '--image=nginx:non-existent', '--overrides={"spec":{"nodeName":"sim-1"}}']);
    assert.equal(r.code, 0, r.stderr);
    const row = await eventually('broken to be in ImagePullBackOff', async () => {
      const [pod] = rows(await kubectl(['get', 'pod', 'broken']));
      return pod?.[2] === 'ImagePullBackOff' ? pod : undefined;
    });
    assert.equal(row[1], '0/1');
    const phase = (await kubectl(['get', 'pod', 'broken', '-o', 'jsonpath={.status.phase}'])).stdout;
    assert.equal(phase, 'Pending');
    const events = (await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=broken'])).stdout;
    assert.match(events, /Failed to pull image "nginx:non-existent"/);
    assert.match(events, /Back-off pulling image "nginx:non-existent"/);
  });

  it('completes graceful deletion: kubectl delete pod returns once the agent has stopped it', async () => {
    const started = Date.now();
    const r = await kubectl(['delete', 'pod', 'web', 'broken']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pod "web" deleted\npod "broken" deleted\n');
    assert.ok(Date.now() - started < 10_000, 'well within the 30 s grace period');
    const left = await kubectl(['get', 'pods']);
    assert.equal(left.stderr.trim(), 'No resources found in default namespace.');
  });

  it('leaves on SIGTERM with exit 0; the nodes stay, and a restarted agent takes them back', async () => {
    assert.equal((await kubectl(['run', 'keeper', '--image=nginx', '--overrides={"spec":{"nodeName":"sim-4"}}'])).code, 0);
    await eventually('keeper to be Running', async () => ((await kubectl(['get', 'pod', 'keeper', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' ? true : undefined));
    const version = (await kubectl(['get', 'pod', 'keeper', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
    const uids = (await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.uid}'])).stdout;

    const exited = exitOf(agent.proc);
    agent.proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(agent.logs(), /"signal":"SIGTERM"/);
    assert.equal(rows(await kubectl(['get', 'nodes'])).length, 5);

    agent = await startAgent(server, ['--simulate', '5', '--labels', 'pool=sim,team=infra']);
    assert.equal((await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.uid}'])).stdout, uids, 'the same Node objects');
    // The running pod is adopted, not restarted: its status is not even rewritten.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await kubectl(['get', 'pod', 'keeper', '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout, version);

    const exitedAgain = exitOf(agent.proc);
    agent.proc.kill('SIGTERM');
    assert.equal(await exitedAgain, 0);
  });

  it('refuses bad flags with exit 1, saying what is wrong', async () => {
    // Without --simulate this would be this host's real agent: the flags are checked before anything starts.
    const a = await startAgent(server, ['--taints', 'dedicated=gpu'], false);
    assert.equal(await exitOf(a.proc), 1);
    assert.match(a.logs(), /invalid taint "dedicated=gpu": expected key=value:Effect or key:Effect/);
  });
});
