import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { nodeNameAffinity } from '../../src/placement/index.js';
import { NodeState } from '../../src/scheduler/node-state.js';
import { preempt } from '../../src/scheduler/preemption.js';
import { numFeasibleNodesToFind, schedulePod, unschedulableMessage, type ClusterView, type ScheduleResult } from '../../src/scheduler/schedule.js';

function node(name: string, o: { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean; allocatable?: Record<string, string> } = {}): Node {
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: o.allocatable ?? { cpu: '2', memory: '4Gi', pods: '110' } },
  };
}

let serial = 0;
function pod(spec: Partial<PodSpec> = {}, o: { name?: string; requests?: Record<string, string>; nominated?: string; phase?: string } = {}): Pod {
  return {
    metadata: { name: o.name ?? `p${serial++}`, namespace: 'default', uid: `uid-${serial}` },
    spec: { containers: [{ name: 'c', image: 'i', resources: o.requests ? { requests: o.requests } : undefined }], ...spec },
    status: { phase: o.phase ?? 'Pending', ...(o.nominated ? { nominatedNodeName: o.nominated } : {}) },
  };
}

function bound(p: Pod, nodeName: string): Pod {
  return { ...p, spec: { ...p.spec!, nodeName } };
}

function cluster(nodes: Node[], pods: Pod[] = []): NodeState {
  const s = new NodeState();
  for (const n of nodes) s.setNode(n);
  for (const p of pods) s.setPod(p);
  return s;
}

function pinned(nodeName: string, spec: Partial<PodSpec> = {}, o: Parameters<typeof pod>[1] = {}): Pod {
  return pod({ affinity: nodeNameAffinity(undefined, nodeName), ...spec }, o);
}

/** The full FailedScheduling message, preemption included, as the Scheduler builds it. */
function failureMessage(p: Pod, view: ClusterView, r: ScheduleResult): string {
  assert.equal(r.kind, 'unschedulable');
  if (r.kind !== 'unschedulable') return '';
  if (r.numAllNodes === 0) return unschedulableMessage(r);
  const outcome = preempt(p, view, r);
  assert.notEqual(outcome.kind, 'preempt');
  return unschedulableMessage(r, outcome.kind === 'preempt' ? undefined : `preemption: ${outcome.message}`);
}

const names = (n: number, prefix = 'n') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('a pinned pod is checked against its node only, however many nodes there are', () => {
  const state = cluster(names(5000).map((n) => node(n)));
  const asked = new Set<string>();
  const spy: ClusterView = {
    nodeNames: state.nodeNames,
    node: (n) => state.node(n),
    assignedPods: (n) => (asked.add(n), state.assignedPods(n)),
    nominatedPods: (n) => state.nominatedPods(n),
  };
  const r = schedulePod(pinned('n4321'), spy);
  assert.deepEqual(r, { kind: 'scheduled', node: 'n4321', evaluated: 1 });
  assert.deepEqual([...asked], ['n4321']);
});

test('a pinned pod whose node is missing or full: upstream messages', () => {
  const five = names(5).map((n) => node(n));
  const cases: [string, Pod, Node[], Pod[], string][] = [
    [
      'node lacks memory',
      pinned('n0', {}, { requests: { memory: '8Gi' } }),
      five,
      [],
      "0/5 nodes are available: 1 Insufficient memory, 4 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.',
    ],
    [
      'node full of pods of the same priority',
      pinned('n0', {}, { requests: { memory: '3Gi' } }),
      five,
      [bound(pod({}, { requests: { memory: '2Gi' } }), 'n0')],
      "0/5 nodes are available: 1 Insufficient memory, 4 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/5 nodes are available: 1 No preemption victims found for incoming pod, 4 Preemption is not helpful for scheduling.',
    ],
    [
      'node does not exist',
      pinned('gone'),
      five,
      [],
      "0/5 nodes are available: 5 node(s) didn't satisfy plugin(s) [NodeAffinity]. " +
        'preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.',
    ],
    [
      'node cordoned, no toleration',
      pinned('n1'),
      [node('n0'), node('n1', { unschedulable: true })],
      [],
      "0/2 nodes are available: 1 node(s) didn't satisfy plugin(s) [NodeAffinity], 1 node(s) were unschedulable. " +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    ],
  ];
  for (const [what, p, nodes, pods, want] of cases) {
    const view = cluster(nodes, pods);
    assert.equal(failureMessage(p, view, schedulePod(p, view)), want, what);
  }
});

test('unpinned pods: upstream messages per filter', () => {
  const ssd = { labels: { disk: 'ssd' } };
  const cases: [string, Pod, Node[], Pod[], string][] = [
    ['no nodes', pod(), [], [], 'no nodes available to schedule pods'],
    [
      'resources and selector',
      pod({ nodeSelector: { disk: 'ssd' } }, { requests: { memory: '3Gi' } }),
      [node('a', ssd), node('b'), node('c'), node('d'), node('e')],
      [bound(pod({}, { requests: { memory: '2Gi' } }), 'a')],
      "0/5 nodes are available: 1 Insufficient memory, 4 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/5 nodes are available: 1 No preemption victims found for incoming pod, 4 Preemption is not helpful for scheduling.',
    ],
    [
      'taints and cordons',
      pod(),
      [node('a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), node('b', { unschedulable: true }), node('c', { unschedulable: true })],
      [],
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) were unschedulable. ' +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    ],
    [
      'host ports',
      pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 80 }] }] }),
      [node('a')],
      [bound(pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 80 }] }] }), 'a')],
      "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. " +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    ],
    [
      'too many pods and cpu',
      pod({}, { requests: { cpu: '1500m' } }),
      [node('a', { allocatable: { cpu: '2', memory: '4Gi', pods: '1' } })],
      [bound(pod({}, { requests: { cpu: '1' } }), 'a')],
      '0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods. ' +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    ],
    [
      'conflicting name terms',
      pod({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }, { key: 'metadata.name', operator: 'In', values: ['b'] }] }],
            },
          },
        },
      }),
      [node('a'), node('b'), node('c')],
      [],
      '0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    ],
  ];
  for (const [what, p, nodes, pods, want] of cases) {
    const view = cluster(nodes, pods);
    assert.equal(failureMessage(p, view, schedulePod(p, view)), want, what);
  }
});

test('resources: requests against allocatable minus what bound and assumed pods request', () => {
  const n = node('a', { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } });
  const cases: [string, Pod[], Record<string, string>, boolean][] = [
    ['empty node', [], { cpu: '2', memory: '4Gi' }, true],
    ['exactly the rest', [bound(pod({}, { requests: { cpu: '500m' } }), 'a')], { cpu: '1500m' }, true],
    ['one milli too much', [bound(pod({}, { requests: { cpu: '500m' } }), 'a')], { cpu: '1501m' }, false],
    ['finished pods hold nothing', [bound(pod({}, { requests: { cpu: '2' }, phase: 'Succeeded' }), 'a')], { cpu: '2' }, true],
    ['limits count as requests', [bound(pod({ containers: [{ name: 'c', image: 'i', resources: { limits: { memory: '3Gi' } } }] }), 'a')], { memory: '2Gi' }, false],
    ['pods on other nodes do not count', [bound(pod({}, { requests: { cpu: '2' } }), 'b')], { cpu: '2' }, true],
  ];
  for (const [what, pods, requests, fits] of cases) {
    const r = schedulePod(pod({}, { requests }), cluster([n], pods));
    assert.equal(r.kind === 'scheduled', fits, what);
  }
  // An assumed pod (decided, binding in flight) takes its room at once.
  const state = cluster([n]);
  state.assume(pod({}, { requests: { cpu: '1500m' } }), 'a');
  assert.equal(schedulePod(pod({}, { requests: { cpu: '1' } }), state).kind, 'unschedulable');
  assert.equal(schedulePod(pod({}, { requests: { cpu: '500m' } }), state).kind, 'scheduled');
});

test('taints, tolerations and cordoned nodes', () => {
  const nodes = [
    node('tainted', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }),
    node('noexec', { taints: [{ key: 'x', effect: 'NoExecute' }] }),
    node('cordoned', { unschedulable: true }),
  ];
  const cases: [string, Partial<PodSpec>, string | undefined][] = [
    ['nothing tolerated', {}, undefined],
    ['tolerates the NoSchedule taint', { tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }] }, 'tainted'],
    ['tolerates everything NoExecute', { tolerations: [{ operator: 'Exists', effect: 'NoExecute' }] }, 'noexec'],
    ['tolerates the cordon', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }, 'cordoned'],
  ];
  for (const [what, spec, want] of cases) {
    const r = schedulePod(pod(spec), cluster(nodes));
    assert.equal(r.kind === 'scheduled' ? r.node : undefined, want, what);
  }
});

test('scoring: PreferNoSchedule taints and preferred node affinity rank the feasible nodes', () => {
  const prefer = (weight: number, value: string) => ({ weight, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: [value] }] } });
  const cases: [string, Partial<PodSpec>, Node[], string][] = [
    ['avoid the PreferNoSchedule taint', {}, [node('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), node('b'), node('c', { taints: [{ key: 'y', effect: 'PreferNoSchedule' }] })], 'b'],
    [
      'fewer untolerated PreferNoSchedule taints win',
      {},
      [node('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }, { key: 'y', effect: 'PreferNoSchedule' }] }), node('b', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })],
      'b',
    ],
    [
      'a tolerated PreferNoSchedule taint costs nothing',
      { tolerations: [{ key: 'x', operator: 'Exists' }] },
      [node('a', { taints: [{ key: 'y', effect: 'PreferNoSchedule' }] }), node('b', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })],
      'b',
    ],
    [
      'preferred affinity: the heavier term wins',
      { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [prefer(10, 'east'), prefer(50, 'west')] } } },
      [node('a', { labels: { zone: 'east' } }), node('b', { labels: { zone: 'west' } }), node('c')],
      'b',
    ],
    [
      'taint weight (3) beats affinity weight (2)',
      { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [prefer(100, 'east')] } } },
      [node('a', { labels: { zone: 'east' }, taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), node('b')],
      'b',
    ],
  ];
  for (const [what, spec, nodes, want] of cases) {
    for (const random of [() => 0, () => 0.999]) {
      const r = schedulePod(pod(spec), cluster(nodes), { random });
      assert.equal(r.kind === 'scheduled' ? r.node : undefined, want, what);
    }
  }
});

test('ties are broken at random', () => {
  const view = cluster(names(3).map((n) => node(n)));
  const pick = (random: () => number) => {
    const r = schedulePod(pod(), view, { random });
    return r.kind === 'scheduled' ? r.node : undefined;
  };
  assert.equal(pick(() => 0.999), 'n0');
  assert.equal(pick(() => 0), 'n2');
  const seen = new Set(Array.from({ length: 200 }, () => pick(Math.random)));
  assert.deepEqual([...seen].sort(), ['n0', 'n1', 'n2']);
});

test('enough feasible nodes: the scan stops early and starts where the last one stopped', () => {
  const cases: [number, number][] = [
    [1, 1],
    [50, 50],
    [99, 99],
    [100, 100],
    [250, 120],
    [1000, 420],
    [5000, 500],
    [6000, 300],
    [10_000, 500],
  ];
  for (const [n, want] of cases) assert.equal(numFeasibleNodesToFind(n), want, `${n} nodes`);

  const view = cluster(names(1000).map((n) => node(n)));
  const r = schedulePod(pod(), view, { startIndex: 990, random: () => 0.999 });
  assert.deepEqual(r, { kind: 'scheduled', node: 'n990', evaluated: 420 });
});

test('the nominated node is tried first', () => {
  const view = cluster(names(3).map((n) => node(n)));
  assert.deepEqual(schedulePod(pod({}, { nominated: 'n2' }), view, { random: () => 0.999 }), { kind: 'scheduled', node: 'n2', evaluated: 1 });
});

test('room reserved by a nominated pod of at least the same priority is not given away', () => {
  const n = node('a', { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } });
  const cases: [string, number, number, boolean][] = [
    ['higher-priority nomination', 100, 10, false],
    ['equal-priority nomination', 10, 10, false],
    ['lower-priority nomination', 5, 10, true],
  ];
  for (const [what, nominatedPriority, priority, fits] of cases) {
    const state = cluster([n]);
    state.nominate(pod({ priority: nominatedPriority }, { requests: { cpu: '2' } }), 'a');
    assert.equal(schedulePod(pod({ priority }, { requests: { cpu: '1' } }), state).kind === 'scheduled', fits, what);
  }
  // A pod does not compete with its own nomination.
  const state = cluster([n]);
  const self = pod({ priority: 10 }, { requests: { cpu: '2' }, nominated: 'a' });
  state.setPod(self);
  assert.equal(schedulePod(self, state).kind, 'scheduled');
});
