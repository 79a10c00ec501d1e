// The tutorial manifests in shared/examples against a few nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import {
  affinityNodeNames,
  filterNode,
  hypotheticalDaemonPod,
  podRequests,
  scoreNode,
  shouldRunDaemonPod,
  targetNodeName,
  tolerationSecondsFor,
} from '../../src/placement/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const examples = [join(here, '../../../shared/examples'), '/work/shared/examples'].find((d) => existsSync(d));

function load<T>(file: string, kind: string): T {
  const docs = parseAllDocuments(readFileSync(join(examples!, file), 'utf8')).map((d) => d.toJSON() as { kind: string });
  return docs.find((d) => d.kind === kind) as T;
}

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { metadata: { name, labels }, spec: { taints }, status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } } };
}

const decide = (n: Node, ds: DaemonSet) => {
  const r = shouldRunDaemonPod(n, ds);
  return { run: r.shouldRun, keep: r.shouldContinueRunning, why: r.reasons.map((x) => x.message) };
};

test('fluentd-logging-affinity: only type=platform-tools nodes; survives its tolerated NoExecute taint', { skip: !examples }, () => {
  const ds = load<DaemonSet>('fluentd-logging-affinity.yaml', 'DaemonSet');
  const tools = { type: 'platform-tools' };
  assert.deepEqual(decide(node('plain'), ds), {
    run: false,
    keep: false,
    why: ['node affinity: no term matches (term 1: type In [platform-tools]: node has no label type)'],
  });
  assert.deepEqual(decide(node('web', { type: 'web' }), ds), {
    run: false,
    keep: false,
    why: ['node affinity: no term matches (term 1: type In [platform-tools]: node has type=web)'],
  });
  assert.deepEqual(decide(node('tools', tools), ds), { run: true, keep: true, why: [] });
  const ownTaint: Taint = { key: 'app', value: 'fluentd-logging', effect: 'NoExecute' };
  assert.deepEqual(decide(node('tools', tools, [ownTaint]), ds), { run: true, keep: true, why: [] });
  const otherTaint: Taint = { key: 'app', value: 'other', effect: 'NoExecute' };
  assert.deepEqual(decide(node('tools', tools, [otherTaint]), ds), { run: false, keep: false, why: ['taint app=other:NoExecute is not tolerated'] });
  // Never evicted by the taint manager for its own taint or for node health.
  const pod = hypotheticalDaemonPod(ds, 'tools');
  assert.equal(tolerationSecondsFor([ownTaint, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }], pod.spec!.tolerations), Infinity);
  assert.equal(tolerationSecondsFor([otherTaint], pod.spec!.tolerations), 0);
  // Preferred t2.large.
  assert.equal(scoreNode(pod, node('big', { ...tools, 'instance-type': 't2.large' })).preferredAffinity, 1);
  assert.equal(scoreNode(pod, node('small', { ...tools, 'instance-type': 't2.micro' })).preferredAffinity, 0);
  assert.deepEqual(Object.fromEntries(podRequests(pod)), { cpu: 100n, memory: 200n * 2n ** 20n });
});

test('fluentd-elasticsearch: every node including old-style masters, not new control-plane taints', { skip: !examples }, () => {
  const ds = load<DaemonSet>('fluentd-elasticsearch.yaml', 'DaemonSet');
  assert.deepEqual(decide(node('worker'), ds), { run: true, keep: true, why: [] });
  assert.deepEqual(decide(node('master', {}, [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }]), ds), { run: true, keep: true, why: [] });
  assert.deepEqual(decide(node('cp', {}, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]), ds), {
    run: false,
    keep: true,
    why: ['taint node-role.kubernetes.io/control-plane:NoSchedule is not tolerated'],
  });
  assert.equal(hypotheticalDaemonPod(ds, 'worker').metadata?.namespace, 'kube-system');
});

test('ssd-monitor: nodeSelector k8s.51reboot.com/disk=ssd', { skip: !examples }, () => {
  const ds = load<DaemonSet>('ssd-monitor.yaml', 'DaemonSet');
  assert.deepEqual(decide(node('ssd', { 'k8s.51reboot.com/disk': 'ssd' }), ds), { run: true, keep: true, why: [] });
  assert.deepEqual(decide(node('hdd', { 'k8s.51reboot.com/disk': 'hdd' }), ds), {
    run: false,
    keep: false,
    why: ['nodeSelector k8s.51reboot.com/disk=ssd: node has k8s.51reboot.com/disk=hdd'],
  });
  assert.deepEqual(decide(node('bare'), ds).why, ['nodeSelector k8s.51reboot.com/disk=ssd: node has no label k8s.51reboot.com/disk']);
});

test('pod-node-affinity: pinned to node-geektime, even when it is cordoned', { skip: !examples }, () => {
  const pod = load<Pod>('pod-node-affinity.yaml', 'Pod');
  assert.deepEqual(targetNodeName(pod), { nodeName: 'node-geektime' });
  assert.deepEqual(affinityNodeNames(pod), new Set(['node-geektime']));
  const cordoned: Node = { ...node('node-geektime', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]) };
  cordoned.spec!.unschedulable = true;
  assert.deepEqual(filterNode(pod, cordoned, []), []);
  assert.deepEqual(filterNode(pod, node('other'), []).map((r) => r.message), ["node(s) didn't match Pod's node affinity/selector"]);
});
