import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  goArch,
  hostNodeDescription,
  internalIPToward,
  nodeResources,
  parseLoadavgThreads,
  parseMeminfo,
  parseOsRelease,
  pressureFrom,
  readHostFacts,
  readPressure,
  type HostFacts,
} from '../../src/agent/host-measurements.js';
import { initialNode, nodeConditions, NO_PRESSURE } from '../../src/agent/node-status.js';

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

test('/proc/meminfo is read in bytes', () => {
  const text = 'MemTotal:       24684084 kB\nMemFree:        23139000 kB\nMemAvailable:   23321000 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n';
  assert.deepEqual(parseMeminfo(text), {
    MemTotal: 24684084 * 1024,
    MemFree: 23139000 * 1024,
    MemAvailable: 23321000 * 1024,
    HugePages_Total: 0,
    Hugepagesize: 2048 * 1024,
  });
  assert.deepEqual(parseMeminfo(''), {});
});

test('the OS image is PRETTY_NAME of os-release', () => {
  const cases: Array<[string, string]> = [
    ['NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n', 'Debian GNU/Linux 12 (bookworm)'],
    ["PRETTY_NAME='Alpine Linux v3.20'\n", 'Alpine Linux v3.20'],
    ['PRETTY_NAME=Fedora\n', 'Fedora'],
    ['PRETTY_NAME="Say \\"hi\\""\n', 'Say "hi"'],
    ['NAME=Linux\n', 'Linux'],
    ['PRETTY_NAME=""\n', 'Linux'],
    ['', 'Linux'],
  ];
  for (const [text, image] of cases) assert.equal(parseOsRelease(text), image, text);
});

test('architectures are named as Go names them', () => {
  const cases: Array<[string, string]> = [
    ['x64', 'amd64'],
    ['arm64', 'arm64'],
    ['arm', 'arm'],
    ['ia32', '386'],
    ['ppc64', 'ppc64le'],
    ['s390x', 's390x'],
    ['riscv64', 'riscv64'],
    ['something-new', 'something-new'],
  ];
  for (const [node, go] of cases) assert.equal(goArch(node), go);
});

test('threads in use come from /proc/loadavg', () => {
  assert.equal(parseLoadavgThreads('0.09 0.83 1.24 1/188 29790\n'), 188);
  assert.equal(parseLoadavgThreads('1.00 2.00 3.00 12/40000 1'), 40000);
  assert.equal(parseLoadavgThreads('garbage'), undefined);
});

test('capacity and allocatable: allocatable keeps the eviction thresholds back (100Mi of memory, 10% of the disk)', () => {
  const { capacity, allocatable } = nodeResources({ cpus: 4, memTotalBytes: 16 * Gi, fsTotalBytes: 100 * Gi, maxPods: 110 });
  assert.deepEqual(capacity, { cpu: '4', 'ephemeral-storage': `${100 * 1024 * 1024}Ki`, memory: `${16 * 1024 * 1024}Ki`, pods: '110' });
  assert.deepEqual(allocatable, {
    cpu: '4',
    'ephemeral-storage': String(Math.floor(100 * Gi * 0.9)),
    memory: `${16 * 1024 * 1024 - 100 * 1024}Ki`,
    pods: '110',
  });
  // A tiny machine never reports negative memory.
  assert.equal(nodeResources({ cpus: 1, memTotalBytes: 50 * Mi, fsTotalBytes: 0, maxPods: 5 }).allocatable.memory, '0Ki');
});

test('pressure follows the default hard eviction thresholds', () => {
  const healthy = { memAvailableBytes: 2 * Gi, fsAvailableBytes: 50 * Gi, fsTotalBytes: 100 * Gi, pidsInUse: 300, pidMax: 32768 };
  const cases: Array<[string, Parameters<typeof pressureFrom>[0], ReturnType<typeof pressureFrom>]> = [
    ['healthy', healthy, { memory: false, disk: false, pid: false }],
    ['memory just under 100Mi', { ...healthy, memAvailableBytes: 100 * Mi - 1 }, { memory: true, disk: false, pid: false }],
    ['memory at 100Mi', { ...healthy, memAvailableBytes: 100 * Mi }, { memory: false, disk: false, pid: false }],
    ['disk under 10% free', { ...healthy, fsAvailableBytes: 9.9 * Gi }, { memory: false, disk: true, pid: false }],
    ['disk at 10% free', { ...healthy, fsAvailableBytes: 10 * Gi }, { memory: false, disk: false, pid: false }],
    ['pids over 90%', { ...healthy, pidsInUse: 29492 }, { memory: false, disk: false, pid: true }],
    ['pids at 90%', { ...healthy, pidsInUse: 29491 }, { memory: false, disk: false, pid: false }],
    ['everything short', { memAvailableBytes: 0, fsAvailableBytes: 0, fsTotalBytes: 1, pidsInUse: 100, pidMax: 100 }, { memory: true, disk: true, pid: true }],
    ['nothing known: no pressure claimed', {}, { memory: false, disk: false, pid: false }],
    ['an empty filesystem size: no disk pressure claimed', { fsAvailableBytes: 0, fsTotalBytes: 0 }, { memory: false, disk: false, pid: false }],
  ];
  for (const [name, readings, want] of cases) assert.deepEqual(pressureFrom(readings), want, name);
});

test('conditions under pressure say so with the kubelet reasons; transition times move only on change', () => {
  const t0 = '2026-01-01T00:00:00Z';
  const t1 = '2026-01-01T00:01:00Z';
  const t2 = '2026-01-01T00:02:00Z';
  const first = nodeConditions(t0, [], NO_PRESSURE);
  const hot = nodeConditions(t1, first, { memory: true, disk: false, pid: true });
  const by = (cs: typeof hot, type: string) => cs.find((c) => c.type === type)!;
  assert.deepEqual(hot.map((c) => c.type), ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
  assert.deepEqual(by(hot, 'MemoryPressure'), { type: 'MemoryPressure', status: 'True', lastHeartbeatTime: t1, lastTransitionTime: t1, reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' });
  assert.deepEqual(by(hot, 'PIDPressure'), { type: 'PIDPressure', status: 'True', lastHeartbeatTime: t1, lastTransitionTime: t1, reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available' });
  assert.deepEqual(by(hot, 'DiskPressure'), { type: 'DiskPressure', status: 'False', lastHeartbeatTime: t1, lastTransitionTime: t0, reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' });
  assert.equal(by(hot, 'Ready').lastTransitionTime, t0);
  const disk = nodeConditions(t2, hot, { memory: true, disk: true, pid: false });
  assert.deepEqual(
    disk.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    [
      ['MemoryPressure', 'True', 'KubeletHasInsufficientMemory', t1],
      ['DiskPressure', 'True', 'KubeletHasDiskPressure', t2],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', t2],
      ['Ready', 'True', 'KubeletReady', t0],
    ],
  );
});

const facts: HostFacts = {
  cpus: 2,
  memTotalBytes: 8 * Gi,
  fsTotalBytes: 50 * Gi,
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  kernelVersion: '6.1.0-18-amd64',
  architecture: 'amd64',
  machineID: '3d1219c7c4c5404aaa1f6d2a48adfda4',
  bootID: 'a56d1b0c-e6e3-4bf4-b8b5-5d43a3a5007d',
  systemUUID: '',
};

test('the Node a host registers: labels, taints, addresses, capacity, nodeInfo, its log port, its pressure', () => {
  const d = hostNodeDescription(
    {
      name: 'web-1',
      internalIP: '10.0.0.5',
      hostname: 'Web-1',
      labels: { role: 'web' },
      taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
      maxPods: 50,
      containerRuntimeVersion: 'process://1.0',
      kubeletVersion: 'v1.33.0-everynode.0.1.0',
      kubeletPort: 12345,
    },
    facts,
    { memory: false, disk: true, pid: false },
  );
  const node = initialNode(d, '2026-01-01T00:00:00Z');
  assert.deepEqual(node.metadata!.labels, {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': 'web-1',
    'kubernetes.io/os': 'linux',
    role: 'web',
  });
  assert.deepEqual(node.spec, { taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] });
  assert.deepEqual(node.status!.addresses, [
    { type: 'InternalIP', address: '10.0.0.5' },
    { type: 'Hostname', address: 'Web-1' },
  ]);
  assert.deepEqual(node.status!.daemonEndpoints, { kubeletEndpoint: { Port: 12345 } });
  assert.equal(node.status!.capacity!.pods, '50');
  assert.equal(node.status!.capacity!.cpu, '2');
  assert.deepEqual(node.status!.nodeInfo, {
    architecture: 'amd64',
    bootID: facts.bootID,
    containerRuntimeVersion: 'process://1.0',
    kernelVersion: '6.1.0-18-amd64',
    kubeProxyVersion: '',
    kubeletVersion: 'v1.33.0-everynode.0.1.0',
    machineID: facts.machineID,
    operatingSystem: 'linux',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    systemUUID: '',
  });
  assert.equal(node.status!.conditions!.find((c) => c.type === 'DiskPressure')!.status, 'True');
  assert.equal(node.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
  // No taints: no taints field at all.
  const plain = initialNode(hostNodeDescription({ name: 'a', internalIP: '10.0.0.6', hostname: 'a', maxPods: 110, containerRuntimeVersion: 'x://1', kubeletVersion: 'v1', kubeletPort: 10250 }, facts, NO_PRESSURE), '2026-01-01T00:00:00Z');
  assert.deepEqual(plain.spec, {});
});

test('this host: real facts and readings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'everynode-facts-'));
  try {
    const f = readHostFacts(dir);
    assert.ok(f.cpus >= 1);
    assert.ok(f.memTotalBytes > 0);
    assert.ok(f.fsTotalBytes > 0);
    assert.ok(f.kernelVersion.length > 0);
    const r = readPressure(dir);
    assert.ok(r.memAvailableBytes! > 0 && r.memAvailableBytes! <= f.memTotalBytes);
    assert.ok(r.fsTotalBytes! > 0 && r.fsAvailableBytes! <= r.fsTotalBytes!);
    assert.ok(r.pidsInUse! > 0 && r.pidMax! > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the internal IP is the local address of a connection to the API server', async () => {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    assert.equal(await internalIPToward(`https://127.0.0.1:${port}`), '127.0.0.1');
  } finally {
    server.close();
  }
  await assert.rejects(internalIPToward(`https://127.0.0.1:${port}`), /cannot reach the API server at 127\.0\.0\.1:\d+/);
});
