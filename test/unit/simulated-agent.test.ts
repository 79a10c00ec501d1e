// The simulated agent over an in-memory API (no HTTP): registration and take-over, lease and
// status heartbeats, and the pod loop (start, status, graceful and forced deletion), with short
// intervals so the test runs in real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { registerNode } from '../../src/agent/node-registration.js';
import { SimulatedAgent } from '../../src/agent/simulated-agent.js';
import { simulatedNode } from '../../src/agent/simulated-nodes.js';
import type { KObject } from '../../src/api/object.js';
import { R } from '../../src/client/client.js';
import { startLocalApi, type LocalApi } from '../helpers/local-api.js';

const log = pino({ level: 'silent' });

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function withAgent(count: number, fn: (api: LocalApi, agent: SimulatedAgent) => Promise<void>): Promise<void> {
  const api = await startLocalApi();
  const agent = new SimulatedAgent({ client: api.client, count, namePrefix: 'sim-', labels: { pool: 'a' }, readyDelayMs: 20, log, renewIntervalMs: 100, statusIntervalMs: 200 });
  await agent.start();
  try {
    await fn(api, agent);
  } finally {
    agent.stop();
  }
}

const getPod = async (api: LocalApi, name: string): Promise<Pod> => (await api.client.get(R.pods, 'default', name)) as Pod;

function podObject(name: string, nodeName: string, image = 'nginx:1.27', extra: Partial<NonNullable<Pod['spec']>> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, containers: [{ name: 'c', image }], ...extra } };
}

test('registers every node, creates and renews their leases, refreshes their heartbeat', async () => {
  await withAgent(3, async (api) => {
    const nodes = (await api.client.list(R.nodes, undefined)).items as Node[];
    assert.deepEqual(nodes.map((n) => n.metadata!.name).sort(), ['sim-0', 'sim-1', 'sim-2']);
    assert.ok(nodes.every((n) => n.metadata!.labels!.pool === 'a' && n.status!.conditions!.some((c) => c.type === 'Ready' && c.status === 'True')));

    const lease = await eventually('a lease', async () => (await api.client.get(R.leases, 'kube-node-lease', 'sim-1')) as Lease);
    assert.equal(lease.metadata!.ownerReferences![0]!.uid, nodes.find((n) => n.metadata!.name === 'sim-1')!.metadata!.uid);
    await eventually('the lease to be renewed', async () => {
      const now = (await api.client.get(R.leases, 'kube-node-lease', 'sim-1')) as Lease;
      return now.spec!.renewTime! > lease.spec!.renewTime! ? true : undefined;
    });

    const heartbeat = (n: Node): string => n.status!.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime!;
    const before = heartbeat(nodes[0]!);
    await eventually(
      'a newer heartbeat',
      async () => (heartbeat((await api.client.get(R.nodes, undefined, nodes[0]!.metadata!.name!)) as Node) > before ? true : undefined),
      3000,
    );
  });
});

test('an existing node is taken over: same object, user labels kept, well-known labels and Ready restored', async () => {
  const api = await startLocalApi();
  const d = simulatedNode(0, { prefix: 'sim-', kernelVersion: '6.1', containerRuntimeVersion: 'simulated://1.0', bootSeed: 'x' });
  const first = await registerNode(api.client, d, new Date('2026-01-01T00:00:00Z'));
  assert.equal(first.created, true);
  // An admin labelled it; node lifecycle marked it Unknown; someone broke a well-known label.
  await api.client.patch(R.nodes, undefined, 'sim-0', 'merge', { metadata: { labels: { team: 'x', 'kubernetes.io/os': 'windows' } } });
  const unknown = first.node.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c));
  await api.client.patch(R.nodes, undefined, 'sim-0', 'strategic', { status: { conditions: unknown } }, 'status');

  const again = await registerNode(api.client, d, new Date('2026-01-01T01:00:00Z'));
  assert.equal(again.created, false);
  assert.equal(again.node.metadata!.uid, first.node.metadata!.uid);
  const stored = (await api.client.get(R.nodes, undefined, 'sim-0')) as Node;
  assert.equal(stored.metadata!.labels!.team, 'x');
  assert.equal(stored.metadata!.labels!['kubernetes.io/os'], 'linux');
  const ready = stored.status!.conditions!.find((c) => c.type === 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.lastTransitionTime], ['True', 'KubeletReady', '2026-01-01T01:00:00Z']);
  const memory = stored.status!.conditions!.find((c) => c.type === 'MemoryPressure')!;
  assert.equal(memory.lastTransitionTime, '2026-01-01T00:00:00Z', 'unchanged conditions keep their transition time');
});

test('runs bound pods, ignores pods on other nodes, and completes graceful deletion', async () => {
  await withAgent(2, async (api, agent) => {
    await api.client.create(R.pods, 'default', podObject('a', 'sim-0'));
    await api.client.create(R.pods, 'default', podObject('elsewhere', 'other-node'));
    const running = await eventually('a to be Running and Ready', async () => {
      const p = await getPod(api, 'a');
      return p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
    });
    assert.match(running.status!.podIP!, /^100\./);
    assert.equal((await getPod(api, 'elsewhere')).status!.phase, 'Pending');
    assert.equal((await getPod(api, 'elsewhere')).status!.hostIP, undefined);
    assert.equal(agent.runningPods, 1);

    await api.client.delete(R.pods, 'default', 'a');
    const marked = await getPod(api, 'a').catch(() => undefined);
    if (marked) assert.ok(marked.metadata!.deletionTimestamp, 'a bound pod is only marked at first');
    await eventually('a to be gone', async () => ((await getPod(api, 'a').catch(() => undefined)) ? undefined : true));
    await eventually('the agent to forget a', async () => (agent.runningPods === 0 ? true : undefined));
  });
});

test('a pod force-deleted while running is forgotten; its name may be reused at once', async () => {
  await withAgent(1, async (api, agent) => {
    await api.client.create(R.pods, 'default', podObject('b', 'sim-0'));
    await eventually('b running', async () => ((await getPod(api, 'b')).status?.phase === 'Running' ? true : undefined));
    await api.client.delete(R.pods, 'default', 'b', { gracePeriodSeconds: 0 });
    await api.client.create(R.pods, 'default', podObject('b', 'sim-0', 'nginx:1.28'));
    const again = await eventually('the new b running', async () => {
      const p = await getPod(api, 'b');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(again.status!.containerStatuses![0]!.image, 'docker.io/library/nginx:1.28');
    await eventually('one pod running', async () => (agent.runningPods === 1 ? true : undefined));
  });
});

test('status written by others is kept and the kubelet-owned status restored', async () => {
  await withAgent(1, async (api) => {
    await api.client.create(R.pods, 'default', podObject('c', 'sim-0'));
    const running = await eventually('c running', async () => {
      const p = await getPod(api, 'c');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    // Node lifecycle marks the pod NotReady and another controller adds its own condition.
    const conditions = running.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'False' } : c));
    conditions.push({ type: 'example.com/Checked', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' });
    await api.client.update(R.pods, 'default', { ...running, status: { ...running.status, conditions } } as KObject, 'status');
    const fixed = await eventually('Ready restored', async () => {
      const p = await getPod(api, 'c');
      return p.status!.conditions!.find((c) => c.type === 'Ready')!.status === 'True' ? p : undefined;
    });
    assert.ok(fixed.status!.conditions!.some((c) => c.type === 'example.com/Checked'));
  });
});

test('a pod already marked for deletion when first seen is torn down and deleted', async () => {
  const api = await startLocalApi();
  await api.client.create(R.pods, 'default', podObject('d', 'sim-0'));
  await api.client.delete(R.pods, 'default', 'd', { gracePeriodSeconds: 30 });
  assert.ok((await getPod(api, 'd')).metadata!.deletionTimestamp);
  const agent = new SimulatedAgent({ client: api.client, count: 1, namePrefix: 'sim-', readyDelayMs: 20, log });
  await agent.start();
  try {
    await eventually('d to be gone', async () => ((await getPod(api, 'd').catch(() => undefined)) ? undefined : true));
  } finally {
    agent.stop();
  }
});
