import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Container, Node, NodeCondition, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { hypotheticalDaemonPod, shouldRunDaemonPod } from '../../src/placement/index.js';

const DS_LABELS = { name: 'simple-daemon', type: 'production' };

interface NodeOptions {
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  conditions?: NodeCondition[];
}

function node(name: string, o: NodeOptions = {}): Node {
  return {
    metadata: { name, labels: o.labels ?? {} },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      allocatable: { memory: '100M', cpu: '1', pods: '100' },
      conditions: o.conditions ?? [{ type: 'Ready', status: 'True' }],
    },
  };
}

function ds(spec: Partial<PodSpec> = {}, namespace = 'default'): DaemonSet {
  const container: Container = { name: 'foo', image: 'foo/bar' };
  return {
    metadata: { name: 'foo', namespace },
    spec: {
      selector: { matchLabels: DS_LABELS },
      template: { metadata: { labels: DS_LABELS }, spec: { containers: [container], ...spec } },
    },
  };
}

function decision(n: Node, d: DaemonSet): [boolean, boolean] {
  const r = shouldRunDaemonPod(n, d);
  return [r.shouldRun, r.shouldContinueRunning];
}

function requests(memory: string): Partial<PodSpec> {
  return { containers: [{ name: 'c', image: 'i', resources: { requests: { memory, cpu: '100m' } } }] };
}

const affinity = (values: string[]): Partial<PodSpec> => ({
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'In', values }] }],
      },
    },
  },
});

test('NodeShouldRunDaemonPod table (resources, ports and the unschedulable flag are not considered)', () => {
  const n = node('test-node', { labels: DS_LABELS });
  const hostPort = { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 666, hostPort: 666 }] }] };
  const cases: [string, Partial<PodSpec>, Node, [boolean, boolean]][] = [
    ['pod requesting 50M', requests('50M'), n, [true, true]],
    ['pod requesting 200M (over capacity)', requests('200M'), n, [true, true]],
    ['template nodeName other-node', { nodeName: 'other-node' }, n, [false, false]],
    ['template nodeName this node', { nodeName: 'test-node' }, n, [true, true]],
    ['host port (in use or not)', hostPort, n, [true, true]],
    ['host port + insufficient resources', { containers: [{ ...hostPort.containers[0]!, resources: { requests: { memory: '200M' } } }] }, n, [true, true]],
    ['nodeSelector not matching', { nodeSelector: { type: 'test' } }, n, [false, false]],
    ['nodeSelector matching', { nodeSelector: DS_LABELS }, n, [true, true]],
    ['affinity type In [test]', affinity(['test']), n, [false, false]],
    ['affinity type In [production]', affinity(['production']), n, [true, true]],
    ['unschedulable=true without taint', {}, node('test-node', { labels: DS_LABELS, unschedulable: true }), [true, true]],
  ];
  for (const [name, spec, nd, want] of cases) assert.deepEqual(decision(nd, ds(spec)), want, name);
});

test('taints: NoSchedule blocks new pods only, NoExecute evicts too, auto tolerations apply', () => {
  const t = (key: string, effect: string, value?: string): Taint => (value === undefined ? { key, effect } : { key, value, effect });
  const tolerateDedicated = { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'user1', effect: 'NoSchedule' }] };
  const cases: [string, Taint[], Partial<PodSpec>, [boolean, boolean]][] = [
    ['no taints', [], {}, [true, true]],
    ['untolerated NoSchedule dedicated=user1', [t('dedicated', 'NoSchedule', 'user1')], {}, [false, true]],
    ['untolerated NoExecute dedicated=user1', [t('dedicated', 'NoExecute', 'user1')], {}, [false, false]],
    ['tolerated NoSchedule', [t('dedicated', 'NoSchedule', 'user1')], tolerateDedicated, [true, true]],
    ['toleration on untainted node', [], tolerateDedicated, [true, true]],
    ['NoSchedule + NoExecute, only NoSchedule tolerated', [t('dedicated', 'NoSchedule', 'user1'), t('x', 'NoExecute')], tolerateDedicated, [false, false]],
    ['PreferNoSchedule ignored', [t('soft', 'PreferNoSchedule')], {}, [true, true]],
    ['not-ready:NoExecute (Ready=False)', [t('node.kubernetes.io/not-ready', 'NoExecute')], {}, [true, true]],
    ['unreachable:NoExecute (Ready=Unknown)', [t('node.kubernetes.io/unreachable', 'NoExecute')], {}, [true, true]],
    ['not-ready:NoSchedule is not auto-tolerated', [t('node.kubernetes.io/not-ready', 'NoSchedule')], {}, [false, true]],
    ['unreachable:NoSchedule is not auto-tolerated', [t('node.kubernetes.io/unreachable', 'NoSchedule')], {}, [false, true]],
    [
      'NotReady node: both lifecycle taints',
      [t('node.kubernetes.io/not-ready', 'NoSchedule'), t('node.kubernetes.io/not-ready', 'NoExecute')],
      {},
      [false, true],
    ],
    [
      'pressure taints',
      [t('node.kubernetes.io/disk-pressure', 'NoSchedule'), t('node.kubernetes.io/memory-pressure', 'NoSchedule'), t('node.kubernetes.io/pid-pressure', 'NoSchedule')],
      {},
      [true, true],
    ],
    ['cordoned (unschedulable taint)', [t('node.kubernetes.io/unschedulable', 'NoSchedule')], {}, [true, true]],
    ['network-unavailable without hostNetwork', [t('node.kubernetes.io/network-unavailable', 'NoSchedule')], {}, [false, true]],
    ['network-unavailable with hostNetwork', [t('node.kubernetes.io/network-unavailable', 'NoSchedule')], { hostNetwork: true }, [true, true]],
    ['control-plane taint untolerated', [t('node-role.kubernetes.io/control-plane', 'NoSchedule')], {}, [false, true]],
    [
      'user bounded not-ready toleration still infinite',
      [t('node.kubernetes.io/not-ready', 'NoExecute')],
      { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] },
      [true, true],
    ],
    ['tolerate everything', [t('a', 'NoExecute'), t('b', 'NoSchedule', 'x')], { tolerations: [{ operator: 'Exists' }] }, [true, true]],
  ];
  for (const [name, taints, spec, want] of cases) assert.deepEqual(decision(node('n', { taints }), ds(spec)), want, name);
});

test('node conditions alone do not matter', () => {
  const conditions: NodeCondition[][] = [
    [{ type: 'Ready', status: 'False' }],
    [{ type: 'Ready', status: 'Unknown' }],
    [{ type: 'NetworkUnavailable', status: 'True' }],
    [{ type: 'MemoryPressure', status: 'True' }],
    [],
  ];
  for (const c of conditions) assert.deepEqual(decision(node('n', { conditions: c }), ds()), [true, true], JSON.stringify(c));
});

test('controller vectors: which nodes of a cluster should run the daemon', () => {
  const count = (nodes: Node[], d: DaemonSet) => nodes.filter((n) => shouldRunDaemonPod(n, d).shouldRun).map((n) => n.metadata!.name);
  const simple = { color: 'blue', speed: 'fast' };
  const five = [0, 1, 2, 3, 4].map((i) => node(`node-${i}`));
  const mixed = [...[0, 1, 2, 3].map((i) => node(`node-${i}`)), ...[4, 5, 6].map((i) => node(`node-${i}`, { labels: simple }))];
  const ten = [...[0, 1, 2, 3, 4].map((i) => node(`node-${i}`)), ...[5, 6, 7, 8, 9].map((i) => node(`node-${i}`, { labels: simple }))];

  assert.deepEqual(count(five, ds()), ['node-0', 'node-1', 'node-2', 'node-3', 'node-4']);
  assert.deepEqual(count([], ds()), []);
  assert.deepEqual(count(mixed, ds({ nodeSelector: simple })), ['node-4', 'node-5', 'node-6']);
  assert.deepEqual(count(five, ds({ nodeSelector: simple })), []);
  assert.deepEqual(count(five, ds({ nodeName: 'node-0' })), ['node-0']);
  assert.deepEqual(count(five, ds({ nodeName: 'node-10' })), []);
  assert.deepEqual(count(ten, ds({ nodeName: 'node-6', nodeSelector: simple })), ['node-6']);
  assert.deepEqual(count(ten, ds({ nodeName: 'node-0', nodeSelector: simple })), []);
  const blue = {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'color', operator: 'In', values: ['blue'] }] }],
        },
      },
    },
  };
  assert.deepEqual(count(mixed, ds(blue)), ['node-4', 'node-5', 'node-6']);
  // Empty selector {} with a nodeSelector matching nothing: no node.
  const all = ds({ nodeSelector: { nothing: 'here' } });
  all.spec!.selector = {};
  assert.deepEqual(count(five, all), []);
});

test('reasons list every failing check with human messages', () => {
  const n = node('this-node', {
    labels: { disk: 'hdd' },
    taints: [
      { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' },
      { key: 'dedicated', value: 'user1', effect: 'NoExecute' },
      { key: 'soft', effect: 'PreferNoSchedule' },
    ],
  });
  const d = ds({ nodeName: 'other-node', nodeSelector: { disk: 'ssd', zone: 'a' }, ...affinity(['platform-tools']) });
  const result = shouldRunDaemonPod(n, d);
  assert.equal(result.shouldRun, false);
  assert.equal(result.shouldContinueRunning, false);
  assert.deepEqual(result.reasons, [
    { code: 'NodeNameMismatch', message: 'template nodeName other-node is not this node' },
    { code: 'NodeSelectorMismatch', message: 'nodeSelector disk=ssd: node has disk=hdd' },
    { code: 'NodeSelectorMismatch', message: 'nodeSelector zone=a: node has no label zone' },
    { code: 'NodeAffinityMismatch', message: 'node affinity: no term matches (term 1: type In [platform-tools]: node has no label type)' },
    { code: 'TaintNotTolerated', message: 'taint node-role.kubernetes.io/master:NoSchedule is not tolerated' },
    { code: 'TaintNotTolerated', message: 'taint dedicated=user1:NoExecute is not tolerated' },
  ]);
  const ok = shouldRunDaemonPod(node('n'), ds());
  assert.deepEqual(ok, { shouldRun: true, shouldContinueRunning: true, reasons: [] });
  const noSchedule = shouldRunDaemonPod(node('n', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] }), ds());
  assert.deepEqual(noSchedule.reasons.map((r) => r.message), ['taint node.kubernetes.io/not-ready:NoSchedule is not tolerated']);
});

test('the hypothetical pod: template, DS namespace, bound to the node, auto tolerations; DS untouched', () => {
  const d = ds({ tolerations: [{ key: 'a', operator: 'Exists' }] }, 'kube-system');
  const before = structuredClone(d);
  const pod = hypotheticalDaemonPod(d, 'node-7');
  assert.equal(pod.metadata?.namespace, 'kube-system');
  assert.deepEqual(pod.metadata?.labels, DS_LABELS);
  assert.equal(pod.spec?.nodeName, 'node-7');
  assert.equal(pod.spec?.tolerations?.length, 7);
  assert.deepEqual(pod.spec?.tolerations?.[0], { key: 'a', operator: 'Exists' });
  shouldRunDaemonPod(node('node-7', { taints: [{ key: 'x', effect: 'NoSchedule' }] }), d);
  assert.deepEqual(d, before);
});
