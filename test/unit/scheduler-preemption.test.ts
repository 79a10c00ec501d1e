import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { nodeNameAffinity } from '../../src/placement/index.js';
import { NodeState } from '../../src/scheduler/node-state.js';
import { moreImportantFirst, numCandidates, pickCandidate, preempt, selectVictims, type PreemptionOutcome } from '../../src/scheduler/preemption.js';
import { schedulePod, unschedulableMessage } from '../../src/scheduler/schedule.js';

function node(name: string, o: { cpu?: string; pods?: string; taints?: Taint[]; labels?: Record<string, string> } = {}): Node {
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: { taints: o.taints },
    status: { allocatable: { cpu: o.cpu ?? '4', memory: '8Gi', pods: o.pods ?? '110' } },
  };
}

interface PodOpts {
  priority?: number;
  cpu?: string;
  node?: string;
  started?: string;
  nominated?: string;
  policy?: string;
  hostPort?: number;
  terminatingByPreemption?: boolean;
  spec?: Partial<PodSpec>;
}

function pod(name: string, o: PodOpts = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(o.terminatingByPreemption ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'i',
          resources: o.cpu ? { requests: { cpu: o.cpu } } : undefined,
          ports: o.hostPort ? [{ containerPort: o.hostPort, hostPort: o.hostPort }] : undefined,
        },
      ],
      priority: o.priority ?? 0,
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.policy ? { preemptionPolicy: o.policy } : {}),
      ...o.spec,
    },
    status: {
      phase: o.node ? 'Running' : 'Pending',
      ...(o.started ? { startTime: o.started } : {}),
      ...(o.nominated ? { nominatedNodeName: o.nominated } : {}),
      ...(o.terminatingByPreemption ? { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] } : {}),
    },
  };
}

function cluster(nodes: Node[], pods: Pod[] = []): NodeState {
  const s = new NodeState();
  for (const n of nodes) s.setNode(n);
  for (const p of pods) s.setPod(p);
  return s;
}

/** Schedules, expects no fit, and runs preemption on the diagnosis. */
function tryPreempt(p: Pod, view: NodeState, offset = 0): { outcome: PreemptionOutcome; message: string } {
  const r = schedulePod(p, view);
  assert.equal(r.kind, 'unschedulable');
  if (r.kind !== 'unschedulable') throw new Error('scheduled');
  const outcome = preempt(p, view, r, { offset });
  const message = unschedulableMessage(r, outcome.kind === 'preempt' ? undefined : `preemption: ${outcome.message}`);
  return { outcome, message };
}

const victimNames = (o: PreemptionOutcome) => (o.kind === 'preempt' ? o.victims.map((v) => v.metadata!.name) : []);

test('a high-priority pod on a full node evicts the least important pods it needs to', () => {
  const cases: [string, Pod[], PodOpts, string[]][] = [
    ['one low pod makes room', [pod('low', { priority: 1, cpu: '4', node: 'a' })], { priority: 10, cpu: '1' }, ['low']],
    [
      'the lowest priority goes first',
      [pod('p1', { priority: 1, cpu: '2', node: 'a' }), pod('p5', { priority: 5, cpu: '2', node: 'a' })],
      { priority: 10, cpu: '2' },
      ['p1'],
    ],
    [
      'only as many as needed',
      ['x', 'y', 'z', 'w'].map((n) => pod(n, { priority: 1, cpu: '1', node: 'a', started: `2024-01-0${'xyzw'.indexOf(n) + 1}T00:00:00Z` })),
      { priority: 10, cpu: '2' },
      // Equal priority: the ones that started last go (older ones are reprieved first); most important first.
      ['z', 'w'],
    ],
    [
      'equal and higher priority pods stay, even if that means evicting more',
      [pod('same', { priority: 10, cpu: '2', node: 'a' }), pod('l1', { priority: 1, cpu: '1', node: 'a' }), pod('l2', { priority: 2, cpu: '1', node: 'a' })],
      { priority: 10, cpu: '2' },
      ['l2', 'l1'],
    ],
    [
      'host port conflict',
      [pod('web', { priority: 0, hostPort: 80, node: 'a' }), pod('other', { priority: 0, node: 'a' })],
      { priority: 100, hostPort: 80 },
      ['web'],
    ],
  ];
  for (const [what, pods, opts, want] of cases) {
    const view = cluster([node('a')], pods);
    const { outcome } = tryPreempt(pod('hi', opts), view);
    assert.equal(outcome.kind, 'preempt', what);
    assert.equal(outcome.kind === 'preempt' && outcome.node, 'a', what);
    assert.deepEqual(victimNames(outcome), want, what);
  }
});

test('never preempts pods of equal or higher priority; upstream messages when preemption cannot help', () => {
  const cases: [string, Node[], Pod[], PodOpts, string][] = [
    [
      'only equal priority pods',
      [node('a', { cpu: '1' })],
      [pod('eq', { priority: 10, cpu: '1', node: 'a' })],
      { priority: 10, cpu: '1' },
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    ],
    [
      'only higher priority pods',
      [node('a', { cpu: '1' })],
      [pod('hi', { priority: 20, cpu: '1', node: 'a' })],
      { priority: 10, cpu: '1' },
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    ],
    [
      'evicting every lower pod is still not enough',
      [node('a', { cpu: '2' })],
      [pod('hi', { priority: 20, cpu: '1500m', node: 'a' }), pod('lo', { priority: 1, cpu: '500m', node: 'a' })],
      { priority: 10, cpu: '1' },
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.',
    ],
    [
      'more than the node has in all',
      [node('a', { cpu: '2' })],
      [pod('lo', { priority: 1, cpu: '1', node: 'a' })],
      { priority: 10, cpu: '3' },
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    ],
    [
      'taints are not cured by evicting',
      [node('a', { cpu: '1', taints: [{ key: 'k', effect: 'NoSchedule' }] }), node('b', { cpu: '1' })],
      [pod('lo-a', { priority: 1, cpu: '1', node: 'a' }), pod('eq-b', { priority: 10, cpu: '1', node: 'b' })],
      { priority: 10, cpu: '1' },
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }. ' +
        'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
    ],
    [
      'preemptionPolicy Never',
      [node('a', { cpu: '1' })],
      [pod('lo', { priority: 1, cpu: '1', node: 'a' })],
      { priority: 10, cpu: '1', policy: 'Never' },
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    ],
  ];
  for (const [what, nodes, pods, opts, want] of cases) {
    const { outcome, message } = tryPreempt(pod('p', opts), cluster(nodes, pods));
    assert.notEqual(outcome.kind, 'preempt', what);
    assert.equal(message, want, what);
  }
});

test('the node to preempt on: least important victims, then fewest, then latest started', () => {
  const full = (prefix: string, pods: [number, string, string?][]) => pods.map(([priority, cpu, started], i) => pod(`${prefix}${i}`, { priority, cpu, node: prefix, started }));
  const cases: [string, Pod[], string][] = [
    ['lower highest victim priority', [...full('a', [[5, '4']]), ...full('b', [[3, '4']])], 'b'],
    ['smaller sum of priorities', [...full('a', [[3, '2'], [3, '2']]), ...full('b', [[3, '2'], [1, '2']])], 'b'],
    ['fewer victims', [...full('a', [[0, '2'], [0, '2']]), ...full('b', [[0, '4']])], 'b'],
    [
      'the most important victims started latest',
      [...full('a', [[2, '4', '2024-01-01T00:00:00Z']]), ...full('b', [[2, '4', '2024-06-01T00:00:00Z']])],
      'b',
    ],
    ['still tied: the first candidate', [...full('a', [[2, '4']]), ...full('b', [[2, '4']])], 'a'],
  ];
  for (const [what, pods, want] of cases) {
    const { outcome } = tryPreempt(pod('hi', { priority: 10, cpu: '4' }), cluster([node('a'), node('b')], pods));
    assert.equal(outcome.kind === 'preempt' && outcome.node, want, what);
  }
});

test('pickCandidate and victim ordering directly', () => {
  const v = (name: string, priority: number, started?: string) => pod(name, { priority, started });
  assert.deepEqual(
    [v('a', 1, '2024-02-01T00:00:00Z'), v('b', 5), v('c', 1, '2024-01-01T00:00:00Z'), v('d', 1)].sort(moreImportantFirst).map((p) => p.metadata!.name),
    ['b', 'c', 'a', 'd'],
  );
  assert.equal(pickCandidate([]), undefined);
  // Negative priorities: many victims still weigh more than few.
  const picked = pickCandidate([
    { node: 'many', victims: [v('x', -5), v('y', -5), v('z', -5)] },
    { node: 'few', victims: [v('w', -5)] },
  ]);
  assert.equal(picked?.node, 'few');
  assert.deepEqual([10, 100, 999, 1000, 5000].map(numCandidates), [10, 100, 100, 100, 500]);
});

test('a pinned (daemon) pod only preempts on its own node', () => {
  const affinity = nodeNameAffinity(undefined, 'b');
  const view = cluster([node('a'), node('b'), node('c')], [pod('la', { priority: 0, cpu: '4', node: 'a' }), pod('lb', { priority: 0, cpu: '4', node: 'b' })]);
  const { outcome, message } = tryPreempt(pod('ds', { priority: 2000001000, cpu: '1', spec: { affinity } }), view);
  assert.equal(outcome.kind === 'preempt' && outcome.node, 'b');
  assert.deepEqual(victimNames(outcome), ['lb']);
  assert.equal(message, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].");
});

test('while its victims terminate, a nominated pod waits instead of preempting more', () => {
  const pods = [pod('going', { priority: 1, cpu: '4', node: 'a', terminatingByPreemption: true }), pod('lo-b', { priority: 1, cpu: '4', node: 'b' })];
  const view = cluster([node('a'), node('b')], pods);
  const { outcome, message } = tryPreempt(pod('hi', { priority: 10, cpu: '4', nominated: 'a' }), view);
  assert.deepEqual(outcome, { kind: 'ineligible', message: 'not eligible due to a terminating pod on the nominated node.' });
  assert.equal(message, '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.');
  // Without the nomination it would preempt (on b: a's pod is already going, but is still counted).
  assert.equal(tryPreempt(pod('hi2', { priority: 10, cpu: '4' }), view).outcome.kind, 'preempt');
});

test('lower-priority pods nominated to the chosen node lose their nomination', () => {
  const view = cluster([node('a')], [pod('lo', { priority: 1, cpu: '4', node: 'a' })]);
  const waiting = pod('mid', { priority: 5, cpu: '1', nominated: 'a' });
  const above = pod('top', { priority: 50, cpu: '1', nominated: 'a' });
  view.setPod(waiting);
  const { outcome } = tryPreempt(pod('hi', { priority: 10, cpu: '2' }), view);
  assert.equal(outcome.kind, 'preempt');
  assert.deepEqual(outcome.kind === 'preempt' && outcome.demoted.map((p) => p.metadata!.name), ['mid']);
  // A nomination of higher priority keeps its room: the victims must make room for both.
  view.setPod(above);
  const again = tryPreempt(pod('hi3', { priority: 10, cpu: '3' }), view);
  assert.deepEqual(victimNames(again.outcome), ['lo']);
  assert.ok('reasons' in selectVictims(pod('hi4', { priority: 10, cpu: '4' }), view, 'a'));
});
