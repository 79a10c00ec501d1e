// A real `everynode agent` (process runtime) beside `everynode server`, restarted under its pods:
// killed with SIGKILL, or stopped with SIGTERM (exit 0), its daemons keep running, and the next
// agent adopts them — the same process, never a second copy, the pod still Running with no
// restart, its log still followed. A pod deleted while the agent was away has its process
// stopped when the agent comes back. `--print-systemd-unit` prints the unit to install it with.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { TestAgent } from '../helpers/agent.js';
import { findProcesses, isAlive, killLeftovers } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';
import { TestServer } from '../helpers/server.js';

const MAIN = join(new URL('../..', import.meta.url).pathname, 'dist/cli/main.js');
const KUBECTL = '1.33';
const NS = 'restart-e2e';
const MARK = `rs${randomBytes(4).toString('hex')}`;
// Not the marker: the agent's own command line has the node name.
const NODE = `restart-${randomBytes(3).toString('hex')}`;

function daemonSet(name: string): DaemonSet {
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
          containers: [{ name, image: 'busybox:1.36', command: ['sh', '-c', `i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done # ${MARK}-${name}`] }],
        },
      },
    },
  };
}

describe('agent restart: the daemons outlive the agent and are adopted', { concurrency: 1 }, () => {
  let server: TestServer;
  let agent: TestAgent;
  let stateDir: string;
  const agentArgs = (): string[] => ['--name', NODE, '--state-dir', stateDir, '--port', '0', '--node-lease-renew-interval', '2s'];
  const kubectl = async (args: string[]): Promise<string> => {
    const r = await server.kubectl(KUBECTL, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const pods = async (app: string): Promise<Pod[]> => (JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-l', `app=${app}`, '-o', 'json'])) as { items: Pod[] }).items;
  const onePid = (app: string): Promise<number> =>
    eventually(`one ${app} process`, () => {
      const pids = findProcesses(`${MARK}-${app}`);
      return pids.length === 1 ? pids[0] : undefined;
    });
  const lastTick = async (pod: string): Promise<number> => Number(/tick (\d+)\n$/.exec(await kubectl(['logs', '-n', NS, pod, '--tail', '1']))?.[1] ?? -1);

  before(async () => {
    server = await TestServer.start();
    stateDir = mkdtempSync(join(tmpdir(), 'everynode-agent-state-'));
    agent = await TestAgent.start(server, agentArgs());
    await kubectl(['create', 'namespace', NS]);
    const file = join(stateDir, 'ds.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [daemonSet('daemon'), daemonSet('doomed')] }));
    await kubectl(['apply', '-f', file]);
  });

  after(async () => {
    // Let the agent stop its daemons (and free their cgroups); kill by pid whatever is left.
    if (server?.proc) {
      await server.kubectl(KUBECTL, ['delete', 'ds', '--all', '-n', NS, '--wait=false']);
      await eventually(
        'the daemons stopped and their pods gone (the agent has freed their cgroups by then)',
        async () => findProcesses(MARK).length === 0 && (await server.kubectl(KUBECTL, ['get', 'pods', '-n', NS, '-o', 'name'])).stdout.trim() === '',
        20_000,
      ).catch(() => {});
    }
    await agent?.kill();
    killLeftovers(MARK);
    await server?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('kill -9 of the agent: the daemons run on; the new agent adopts them (same pid, no restart, logs still followed)', async () => {
    const pid = await onePid('daemon');
    const doomedPid = await onePid('doomed');
    const [pod] = await eventually('the daemon pod Running and Ready', async () => {
      const p = await pods('daemon');
      return p[0]?.status?.containerStatuses?.[0]?.ready ? p : undefined;
    });
    const name = pod!.metadata!.name!;
    await eventually('logs', async () => (await lastTick(name)) > 0);

    await agent.kill();
    assert.ok(isAlive(pid), 'the daemon outlives its agent');
    // Deleted while the agent is away: the pod waits, terminating, for the agent to stop it.
    await kubectl(['delete', 'ds', 'doomed', '-n', NS, '--wait=false']);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(isAlive(doomedPid));

    agent = await TestAgent.start(server, agentArgs());
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(findProcesses(`${MARK}-daemon`), [pid], 'the same process, and only it');
    const [after] = await pods('daemon');
    assert.equal(after!.metadata!.uid, pod!.metadata!.uid);
    assert.equal(after!.status!.phase, 'Running');
    const cs = after!.status!.containerStatuses![0]!;
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.ready, true);
    assert.ok(cs.state?.running);
    const tick = await lastTick(name);
    await eventually('the adopted daemon\'s log to go on', async () => (await lastTick(name)) > tick);

    await eventually('the doomed process stopped and its pod gone', async () => !isAlive(doomedPid) && (await pods('doomed')).length === 0);
  });

  it('SIGTERM: the agent exits 0, the daemon runs on, and the next agent adopts it', async () => {
    const pid = await onePid('daemon');
    assert.equal(await agent.stop(), 0);
    assert.ok(isAlive(pid));
    agent = await TestAgent.start(server, agentArgs());
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(findProcesses(`${MARK}-daemon`), [pid]);
    const [pod] = await pods('daemon');
    assert.equal(pod!.status!.containerStatuses![0]!.restartCount, 0);
    const node = JSON.parse(await kubectl(['get', 'node', NODE, '-o', 'json'])) as { status: { conditions: { type: string; status: string }[] } };
    assert.equal(node.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('--print-systemd-unit prints a unit running the same agent, with absolute paths', () => {
    const unit = execFileSync(process.execPath, [MAIN, 'agent', '--server', 'https://10.0.0.1:6443', '--token-file', 'agent-token', '--state-dir', 'state', '--name', 'web-1', '--print-systemd-unit'], {
      cwd: stateDir,
      encoding: 'utf8',
    });
    assert.match(unit, /^\[Service\]$/m);
    assert.match(unit, /^Type=simple$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^KillMode=process$/m);
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    assert.equal(exec, `${process.execPath} ${MAIN} agent --server https://10.0.0.1:6443 --token-file ${join(stateDir, 'agent-token')} --state-dir ${join(stateDir, 'state')} --name web-1`);
  });
});
