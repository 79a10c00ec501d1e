import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, NodeSelectorTerm, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import {
  affinityNodeNames,
  daemonPodTolerations,
  filterNode,
  nodeNameAffinity,
  outsideAffinityNodeNames,
  SchedulerMessage,
  scoreNode,
  summarizeUnschedulable,
  totalScores,
  type Reason,
} from '../../src/placement/index.js';

function node(name: string, o: { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean; allocatable?: Record<string, string> } = {}): Node {
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: o.allocatable ?? { cpu: '2', memory: '4Gi', pods: '110' } },
  };
}

function pod(spec: Partial<PodSpec> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } };
}

const messages = (reasons: Reason[]) => reasons.map((r) => r.message);

test('filterNode: each filter with upstream wording', () => {
  const cases: [string, Pod, Node, Pod[], string[]][] = [
    ['fits', pod(), node('n'), [], []],
    ['cordoned', pod(), node('n', { unschedulable: true }), [], ['node(s) were unschedulable']],
    [
      'cordoned but tolerated',
      pod({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      node('n', { unschedulable: true }),
      [],
      [],
    ],
    ['bound elsewhere', pod({ nodeName: 'other' }), node('n'), [], ["node(s) didn't match the requested node name"]],
    ['taint with value', pod(), node('n', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), [], ['node(s) had untolerated taint {dedicated: gpu}']],
    [
      'taint without value',
      pod(),
      node('n', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
      [],
      ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
    ],
    ['NoExecute taint', pod(), node('n', { taints: [{ key: 'x', effect: 'NoExecute' }] }), [], ['node(s) had untolerated taint {x: }']],
    ['PreferNoSchedule passes', pod(), node('n', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), [], []],
    ['nodeSelector', pod({ nodeSelector: { disk: 'ssd' } }), node('n'), [], ["node(s) didn't match Pod's node affinity/selector"]],
    [
      'ports',
      pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 1, hostPort: 666 }] }] }),
      node('n'),
      [pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 1, hostPort: 666 }] }] })],
      ["node(s) didn't have free ports for the requested pod ports"],
    ],
    [
      'resources (several reasons from one filter)',
      pod({ containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '3', memory: '5Gi' } } }] }),
      node('n'),
      [],
      ['Insufficient cpu', 'Insufficient memory'],
    ],
    [
      'first failing filter only: cordon before taint before affinity',
      pod({ nodeSelector: { disk: 'ssd' } }),
      node('n', { unschedulable: true, taints: [{ key: 'x', effect: 'NoSchedule' }] }),
      [],
      ['node(s) were unschedulable'],
    ],
    [
      'taint before affinity',
      pod({ nodeSelector: { disk: 'ssd' } }),
      node('n', { taints: [{ key: 'x', effect: 'NoSchedule' }, { key: 'y', effect: 'NoSchedule' }] }),
      [],
      ['node(s) had untolerated taint {x: }'],
    ],
  ];
  for (const [name, p, n, bound, want] of cases) assert.deepEqual(messages(filterNode(p, n, bound)), want, name);
});

test('filterNode runAllFilters collects every failure, with details', () => {
  const reasons = filterNode(
    pod({ nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'i', resources: { requests: { memory: '8Gi' } } }] }),
    node('n', { unschedulable: true, taints: [{ key: 'x', value: 'y', effect: 'NoSchedule' }], labels: { disk: 'hdd' } }),
    [],
    { runAllFilters: true },
  );
  assert.deepEqual(
    reasons.map((r) => [r.code, r.message, r.detail]),
    [
      ['NodeUnschedulable', 'node(s) were unschedulable', 'node is unschedulable (cordoned)'],
      ['TaintNotTolerated', 'node(s) had untolerated taint {x: y}', 'taint x=y:NoSchedule is not tolerated'],
      ['NodeAffinityMismatch', "node(s) didn't match Pod's node affinity/selector", 'nodeSelector disk=ssd: node has disk=hdd'],
      ['InsufficientResource', 'Insufficient memory', 'memory: requested 8Gi, free 4Gi of 4Gi allocatable'],
    ],
  );
});

test('a daemon pod passes the cordon and pressure taints and is pinned to its node', () => {
  const ds: DaemonSet = { metadata: { name: 'd', namespace: 'default' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } };
  const spec = ds.spec!.template.spec!;
  const daemonPod = pod({ ...spec, tolerations: daemonPodTolerations(spec), affinity: nodeNameAffinity(spec.affinity, 'node-1') });
  const cordoned = node('node-1', {
    unschedulable: true,
    taints: [
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
    ],
  });
  assert.deepEqual(filterNode(daemonPod, cordoned, []), []);
  assert.deepEqual(messages(filterNode(daemonPod, node('node-2'), [])), ["node(s) didn't match Pod's node affinity/selector"]);
  assert.deepEqual(affinityNodeNames(daemonPod), new Set(['node-1']));
});

test('affinityNodeNames: the PreFilter narrowing by metadata.name', () => {
  const withTerms = (...terms: NodeSelectorTerm[]) =>
    pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
  const name = (operator: string, ...values: string[]) => ({ key: 'metadata.name', operator, values });
  assert.equal(affinityNodeNames(pod()), null);
  assert.equal(affinityNodeNames(withTerms()), null);
  assert.equal(affinityNodeNames(withTerms({ matchExpressions: [{ key: 'a', operator: 'Exists' }] })), null);
  assert.deepEqual(affinityNodeNames(withTerms({ matchFields: [name('In', 'a', 'b')] })), new Set(['a', 'b']));
  assert.deepEqual(affinityNodeNames(withTerms({ matchFields: [name('In', 'a', 'b'), name('In', 'b', 'c')] })), new Set(['b']));
  assert.deepEqual(affinityNodeNames(withTerms({ matchFields: [name('In', 'a')] }, { matchFields: [name('In', 'b')] })), new Set(['a', 'b']));
  // One term without a name restriction: any node.
  assert.equal(affinityNodeNames(withTerms({ matchFields: [name('In', 'a')] }, { matchExpressions: [{ key: 'x', operator: 'Exists' }] })), null);
  assert.equal(affinityNodeNames(withTerms({ matchFields: [name('NotIn', 'a')] })), null);
  // Conflicting: empty set.
  assert.deepEqual(affinityNodeNames(withTerms({ matchFields: [name('In', 'a'), name('In', 'b')] })), new Set());
});

test('summarizeUnschedulable: upstream FailedScheduling message', () => {
  const r = (message: string): Reason => ({ code: 'X', message });
  const affinity = r(SchedulerMessage.nodeAffinity);
  assert.equal(
    summarizeUnschedulable(5, [[r('Insufficient memory')], [affinity], [affinity], [affinity], [affinity]]),
    "0/5 nodes are available: 1 Insufficient memory, 4 node(s) didn't match Pod's node affinity/selector.",
  );
  assert.equal(
    summarizeUnschedulable(3, new Map([
      ['a', [r('node(s) had untolerated taint {node-role.kubernetes.io/master: }')]],
      ['b', [affinity]],
      ['c', [affinity]],
    ]).values()),
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/master: }, 2 node(s) didn't match Pod's node affinity/selector.",
  );
  // One node can contribute several reasons; counts sort as strings ("10 …" before "2 …").
  const many: Reason[][] = [[r('Insufficient cpu'), r('Insufficient memory')], [r('Insufficient cpu')]];
  for (let i = 0; i < 10; i++) many.push([outsideAffinityNodeNames]);
  assert.equal(
    summarizeUnschedulable(12, many),
    "0/12 nodes are available: 1 Insufficient memory, 10 node(s) didn't satisfy plugin(s) [NodeAffinity], 2 Insufficient cpu.",
  );
  assert.equal(summarizeUnschedulable(0, []), 'no nodes available to schedule pods');
  assert.equal(summarizeUnschedulable(2, [[], []]), '0/2 nodes are available:');
  assert.equal(summarizeUnschedulable(2, [[affinity]], { preFilterMessage: SchedulerMessage.affinityTermsConflict }), '0/2 nodes are available: pod affinity terms conflict.');
  assert.equal(
    summarizeUnschedulable(1, [[r('Too many pods')]], { postFilterMessage: 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod' }),
    '0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
  );
});

test('scoreNode and totalScores: preferred affinity ×2, PreferNoSchedule ×3, normalised to 0–100', () => {
  const p = pod({
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 1, preference: { matchExpressions: [{ key: 'instance-type', operator: 'In', values: ['t2.large'] }] } },
          { weight: 3, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
        ],
      },
    },
  });
  const soft = (key: string): Taint => ({ key, effect: 'PreferNoSchedule' });
  const nodes = [
    node('best', { labels: { 'instance-type': 't2.large', zone: 'a' } }),
    node('zone', { labels: { zone: 'a' }, taints: [soft('x')] }),
    node('plain', { taints: [soft('x'), soft('y')] }),
  ];
  const scores = nodes.map((n) => scoreNode(p, n));
  assert.deepEqual(scores, [
    { preferredAffinity: 4, untoleratedPreferNoSchedule: 0 },
    { preferredAffinity: 3, untoleratedPreferNoSchedule: 1 },
    { preferredAffinity: 0, untoleratedPreferNoSchedule: 2 },
  ]);
  // affinity: 100, 75, 0; taints (reversed): 100, 50, 0.
  assert.deepEqual(totalScores(scores), [2 * 100 + 3 * 100, 2 * 75 + 3 * 50, 0]);
  assert.deepEqual(totalScores([{ preferredAffinity: 0, untoleratedPreferNoSchedule: 0 }]), [300]);
  assert.deepEqual(totalScores([]), []);
});
