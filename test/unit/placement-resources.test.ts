import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ContainerPort, Node, Pod } from 'kubernetes-types/core/v1.js';
import { fitsHostPorts, fitsResources, hostPorts, nodeAllocatable, parseQuantityMilli, podRequests } from '../../src/placement/index.js';

const Mi = 2n ** 20n;
const Gi = 2n ** 30n;

test('quantities in thousandths, rounded up', () => {
  const cases: [string | number, bigint | undefined][] = [
    ['100m', 100n],
    ['1', 1000n],
    ['2', 2000n],
    [2, 2000n],
    [0.5, 500n],
    ['0', 0n],
    ['1.5', 1500n],
    ['0.1', 100n],
    ['.5', 500n],
    ['1.', 1000n],
    ['1e3', 1_000_000n],
    ['1E3', 1_000_000n],
    ['1e-3', 1n],
    ['5e+2', 500_000n],
    ['1k', 1_000_000n],
    ['1M', 1_000_000_000n],
    ['1G', 1_000_000_000_000n],
    ['100M', 100_000_000_000n],
    ['1T', 10n ** 15n],
    ['1P', 10n ** 18n],
    ['1E', 10n ** 21n],
    ['1Ki', 1024_000n],
    ['200Mi', 200n * Mi * 1000n],
    ['1Gi', Gi * 1000n],
    ['1.5Gi', (3n * Gi * 1000n) / 2n],
    ['1Ei', 2n ** 60n * 1000n],
    ['1u', 1n], // 0.001 thousandths, rounded up
    ['1n', 1n],
    ['1500u', 2n],
    ['-1', -1000n],
    ['+1', 1000n],
    ['', undefined],
    ['abc', undefined],
    ['1 ', undefined],
    ['1.5.5', undefined],
    ['5Kb', undefined],
    ['1mi', undefined],
    ['Mi', undefined],
    ['1e', undefined],
  ];
  for (const [q, want] of cases) assert.equal(parseQuantityMilli(q), want, String(q));
});

function container(requests: Record<string, string>, extra: Partial<Container> = {}): Container {
  return { name: 'c', image: 'i', resources: { requests }, ...extra };
}

function pod(containers: Container[], extra: Partial<NonNullable<Pod['spec']>> = {}, phase?: string): Pod {
  return { metadata: { name: 'p' }, spec: { containers, ...extra }, status: phase ? { phase } : {} };
}

test('pod requests: containers summed, init max, sidecars added, overhead, limits as defaults', () => {
  const asObject = (p: Pod) => Object.fromEntries(podRequests(p));
  assert.deepEqual(asObject(pod([container({ cpu: '100m', memory: '200Mi' }), container({ cpu: '1', memory: '1Gi' })])), {
    cpu: 1100n,
    memory: 200n * Mi + Gi,
  });
  // A one-off init container larger than the sum wins, per resource.
  assert.deepEqual(
    asObject(pod([container({ cpu: '100m', memory: '100Mi' })], { initContainers: [container({ cpu: '2', memory: '10Mi' })] })),
    { cpu: 2000n, memory: 100n * Mi },
  );
  // Sidecars run alongside: added to the sum, and to every later init container.
  assert.deepEqual(
    asObject(
      pod([container({ cpu: '100m' })], {
        initContainers: [container({ cpu: '500m' }, { restartPolicy: 'Always' }), container({ cpu: '1' })],
      }),
    ),
    { cpu: 1500n },
  );
  assert.deepEqual(
    asObject(
      pod([container({ cpu: '100m' })], {
        initContainers: [container({ cpu: '200m' }), container({ cpu: '300m' }, { restartPolicy: 'Always' })],
      }),
    ),
    { cpu: 400n },
  );
  assert.deepEqual(asObject(pod([container({ cpu: '100m' })], { overhead: { cpu: '250m', memory: '120Mi' } })), { cpu: 350n, memory: 120n * Mi });
  // Only a limit: the request defaults to it.
  assert.deepEqual(asObject(pod([{ name: 'c', image: 'i', resources: { limits: { memory: '1Gi', cpu: '1' }, requests: { cpu: '500m' } } }])), {
    cpu: 500n,
    memory: Gi,
  });
  assert.deepEqual(asObject(pod([{ name: 'c', image: 'i' }])), {});
  // Whole units round up: 1.5 bytes is 2.
  assert.deepEqual(asObject(pod([container({ memory: '1500m' })])), { memory: 2n });
});

function node(allocatable: Record<string, string>): Node {
  return { metadata: { name: 'n' }, status: { allocatable } };
}

const n = node({ cpu: '1', memory: '100M', pods: '3', 'example.com/gpu': '1' });

test('fitsResources: upstream reasons and order', () => {
  const cases: [string, Pod, Pod[], string[]][] = [
    ['fits', pod([container({ memory: '50M' })]), [], []],
    ['exactly fills', pod([container({ memory: '100M', cpu: '1' })]), [], []],
    ['over memory', pod([container({ memory: '200M' })]), [], ['Insufficient memory']],
    ['over cpu', pod([container({ cpu: '1001m' })]), [], ['Insufficient cpu']],
    ['both, cpu first', pod([container({ memory: '200M', cpu: '2' })]), [], ['Insufficient cpu', 'Insufficient memory']],
    ['used by bound pods', pod([container({ memory: '60M' })]), [pod([container({ memory: '50M' })])], ['Insufficient memory']],
    ['terminated pods free their resources', pod([container({ memory: '60M' })]), [pod([container({ memory: '50M' })], {}, 'Succeeded')], []],
    ['too many pods', pod([container({})]), [pod([]), pod([]), pod([])], ['Too many pods']],
    ['too many pods first', pod([container({ cpu: '2' })]), [pod([]), pod([]), pod([])], ['Too many pods', 'Insufficient cpu']],
    ['failed pods do not count', pod([]), [pod([]), pod([]), pod([], {}, 'Failed')], []],
    ['extended resource', pod([container({ 'example.com/gpu': '2' })]), [], ['Insufficient example.com/gpu']],
    ['extended resource absent on node', pod([container({ 'vendor.io/fpga': '1' })]), [], ['Insufficient vendor.io/fpga']],
    ['ephemeral storage absent on node', pod([container({ 'ephemeral-storage': '1Gi' })]), [], ['Insufficient ephemeral-storage']],
    ['hugepages', pod([container({ 'hugepages-2Mi': '4Mi' })]), [], ['Insufficient hugepages-2Mi']],
    ['zero request ignored', pod([container({ 'vendor.io/fpga': '0', cpu: '0' })]), [], []],
  ];
  for (const [name, p, bound, want] of cases) assert.deepEqual(fitsResources(p, n, bound).map((r) => r.message), want, name);
  // No allocatable pods at all: nothing fits (as upstream).
  assert.deepEqual(fitsResources(pod([]), node({}), []).map((r) => r.message), ['Too many pods']);
});

test('fitsResources details explain the shortfall', () => {
  const [memory] = fitsResources(pod([container({ memory: '200Mi' })]), node({ memory: '1Gi', pods: '10' }), [pod([container({ memory: '900Mi' })])]);
  assert.deepEqual(memory, { code: 'InsufficientResource', message: 'Insufficient memory', detail: 'memory: requested 200Mi, free 124Mi of 1Gi allocatable' });
  const [cpu] = fitsResources(pod([container({ cpu: '1500m' })]), node({ cpu: '1', pods: '10' }), []);
  assert.equal(cpu!.detail, 'cpu: requested 1500m, free 1 of 1 allocatable');
  const [pods] = fitsResources(pod([]), node({ pods: '1' }), [pod([])]);
  assert.deepEqual(pods, { code: 'TooManyPods', message: 'Too many pods', detail: 'node already runs 1 of 1 allowed pods' });
});

test('node allocatable in scheduler units', () => {
  assert.deepEqual(Object.fromEntries(nodeAllocatable(node({ cpu: '3800m', memory: '16Gi', pods: '110' }))), { cpu: 3800n, memory: 16n * Gi, pods: 110n });
  assert.deepEqual(Object.fromEntries(nodeAllocatable({ metadata: { name: 'x' } })), {});
});

function withPorts(ports: ContainerPort[], phase?: string, init?: ContainerPort[]): Pod {
  return pod([{ name: 'c', image: 'i', ports }], init ? { initContainers: [{ name: 's', image: 'i', restartPolicy: 'Always', ports: init }] } : {}, phase);
}

test('host ports: conflicts by protocol, port and address', () => {
  const cases: [string, ContainerPort[], Pod[], boolean][] = [
    ['no host ports', [{ containerPort: 80 }], [withPorts([{ containerPort: 80 }])], true],
    ['same host port', [{ containerPort: 80, hostPort: 666 }], [withPorts([{ containerPort: 8080, hostPort: 666 }])], false],
    ['other host port', [{ containerPort: 80, hostPort: 666 }], [withPorts([{ containerPort: 80, hostPort: 667 }])], true],
    ['other protocol', [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }], [withPorts([{ containerPort: 53, hostPort: 53 }])], true],
    ['TCP is the default protocol', [{ containerPort: 53, hostPort: 53, protocol: 'TCP' }], [withPorts([{ containerPort: 53, hostPort: 53 }])], false],
    ['specific IP vs all', [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }], [withPorts([{ containerPort: 80, hostPort: 80 }])], false],
    ['all vs specific IP', [{ containerPort: 80, hostPort: 80 }], [withPorts([{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }])], false],
    ['two different IPs', [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.2' }], [withPorts([{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }])], true],
    ['same IP', [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }], [withPorts([{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }])], false],
    ['terminated pod frees its port', [{ containerPort: 80, hostPort: 666 }], [withPorts([{ containerPort: 80, hostPort: 666 }], 'Failed')], true],
    ['sidecar ports are taken', [{ containerPort: 80, hostPort: 666 }], [withPorts([], undefined, [{ containerPort: 1, hostPort: 666 }])], false],
  ];
  for (const [name, want, bound, fits] of cases) {
    const reasons = fitsHostPorts(withPorts(want), bound);
    assert.equal(reasons.length === 0, fits, name);
    if (!fits) assert.equal(reasons[0]!.message, "node(s) didn't have free ports for the requested pod ports");
  }
  const [r] = fitsHostPorts(withPorts([{ containerPort: 1, hostPort: 666 }, { containerPort: 2, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }]), [
    withPorts([{ containerPort: 1, hostPort: 666 }, { containerPort: 2, hostPort: 53, protocol: 'UDP' }]),
  ]);
  assert.equal(r!.detail, 'host port TCP 666, UDP 10.0.0.1:53 already in use');
  // A sidecar's own host ports are wanted too; one-off init containers' are not.
  const sidecarPod = withPorts([], undefined, [{ containerPort: 9, hostPort: 9000 }]);
  sidecarPod.spec!.initContainers!.push({ name: 'once', image: 'i', ports: [{ containerPort: 1, hostPort: 9001 }] });
  assert.deepEqual(hostPorts(sidecarPod).map((p) => p.hostPort), [9000]);
});
