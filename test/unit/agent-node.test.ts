import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import { normalizeImage, parseImageRef } from '../../src/agent/image-ref.js';
import { microTime, newNodeLease, renewedNodeLease } from '../../src/agent/node-lease.js';
import { healthyNodeConditions, initialNode } from '../../src/agent/node-status.js';
import { simulatedNode, simulatedNodeIP, simulatedPodIP } from '../../src/agent/simulated-nodes.js';
import { caFileFor, parseLabels } from '../../src/cli/agent.js';
import { wholeNumber } from '../../src/cli/parse.js';

test('image references resolve as a container runtime resolves them', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['nginx', 'docker.io/library/nginx:latest', 'latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27', '1.27'],
    ['nginx:non-existent', 'docker.io/library/nginx:non-existent', 'non-existent'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7', '7'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9', '3.9'],
    ['localhost/busybox', 'localhost/busybox:latest', 'latest'],
    ['localhost:5000/team/app:v2', 'localhost:5000/team/app:v2', 'v2'],
    ['quay.io/org/img@sha256:abcd', 'quay.io/org/img@sha256:abcd', undefined],
    ['ghcr.io/org/img:1.0@sha256:abcd', 'ghcr.io/org/img:1.0@sha256:abcd', '1.0'],
  ];
  for (const [image, full, tag] of cases) {
    assert.equal(normalizeImage(image), full, image);
    assert.equal(parseImageRef(image).tag, tag, image);
  }
});

test('microTime has six fractional digits', () => {
  const cases: Array<[number, string]> = [
    [Date.UTC(2026, 10, 22, 5, 0, 0, 123) + 0.456, '2026-11-22T05:00:00.123456Z'],
    [Date.UTC(2026, 0, 1), '2026-01-01T00:00:00.000000Z'],
    [Date.UTC(2026, 0, 1, 0, 0, 0, 7) + 0.0009, '2026-01-01T00:00:00.007000Z'],
  ];
  for (const [ms, text] of cases) assert.equal(microTime(ms), text);
});

test('the node lease: held by the node, 40 s, owned by the Node', () => {
  const lease = newNodeLease({ name: 'sim-0', uid: 'n-uid' }, '2026-01-01T00:00:00.000000Z');
  assert.deepEqual(lease, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'sim-0', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'sim-0', uid: 'n-uid' }] },
    spec: { holderIdentity: 'sim-0', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
  });
  const stored = { ...lease, metadata: { ...lease.metadata, resourceVersion: '7', ownerReferences: [] }, spec: { ...lease.spec, holderIdentity: 'someone', leaseDurationSeconds: 5 } };
  const renewed = renewedNodeLease(stored, { name: 'sim-0', uid: 'n-uid' }, '2026-01-01T00:00:10.000000Z');
  assert.equal(renewed.metadata!.resourceVersion, '7', 'the version is the update precondition');
  assert.deepEqual(renewed.spec, { holderIdentity: 'sim-0', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:10.000000Z' });
  assert.deepEqual(renewed.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-0', uid: 'n-uid' }]);
});

test('healthy node conditions keep their transition time while they hold', () => {
  const first = healthyNodeConditions('2026-01-01T00:00:00Z');
  assert.deepEqual(
    first.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ],
  );
  const later = healthyNodeConditions('2026-01-01T00:01:00Z', first);
  assert.ok(later.every((c) => c.lastHeartbeatTime === '2026-01-01T00:01:00Z' && c.lastTransitionTime === '2026-01-01T00:00:00Z'));

  // Node lifecycle set Ready Unknown while the agent was away: coming back is a transition.
  const unknown: NodeCondition[] = later.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c));
  const back = healthyNodeConditions('2026-01-01T00:05:00Z', unknown);
  assert.equal(back.find((c) => c.type === 'Ready')!.lastTransitionTime, '2026-01-01T00:05:00Z');
  assert.equal(back.find((c) => c.type === 'DiskPressure')!.lastTransitionTime, '2026-01-01T00:00:00Z');
});

test('a simulated node registers like a kubelet: labels, capacity, addresses, nodeInfo, Ready', () => {
  const d = simulatedNode(3, { prefix: 'sim-', labels: { zone: 'a' }, kernelVersion: '6.1.0', containerRuntimeVersion: 'simulated://1.0', bootSeed: 'b1' });
  const node = initialNode(d, '2026-01-01T00:00:00Z');
  assert.equal(node.metadata!.name, 'sim-3');
  assert.deepEqual(node.metadata!.labels, {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': 'sim-3',
    'kubernetes.io/os': 'linux',
    zone: 'a',
  });
  const st = node.status!;
  assert.equal(st.capacity!.cpu, '4');
  assert.equal(st.capacity!.pods, '110');
  assert.ok(st.capacity!.memory && st.allocatable!.memory && st.allocatable!['ephemeral-storage']);
  assert.deepEqual(st.addresses, [
    { type: 'InternalIP', address: simulatedNodeIP('sim-', 3) },
    { type: 'Hostname', address: 'sim-3' },
  ]);
  assert.equal(st.nodeInfo!.kubeletVersion, 'v1.33.0-everynode');
  assert.equal(st.nodeInfo!.containerRuntimeVersion, 'simulated://1.0');
  assert.equal(st.nodeInfo!.operatingSystem, 'linux');
  assert.equal(st.nodeInfo!.architecture, 'amd64');
  assert.match(st.nodeInfo!.machineID, /^[0-9a-f]{32}$/);
  assert.match(st.nodeInfo!.systemUUID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(st.conditions!.find((c) => c.type === 'Ready')!.status, 'True');

  const again = simulatedNode(3, { prefix: 'sim-', kernelVersion: '6.1.0', containerRuntimeVersion: 'simulated://1.0', bootSeed: 'b2' });
  assert.equal(again.nodeInfo.machineID, d.nodeInfo.machineID, 'same machine');
  assert.notEqual(again.nodeInfo.bootID, d.nodeInfo.bootID, 'a new boot');
});

test('simulated addresses are unique across 5,000 nodes and their pods', () => {
  const nodes = new Set<string>();
  const pods = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    nodes.add(simulatedNodeIP('sim-', i));
    for (let slot = 0; slot < 3; slot++) pods.add(simulatedPodIP(i, slot));
  }
  assert.equal(nodes.size, 5000);
  assert.equal(pods.size, 15000);
  for (const ip of [...nodes, ...pods]) assert.match(ip, /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  assert.ok([...nodes].every((ip) => ip.split('.').every((o) => Number(o) <= 255)));
  assert.notEqual(simulatedNodeIP('sim-', 0), simulatedNodeIP('edge-', 0), 'another prefix, another range');
});

test('agent command line: labels, numbers and the CA beside the token file', () => {
  assert.deepEqual(parseLabels('a=1, b=two ,c='), { a: '1', b: 'two', c: '' });
  assert.deepEqual(parseLabels(undefined), {});
  assert.throws(() => parseLabels('novalue'), /invalid label "novalue"/);
  assert.throws(() => parseLabels('=x'), /invalid label/);
  assert.equal(wholeNumber('5000'), 5000);
  for (const bad of ['-1', '1.5', 'x', '']) assert.throws(() => wholeNumber(bad), /whole number/, bad);
  assert.equal(caFileFor({ tokenFile: '/x/agent-token', caFile: '/y/ca.pem' }), '/y/ca.pem');
  assert.throws(() => caFileFor({ tokenFile: '/nonexistent-dir/agent-token' }), /no cluster CA found at \/nonexistent-dir\/pki\/ca\.crt; pass --ca-file/);
});
