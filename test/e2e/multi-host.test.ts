// Three hosts on one machine: three `everynode agent`s (process runtime), each in a network
// namespace of its own, wired by veth pairs to a bridge in the root namespace, against one
// `everynode server` listening on the bridge. Every address is one this test creates, in a /24
// of 10.231.0.0/16 nobody else uses here; the namespaces, links and bridge are removed after.
// Observed with the real kubectl (1.33) and /proc:
// - a DaemonSet runs exactly one process in each namespace, and `kubectl logs` reaches them;
// - a nodeSelector DaemonSet follows its label from node to node;
// - cutting one namespace's link makes its node NotReady with the unreachable taints after the
//   grace period while its daemon keeps running; restoring it makes the node Ready again, still
//   with exactly that one daemon process.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { TestAgent } from '../helpers/agent.js';
import { findProcesses, isAlive, killLeftovers, netnsOf } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';
import { TestServer } from '../helpers/server.js';

const KUBECTL = '1.33';
const NS = 'multi-host';
const ID = randomBytes(2).toString('hex');
// Network namespaces need root (and iproute2, which scripts/system-deps.sh installs).
const asRoot = process.getuid?.() === 0 ? false : 'needs root';
const MARK = `mh${randomBytes(4).toString('hex')}`;
const HOSTS = [1, 2, 3];

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** For cleaning up: what is already gone is fine. */
function ipQuiet(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

/** A /24 of 10.231.0.0/16 with no address on this machine. */
function freeSubnet(): number {
  const used = ip('-o', '-4', 'addr', 'show');
  for (let tries = 0; tries < 50; tries++) {
    const x = 1 + Math.floor(Math.random() * 254);
    if (!used.includes(`10.231.${x}.`)) return x;
  }
  throw new Error('no free 10.231.x.0/24 subnet');
}

const bridge = `enbr${ID}`;
const hostSide = (i: number): string => `env${ID}${i}`;
const nsSide = (i: number): string => `enp${ID}${i}`;
const netns = (i: number): string => `en-${ID}-${i}`;
const nodeName = (i: number): string => `host-${ID}-${i}`;

function daemonSet(name: string, nodeSelector?: Record<string, string>): DaemonSet {
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
          ...(nodeSelector ? { nodeSelector } : {}),
          containers: [
            {
              name,
              image: 'busybox:1.36',
              command: ['sh', '-c', `while true; do echo "$NODE_NAME alive"; sleep 1; done # ${MARK}-${name}`],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            },
          ],
        },
      },
    },
  };
}

describe('multi-host: three agents in three network namespaces', { concurrency: 1, skip: asRoot }, () => {
  let subnet = 0;
  const addr = (host: number): string => `10.231.${subnet}.${host}`;
  const agentIP = (i: number): string => addr(10 + i);
  let server: TestServer;
  const agents = new Map<number, TestAgent>();
  const stateDirs = new Map<number, string>();
  /** The kernel's name of each namespace's network namespace, as /proc/<pid>/ns/net shows it. */
  const netnsIds = new Map<number, string>();
  const created = { bridge: false, netns: new Set<number>() };
  let workDir: string;

  const kubectl = async (args: string[]): Promise<string> => {
    const r = await server.kubectl(KUBECTL, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const getNode = async (i: number): Promise<Node> => JSON.parse(await kubectl(['get', 'node', nodeName(i), '-o', 'json'])) as Node;
  const ready = (n: Node): string | undefined => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  /** Host index → pids of `app` running in that host's namespace. */
  const processesByHost = (app: string): Map<number, number[]> => {
    const out = new Map<number, number[]>(HOSTS.map((i) => [i, []]));
    for (const pid of findProcesses(`${MARK}-${app}`)) {
      const host = HOSTS.find((i) => netnsIds.get(i) === netnsOf(pid));
      assert.ok(host !== undefined, `process ${pid} of ${app} runs outside the test's namespaces`);
      out.get(host)!.push(pid);
    }
    return out;
  };
  const apply = async (ds: DaemonSet): Promise<void> => {
    const file = join(workDir, `${ds.metadata!.name}.json`);
    writeFileSync(file, JSON.stringify(ds));
    await kubectl(['apply', '-f', file]);
  };

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'everynode-multi-host-'));
    subnet = freeSubnet();
    ip('link', 'add', bridge, 'type', 'bridge');
    created.bridge = true;
    ip('addr', 'add', `${addr(1)}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    for (const i of HOSTS) {
      ip('netns', 'add', netns(i));
      created.netns.add(i);
      ip('link', 'add', hostSide(i), 'type', 'veth', 'peer', 'name', nsSide(i));
      ip('link', 'set', nsSide(i), 'netns', netns(i));
      ip('link', 'set', hostSide(i), 'master', bridge);
      ip('link', 'set', hostSide(i), 'up');
      ip('-n', netns(i), 'addr', 'add', `${agentIP(i)}/24`, 'dev', nsSide(i));
      ip('-n', netns(i), 'link', 'set', nsSide(i), 'up');
      ip('-n', netns(i), 'link', 'set', 'lo', 'up');
      netnsIds.set(i, `net:[${statSync(`/run/netns/${netns(i)}`).ino}]`);
    }
    server = await TestServer.start({ args: ['--bind', addr(1), '--node-monitor-grace-period', '5s', '--node-monitor-period', '1s'] });
    await Promise.all(
      HOSTS.map(async (i) => {
        stateDirs.set(i, mkdtempSync(join(tmpdir(), `everynode-host${i}-`)));
        // nsenter changes only the network namespace (the agent keeps the host's mounts and cgroups) and execs the agent.
        const agent = await TestAgent.start(server, ['--name', nodeName(i), '--state-dir', stateDirs.get(i)!, '--node-lease-renew-interval', '1s'], 30_000, ['nsenter', `--net=/run/netns/${netns(i)}`]);
        agents.set(i, agent);
      }),
    );
    await kubectl(['create', 'namespace', NS]);
  });

  after(async () => {
    // Links first: a node cut off must be able to stop its daemons.
    for (const i of created.netns) ipQuiet('link', 'set', hostSide(i), 'up');
    if (server?.proc) {
      await server.kubectl(KUBECTL, ['delete', 'ds', '--all', '-n', NS, '--wait=false']);
      await eventually(
        'the daemons stopped and their pods gone (the agent has freed their cgroups by then)',
        async () => findProcesses(MARK).length === 0 && (await server.kubectl(KUBECTL, ['get', 'pods', '-n', NS, '-o', 'name'])).stdout.trim() === '',
        20_000,
      ).catch(() => {});
    }
    await Promise.all([...agents.values()].map((a) => a.kill()));
    killLeftovers(MARK);
    await server?.destroy();
    for (const i of created.netns) {
      ipQuiet('netns', 'del', netns(i));
      ipQuiet('link', 'del', hostSide(i)); // usually gone with the namespace's end of the pair
    }
    if (created.bridge) ipQuiet('link', 'del', bridge);
    for (const d of stateDirs.values()) rmSync(d, { recursive: true, force: true });
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('each agent registers its node with the address of its namespace, Ready', async () => {
    for (const i of HOSTS) {
      const n = await eventually(`${nodeName(i)} Ready`, async () => {
        const node = await getNode(i);
        return ready(node) === 'True' ? node : undefined;
      });
      assert.deepEqual(n.status!.addresses![0], { type: 'InternalIP', address: agentIP(i) });
      assert.equal(n.status!.daemonEndpoints!.kubeletEndpoint!.Port, 10250);
    }
  });

  it('a DaemonSet runs exactly one process in each namespace; kubectl logs reaches each host', async () => {
    await apply(daemonSet('everywhere'));
    const byHost = await eventually('one process per namespace', () => {
      const m = processesByHost('everywhere');
      return HOSTS.every((i) => m.get(i)!.length === 1) ? m : undefined;
    });
    assert.equal(findProcesses(`${MARK}-everywhere`).length, 3);
    const pods = await eventually('three pods Running and Ready', async () => {
      const list = (JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-l', 'app=everywhere', '-o', 'json'])) as { items: Pod[] }).items;
      return list.length === 3 && list.every((p) => p.status?.containerStatuses?.[0]?.ready) ? list : undefined;
    });
    for (const i of HOSTS) {
      const pod = pods.find((p) => p.spec!.nodeName === nodeName(i));
      assert.ok(pod, `a pod on ${nodeName(i)}`);
      assert.equal(pod.status!.hostIP, agentIP(i));
      assert.equal(pod.status!.podIP, agentIP(i));
      const logs = await eventually(`logs from ${nodeName(i)}`, async () => {
        const out = await kubectl(['logs', '-n', NS, pod.metadata!.name!, '--tail', '1']);
        return out.trim() ? out : undefined;
      });
      assert.equal(logs, `${nodeName(i)} alive\n`);
    }
    assert.equal(byHost.size, 3);
  });

  it('a nodeSelector DaemonSet follows its label from node to node', async () => {
    await apply(daemonSet('selected', { 'example.com/edge': 'true' }));
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(findProcesses(`${MARK}-selected`), [], 'no node has the label yet');
    await kubectl(['label', 'node', nodeName(2), 'example.com/edge=true']);
    const [pid] = await eventually('the process on host 2 only', () => {
      const m = processesByHost('selected');
      return m.get(2)!.length === 1 && m.get(1)!.length === 0 && m.get(3)!.length === 0 ? m.get(2)! : undefined;
    });
    await kubectl(['label', 'node', nodeName(2), 'example.com/edge-']);
    await kubectl(['label', 'node', nodeName(3), 'example.com/edge=true']);
    await eventually('the process moved to host 3', () => {
      const m = processesByHost('selected');
      return m.get(3)!.length === 1 && m.get(2)!.length === 0 && m.get(1)!.length === 0;
    });
    assert.equal(isAlive(pid!), false);
  });

  it('a host cut off goes NotReady with the unreachable taints while its daemon runs on; back, it is Ready with the same one daemon', async () => {
    const [pid] = processesByHost('everywhere').get(1)!;
    assert.ok(pid);
    ip('link', 'set', hostSide(1), 'down');
    const cut = await eventually(
      `${nodeName(1)} NotReady with unreachable taints`,
      async () => {
        const n = await getNode(1);
        const keys = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
        return ready(n) === 'Unknown' && keys.includes('node.kubernetes.io/unreachable:NoExecute') && keys.includes('node.kubernetes.io/unreachable:NoSchedule') ? n : undefined;
      },
      30_000,
    );
    assert.ok(cut);
    const row = (await kubectl(['get', 'node', nodeName(1), '--no-headers'])).trim().split(/\s+/);
    assert.equal(row[1], 'NotReady');
    assert.ok(isAlive(pid), 'the daemon keeps running on a host cut off');
    for (const i of [2, 3]) assert.equal(ready(await getNode(i)), 'True', `${nodeName(i)} stays Ready`);

    ip('link', 'set', hostSide(1), 'up');
    await eventually(
      `${nodeName(1)} Ready again, untainted`,
      async () => {
        const n = await getNode(1);
        return ready(n) === 'True' && !(n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable');
      },
      30_000,
    );
    assert.deepEqual(processesByHost('everywhere').get(1), [pid], 'still exactly the one daemon process there');
    await eventually('its pod Ready again', async () => {
      const pods = (JSON.parse(await kubectl(['get', 'pods', '-n', NS, '-l', 'app=everywhere', '-o', 'json'])) as { items: Pod[] }).items;
      const pod = pods.find((p) => p.spec!.nodeName === nodeName(1));
      return pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && pods.length === 3;
    });
  });
});
