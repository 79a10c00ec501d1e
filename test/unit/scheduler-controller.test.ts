import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../src/api/object.js';
import { R } from '../../src/client/client.js';
import { nodeNameAffinity } from '../../src/placement/index.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { controllerContext, eventually, startLocalApi, type LocalApi } from '../helpers/local-api.js';

function nodeObj(name: string, cpu = '2'): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { allocatable: { cpu, memory: '4Gi', pods: '110' }, capacity: { cpu, memory: '4Gi', pods: '110' } } };
}

function podObj(name: string, o: { cpu?: string; priorityClassName?: string; node?: string; pinnedTo?: string } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [{ name: 'c', image: 'busybox', resources: o.cpu ? { requests: { cpu: o.cpu } } : undefined }],
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.pinnedTo ? { affinity: nodeNameAffinity(undefined, o.pinnedTo) } : {}),
    },
  };
}

async function setup(t: { after(fn: () => void): void }): Promise<{ api: LocalApi; scheduler: Scheduler }> {
  const api = await startLocalApi();
  const ctx = controllerContext(api);
  const scheduler = new Scheduler(ctx, { queue: { initialBackoffMs: 20, maxBackoffMs: 100, maxUnschedulableMs: 60_000 } });
  await ctx.informers.start();
  await scheduler.start();
  t.after(() => {
    scheduler.stop();
    ctx.informers.stop();
  });
  return { api, scheduler };
}

async function getPod(api: LocalApi, name: string): Promise<Pod> {
  return (await api.client.get(R.pods, 'default', name)) as Pod;
}

async function events(api: LocalApi, reason: string, involved?: string): Promise<KObject[]> {
  const { items } = await api.client.list(R.events, 'default');
  return items.filter((e) => e.reason === reason && (!involved || (e.involvedObject as { name: string }).name === involved));
}

test('pods are bound to nodes and get a Scheduled event', async (t) => {
  const { api } = await setup(t);
  for (const n of ['n1', 'n2', 'n3']) await api.client.create(R.nodes, undefined, nodeObj(n));
  for (let i = 0; i < 6; i++) await api.client.create(R.pods, 'default', podObj(`p${i}`, { cpu: '500m' }));
  for (let i = 0; i < 6; i++) {
    const p = await eventually(async () => {
      const pod = await getPod(api, `p${i}`);
      return pod.spec?.nodeName ? pod : undefined;
    }, 5000, `p${i} bound`);
    assert.match(p.spec!.nodeName!, /^n[123]$/);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
  }
  const scheduled = await eventually(async () => {
    const evs = await events(api, 'Scheduled', 'p0');
    return evs.length ? evs : undefined;
  }, 5000, 'Scheduled event');
  const p0 = await getPod(api, 'p0');
  assert.equal(scheduled[0]!.message, `Successfully assigned default/p0 to ${p0.spec!.nodeName}`);
  assert.equal((scheduled[0]!.source as { component: string }).component, 'default-scheduler');
});

test('pinned daemon-style pods go to their named node, many at once', async (t) => {
  const { api } = await setup(t);
  const n = 200;
  await Promise.all(Array.from({ length: n }, (_, i) => api.client.create(R.nodes, undefined, nodeObj(`node-${i}`))));
  await Promise.all(Array.from({ length: n }, (_, i) => api.client.create(R.pods, 'default', podObj(`ds-${i}`, { pinnedTo: `node-${i}` }))));
  await eventually(async () => {
    const { items } = await api.client.list(R.pods, 'default');
    return items.length === n && items.every((p) => (p as Pod).spec?.nodeName === `node-${(p.metadata.name ?? '').slice(3)}`);
  }, 10_000, 'all daemon pods bound to their nodes');
});

test('an unschedulable pod says why, and binds once a node with room appears', async (t) => {
  const { api } = await setup(t);
  await api.client.create(R.nodes, undefined, nodeObj('small', '1'));
  await api.client.create(R.pods, 'default', podObj('big', { cpu: '3' }));
  const want =
    '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
  const cond = await eventually(async () => (await getPod(api, 'big')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 5000, 'PodScheduled condition');
  assert.equal(cond.status, 'False');
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, want);
  const failed = await eventually(async () => {
    const evs = await events(api, 'FailedScheduling', 'big');
    return evs.length ? evs : undefined;
  }, 5000, 'FailedScheduling event');
  assert.equal(failed[0]!.type, 'Warning');
  assert.equal(failed[0]!.message, want);
  assert.equal((await getPod(api, 'big')).spec?.nodeName, undefined);

  await api.client.create(R.nodes, undefined, nodeObj('large', '4'));
  const bound = await eventually(async () => (await getPod(api, 'big')).spec?.nodeName, 5000, 'big bound after the node was added');
  assert.equal(bound, 'large');
});

test('a pod bound elsewhere frees room: the waiting pod is retried when it goes', async (t) => {
  const { api } = await setup(t);
  await api.client.create(R.nodes, undefined, nodeObj('only', '2'));
  await api.client.create(R.pods, 'default', podObj('hog', { cpu: '2', node: 'only' }));
  await api.client.create(R.pods, 'default', podObj('waiter', { cpu: '1' }));
  await eventually(async () => (await getPod(api, 'waiter')).status?.conditions?.some((c) => c.reason === 'Unschedulable'), 5000, 'waiter unschedulable');
  // Nobody runs the pod, so delete it at once (as its node's agent would once it stopped).
  await api.client.delete(R.pods, 'default', 'hog', { gracePeriodSeconds: 0 });
  assert.equal(await eventually(async () => (await getPod(api, 'waiter')).spec?.nodeName, 5000, 'waiter bound'), 'only');
});

test('a high-priority pod on a full node preempts a low-priority pod, then binds', async (t) => {
  const { api } = await setup(t);
  await api.client.create(R.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10 });
  await api.client.create(R.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
  await api.client.create(R.nodes, undefined, nodeObj('full', '2'));
  await api.client.create(R.pods, 'default', podObj('victim', { cpu: '2', priorityClassName: 'low' }));
  await eventually(async () => (await getPod(api, 'victim')).spec?.nodeName, 5000, 'victim bound');
  const victimUid = (await getPod(api, 'victim')).metadata!.uid;

  await api.client.create(R.pods, 'default', podObj('vip', { cpu: '2', priorityClassName: 'high' }));
  // The victim is marked and deleted gracefully (it is bound, so it waits for its agent).
  const marked = await eventually(async () => {
    const v = await getPod(api, 'victim');
    return v.metadata?.deletionTimestamp ? v : undefined;
  }, 5000, 'victim terminating');
  const disruption = marked.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  assert.equal(disruption?.status, 'True');
  assert.equal(disruption?.reason, 'PreemptionByScheduler');
  const vip = await eventually(async () => {
    const p = await getPod(api, 'vip');
    return p.status?.nominatedNodeName ? p : undefined;
  }, 5000, 'vip nominated');
  assert.equal(vip.status!.nominatedNodeName, 'full');
  assert.equal(vip.spec?.nodeName, undefined);
  assert.equal(vip.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, '0/1 nodes are available: 1 Insufficient cpu.');
  const vipUid = vip.metadata!.uid;
  const preempted = await eventually(async () => {
    const evs = await events(api, 'Preempted', 'victim');
    return evs.length ? evs : undefined;
  }, 5000, 'Preempted event');
  assert.equal(preempted[0]!.message, `Preempted by pod ${vipUid} on node full`);
  assert.equal((preempted[0]!.involvedObject as { uid: string }).uid, victimUid);

  // The agent finishes the victim off; the preemptor then binds to its nominated node.
  await api.client.delete(R.pods, 'default', 'victim', { gracePeriodSeconds: 0 });
  assert.equal(await eventually(async () => (await getPod(api, 'vip')).spec?.nodeName, 5000, 'vip bound'), 'full');
});

test('a low-priority pod never preempts; a preemptionPolicy Never pod waits', async (t) => {
  const { api } = await setup(t);
  await api.client.create(R.priorityclasses, undefined, {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'polite' },
    value: 1000,
    preemptionPolicy: 'Never',
  });
  await api.client.create(R.nodes, undefined, nodeObj('n', '1'));
  await api.client.create(R.pods, 'default', podObj('resident', { cpu: '1' }));
  await eventually(async () => (await getPod(api, 'resident')).spec?.nodeName, 5000, 'resident bound');
  await api.client.create(R.pods, 'default', podObj('peer', { cpu: '1' }));
  await api.client.create(R.pods, 'default', podObj('polite', { cpu: '1', priorityClassName: 'polite' }));
  const peer = await eventually(async () => (await getPod(api, 'peer')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 5000, 'peer condition');
  assert.equal(peer.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
  const polite = await eventually(async () => (await getPod(api, 'polite')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 5000, 'polite condition');
  assert.equal(polite.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  const resident = await getPod(api, 'resident');
  assert.equal(resident.metadata?.deletionTimestamp, undefined);
});

test('pods of other schedulers and pods already bound are left alone', async (t) => {
  const { api } = await setup(t);
  await api.client.create(R.nodes, undefined, nodeObj('n'));
  const other = podObj('other');
  (other.spec as { schedulerName?: string }).schedulerName = 'my-scheduler';
  await api.client.create(R.pods, 'default', other);
  await api.client.create(R.pods, 'default', podObj('mine'));
  await eventually(async () => (await getPod(api, 'mine')).spec?.nodeName, 5000, 'mine bound');
  await new Promise((r) => setTimeout(r, 50));
  const o = await getPod(api, 'other');
  assert.equal(o.spec?.nodeName, undefined);
  assert.equal(o.status?.conditions, undefined);
  assert.deepEqual(await events(api, 'FailedScheduling'), []);
});

test('cordoned and tainted nodes are skipped; uncordoning lets the pod in', async (t) => {
  const { api } = await setup(t);
  const cordoned = nodeObj('c');
  cordoned.spec = { unschedulable: true };
  await api.client.create(R.nodes, undefined, cordoned);
  const tainted = nodeObj('t');
  tainted.spec = { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] };
  await api.client.create(R.nodes, undefined, tainted);
  await api.client.create(R.pods, 'default', podObj('p'));
  const cond = await eventually(async () => (await getPod(api, 'p')).status?.conditions?.find((c) => c.type === 'PodScheduled'), 5000, 'condition');
  assert.equal(
    cond.message,
    '0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable. ' +
      'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
  );
  await api.client.patch(R.nodes, undefined, 'c', 'merge', { spec: { unschedulable: null } });
  assert.equal(await eventually(async () => (await getPod(api, 'p')).spec?.nodeName, 5000, 'bound after uncordon'), 'c');
  const n = (await api.client.get(R.nodes, undefined, 'c')) as Node;
  assert.equal(n.spec?.unschedulable, undefined);
});
