import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeState } from '../../src/scheduler/node-state.js';
import { clearNominationPatch, preemptedPatch, unschedulablePatch } from '../../src/scheduler/pod-status.js';
import { needsScheduling } from '../../src/scheduler/pods.js';
import { SchedulingQueue } from '../../src/scheduler/queue.js';

const node = (name: string): Node => ({ metadata: { name }, status: { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } } });

function pod(name: string, o: { node?: string; phase?: string; nominated?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns' },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: { phase: o.phase ?? 'Pending', ...(o.nominated ? { nominatedNodeName: o.nominated } : {}) },
  };
}

const names = (pods: readonly Pod[]) => pods.map((p) => p.metadata!.name).sort();

test('NodeState: bound pods are counted on their node; finished and deleted ones are not', () => {
  const s = new NodeState();
  s.setPod(pod('a', { node: 'n1' }));
  s.setPod(pod('b', { node: 'n1' }));
  s.setPod(pod('c', { node: 'n2' }));
  s.setPod(pod('unbound'));
  assert.deepEqual(names(s.assignedPods('n1')), ['a', 'b']);
  s.setPod(pod('b', { node: 'n1', phase: 'Succeeded' }));
  s.deletePod(pod('c', { node: 'n2' }));
  assert.deepEqual(names(s.assignedPods('n1')), ['a']);
  assert.deepEqual(s.assignedPods('n2'), []);
});

test('NodeState: an assumed pod holds its room until the binding shows up or fails', () => {
  const s = new NodeState();
  const p = pod('p');
  s.assume(p, 'n1');
  assert.deepEqual(names(s.assignedPods('n1')), ['p']);
  assert.equal(s.assignedPods('n1')[0]!.spec!.nodeName, 'n1');
  assert.ok(s.isAssumed('ns/p'));
  // A status-only update of the still-unbound pod does not drop the assumption.
  s.setPod(pod('p'));
  assert.deepEqual(names(s.assignedPods('n1')), ['p']);
  // The informer shows it bound: no longer assumed, still counted.
  s.setPod(pod('p', { node: 'n1' }));
  assert.ok(!s.isAssumed('ns/p'));
  assert.deepEqual(names(s.assignedPods('n1')), ['p']);
  // Forgetting only undoes assumptions.
  s.forget(pod('p'));
  assert.deepEqual(names(s.assignedPods('n1')), ['p']);
  const q = pod('q');
  s.assume(q, 'n2');
  s.forget(q);
  assert.deepEqual(s.assignedPods('n2'), []);
});

test('NodeState: nodes come and go; the order is stable for the rest', () => {
  const s = new NodeState();
  for (const n of ['a', 'b', 'c', 'd']) s.setNode(node(n));
  s.setNode({ ...node('b'), metadata: { name: 'b', labels: { x: 'y' } } });
  assert.deepEqual(s.node('b')?.metadata?.labels, { x: 'y' });
  s.deleteNode('b');
  s.deleteNode('zz');
  assert.deepEqual([...s.nodeNames].sort(), ['a', 'c', 'd']);
  assert.equal(s.node('b'), undefined);
  s.deleteNode('d');
  s.setNode(node('e'));
  assert.deepEqual([...s.nodeNames].sort(), ['a', 'c', 'e']);
  for (const n of s.nodeNames) assert.ok(s.node(n));
});

test('NodeState: nominations from status and from memory', () => {
  const s = new NodeState();
  s.setPod(pod('p', { nominated: 'n1' }));
  assert.deepEqual(names(s.nominatedPods('n1')), ['p']);
  // An update that does not carry the nomination (yet) keeps the one in memory.
  s.nominate(pod('q'), 'n2');
  s.setPod(pod('q'));
  assert.deepEqual(names(s.nominatedPods('n2')), ['q']);
  // A new nomination moves it.
  s.setPod(pod('q', { nominated: 'n3' }));
  assert.deepEqual(s.nominatedPods('n2'), []);
  assert.deepEqual(names(s.nominatedPods('n3')), ['q']);
  // Bound, assumed or cleared: no longer nominated.
  s.setPod(pod('p', { node: 'n1' }));
  assert.deepEqual(s.nominatedPods('n1'), []);
  s.assume(pod('q'), 'n3');
  assert.deepEqual(s.nominatedPods('n3'), []);
  s.nominate(pod('r'), 'n4');
  s.unnominate('ns/r');
  assert.deepEqual(s.nominatedPods('n4'), []);
});

test('needsScheduling: unbound pods of the default scheduler only', () => {
  const base = pod('p');
  const cases: [string, Pod, boolean][] = [
    ['unbound', base, true],
    ['explicit default-scheduler', { ...base, spec: { ...base.spec!, schedulerName: 'default-scheduler' } }, true],
    ['another scheduler', { ...base, spec: { ...base.spec!, schedulerName: 'other' } }, false],
    ['bound', pod('p', { node: 'n' }), false],
    ['terminating', { ...base, metadata: { ...base.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }, false],
    ['failed', pod('p', { phase: 'Failed' }), false],
    ['gated', { ...base, spec: { ...base.spec!, schedulingGates: [{ name: 'wait' }] } }, false],
  ];
  for (const [what, p, want] of cases) assert.equal(needsScheduling(p), want, what);
});

test('status patches: written only when they change something', () => {
  const now = new Date('2024-05-01T10:00:00.123Z');
  const msg = '0/1 nodes are available: 1 Insufficient cpu.';
  const pending = pod('p');
  assert.deepEqual(unschedulablePatch(pending, 'Unschedulable', msg, undefined, now), {
    status: {
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastProbeTime: null, lastTransitionTime: '2024-05-01T10:00:00Z' }],
    },
  });
  const already: Pod = {
    ...pending,
    status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastTransitionTime: '2024-04-01T00:00:00Z' }], nominatedNodeName: 'n1' },
  };
  assert.equal(unschedulablePatch(already, 'Unschedulable', msg, undefined, now), undefined);
  assert.equal(unschedulablePatch(already, 'Unschedulable', msg, 'n1', now), undefined);
  assert.deepEqual(unschedulablePatch(already, 'Unschedulable', msg, null, now), { status: { nominatedNodeName: null } });
  // A new message keeps the transition time (the status did not change).
  assert.deepEqual(unschedulablePatch(already, 'Unschedulable', 'other', 'n2', now), {
    status: {
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'other', lastProbeTime: null, lastTransitionTime: '2024-04-01T00:00:00Z' }],
      nominatedNodeName: 'n2',
    },
  });
  assert.deepEqual(preemptedPatch('default-scheduler', now), {
    status: {
      conditions: [
        {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'PreemptionByScheduler',
          message: 'default-scheduler: preempting to accommodate a higher priority pod',
          lastProbeTime: null,
          lastTransitionTime: '2024-05-01T10:00:00Z',
        },
      ],
    },
  });
  assert.deepEqual(clearNominationPatch, { status: { nominatedNodeName: null } });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function drain(q: SchedulingQueue): string[] {
  const out: string[] = [];
  for (let k = q.pop(); k !== undefined; k = q.pop()) out.push(k);
  return out;
}

test('SchedulingQueue: higher priority first, then first come first served; no duplicates', () => {
  const q = new SchedulingQueue(() => {});
  q.add('a', 0);
  q.add('b', 100);
  q.add('c', 0);
  q.add('a', 0);
  q.add('d', 100);
  q.add('e', -5);
  assert.deepEqual(drain(q), ['b', 'd', 'a', 'c', 'e']);
  // In flight: adding again is a no-op until it is done.
  q.add('b', 100);
  assert.equal(q.pop(), undefined);
  q.done('b');
  q.add('b', 100);
  assert.equal(q.pop(), 'b');
  q.stop();
});

test('SchedulingQueue: unschedulable pods wait for a change, then for their back-off', async () => {
  let ready = 0;
  const q = new SchedulingQueue(() => ready++, { initialBackoffMs: 40, maxBackoffMs: 100, maxUnschedulableMs: 60_000 });
  q.add('p', 0);
  assert.equal(q.pop(), 'p');
  q.unschedulable('p', 0);
  assert.ok(q.isUnschedulable('p'));
  // An add (e.g. a status update of the pod) does not pull it out of the pool.
  q.add('p', 0);
  assert.equal(q.pop(), undefined);
  await sleep(60);
  assert.equal(q.pop(), undefined, 'nothing changed: it stays in the pool');
  q.moveAll();
  assert.equal(q.pop(), 'p', 'back-off already over: straight to the active queue');
  q.unschedulable('p', 0);
  q.moveAll();
  assert.equal(q.pop(), undefined, 'second failure: 80 ms back-off');
  await sleep(100);
  assert.equal(q.pop(), 'p');
  // Errors retry after the back-off without waiting for a change; the cap holds.
  q.backoff('p', 0);
  assert.equal(q.pop(), undefined);
  await sleep(120);
  assert.equal(q.pop(), 'p');
  q.done('p');
  q.remove('p');
  assert.ok(ready > 0);
  q.stop();
});

test('SchedulingQueue: a changed pod leaves the pool; leftovers are flushed; removed pods are gone', async () => {
  let now = 0;
  const q = new SchedulingQueue(() => {}, { initialBackoffMs: 10, maxBackoffMs: 10, maxUnschedulableMs: 1000 }, () => now);
  for (const k of ['a', 'b', 'c']) q.add(k, 0);
  drain(q);
  for (const k of ['a', 'b', 'c']) q.unschedulable(k, 0);
  now = 500;
  q.podChanged('a', 0);
  assert.deepEqual(drain(q), ['a']);
  q.remove('b');
  now = 1500;
  q.flushLeftovers();
  assert.deepEqual(drain(q), ['c']);
  q.stop();
});
