// What a real host says about itself in its Node: capacity and allocatable (CPUs, memory, the
// state dir's filesystem, pods), addresses, nodeInfo, and the pressure conditions, measured the
// way the kubelet's default hard eviction thresholds define them:
//   MemoryPressure  memory.available < 100Mi   (MemAvailable in /proc/meminfo)
//   DiskPressure    nodefs.available < 10%     (the filesystem of the agent's state dir)
//   PIDPressure     more than 90% of the pids in use (threads counted in /proc/loadavg vs pid_max)
// Allocatable is capacity less those thresholds, as upstream computes it with no reservations.
// Parsing and arithmetic are pure and exported for tests; the readers below them touch /proc.
import { readFileSync, statfsSync } from 'node:fs';
import { connect } from 'node:net';
import { arch, cpus, hostname, release } from 'node:os';
import type { NodeSystemInfo, Taint } from 'kubernetes-types/core/v1.js';
import type { NodeDescription, NodePressure } from './node-status.js';

export const DEFAULT_MAX_PODS = 110;
/** Upstream's default hard eviction thresholds. */
export const MEMORY_AVAILABLE_THRESHOLD_BYTES = 100 * 1024 * 1024;
export const NODEFS_AVAILABLE_THRESHOLD = 0.1;
export const PID_USED_THRESHOLD = 0.9;

// --- pure ----------------------------------------------------------------------------------

/** /proc/meminfo → bytes by field (`MemTotal: 16374584 kB` → MemTotal: 16767574016). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(?:\s+(kB))?/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (m[3] ? 1024 : 1);
  }
  return out;
}

/** PRETTY_NAME of /etc/os-release (quotes and escapes removed); `Linux` when absent. */
export function parseOsRelease(text: string): string {
  for (const line of text.split('\n')) {
    const m = /^PRETTY_NAME=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[1]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    return v.replace(/\\(["'$`\\])/g, '$1') || 'Linux';
  }
  return 'Linux';
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsle', loong64: 'loong64' };

/** Node's `process.arch` as Go (and so Kubernetes' `kubernetes.io/arch`) names it. */
export function goArch(nodeArch: string): string {
  return GO_ARCH[nodeArch] ?? nodeArch;
}

/** The number of threads in the system: the denominator of /proc/loadavg's 4th field (`1/188`). */
export function parseLoadavgThreads(text: string): number | undefined {
  const m = /^\S+\s+\S+\s+\S+\s+\d+\/(\d+)/.exec(text.trim());
  return m ? Number(m[1]) : undefined;
}

export interface ResourceFacts {
  cpus: number;
  memTotalBytes: number;
  /** The state dir's filesystem. */
  fsTotalBytes: number;
  maxPods: number;
}

/** capacity and allocatable, in the units the kubelet writes them. */
export function nodeResources(f: ResourceFacts): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const kib = (bytes: number): string => `${Math.floor(bytes / 1024)}Ki`;
  const capacity = {
    cpu: String(f.cpus),
    'ephemeral-storage': kib(f.fsTotalBytes),
    memory: kib(f.memTotalBytes),
    pods: String(f.maxPods),
  };
  const allocatable = {
    ...capacity,
    'ephemeral-storage': String(Math.floor(Math.floor(f.fsTotalBytes / 1024) * 1024 * (1 - NODEFS_AVAILABLE_THRESHOLD))),
    memory: kib(Math.max(0, f.memTotalBytes - MEMORY_AVAILABLE_THRESHOLD_BYTES)),
  };
  return { capacity, allocatable };
}

export interface PressureReadings {
  /** MemAvailable; undefined when unknown (no pressure is claimed then). */
  memAvailableBytes?: number;
  fsAvailableBytes?: number;
  fsTotalBytes?: number;
  /** Threads in the system. */
  pidsInUse?: number;
  pidMax?: number;
}

export function pressureFrom(r: PressureReadings): NodePressure {
  return {
    memory: r.memAvailableBytes !== undefined && r.memAvailableBytes < MEMORY_AVAILABLE_THRESHOLD_BYTES,
    disk: r.fsAvailableBytes !== undefined && !!r.fsTotalBytes && r.fsAvailableBytes < r.fsTotalBytes * NODEFS_AVAILABLE_THRESHOLD,
    pid: r.pidsInUse !== undefined && !!r.pidMax && r.pidsInUse > r.pidMax * PID_USED_THRESHOLD,
  };
}

export interface HostNodeOptions {
  name: string;
  internalIP: string;
  hostname: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  maxPods: number;
  /** `<runtime>://<version>`. */
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeletPort: number;
}

export interface HostFacts extends Omit<ResourceFacts, 'maxPods'> {
  osImage: string;
  kernelVersion: string;
  architecture: string;
  machineID: string;
  bootID: string;
  systemUUID: string;
}

/** The Node this host registers. */
export function hostNodeDescription(o: HostNodeOptions, facts: HostFacts, pressure: NodePressure): NodeDescription {
  const nodeInfo: NodeSystemInfo = {
    architecture: facts.architecture,
    bootID: facts.bootID,
    containerRuntimeVersion: o.containerRuntimeVersion,
    kernelVersion: facts.kernelVersion,
    kubeProxyVersion: '',
    kubeletVersion: o.kubeletVersion,
    machineID: facts.machineID,
    operatingSystem: 'linux',
    osImage: facts.osImage,
    systemUUID: facts.systemUUID,
  };
  return {
    name: o.name,
    internalIP: o.internalIP,
    hostname: o.hostname,
    ...(o.labels ? { labels: o.labels } : {}),
    ...(o.taints?.length ? { taints: o.taints } : {}),
    ...nodeResources({ ...facts, maxPods: o.maxPods }),
    nodeInfo,
    kubeletPort: o.kubeletPort,
    pressure,
  };
}

// --- readers -------------------------------------------------------------------------------

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function filesystem(dir: string): { total: number; available: number } | undefined {
  try {
    const s = statfsSync(dir);
    return { total: s.blocks * s.bsize, available: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

/** The facts of this host; `stateDir` must exist (its filesystem is the node's ephemeral storage). */
export function readHostFacts(stateDir: string): HostFacts {
  const mem = parseMeminfo(readOr('/proc/meminfo', ''));
  return {
    cpus: Math.max(1, cpus().length),
    memTotalBytes: mem.MemTotal ?? 0,
    fsTotalBytes: filesystem(stateDir)?.total ?? 0,
    osImage: parseOsRelease(readOr('/etc/os-release', readOr('/usr/lib/os-release', ''))),
    kernelVersion: release(),
    architecture: goArch(arch()),
    machineID: readOr('/etc/machine-id', '').trim(),
    bootID: readOr('/proc/sys/kernel/random/boot_id', '').trim(),
    // Readable by root where the firmware exposes it; empty otherwise (as upstream on such hosts).
    systemUUID: readOr('/sys/class/dmi/id/product_uuid', '').trim(),
  };
}

export function readPressure(stateDir: string): PressureReadings {
  const mem = parseMeminfo(readOr('/proc/meminfo', ''));
  const fs = filesystem(stateDir);
  const pidMax = Number(readOr('/proc/sys/kernel/pid_max', '').trim()) || undefined;
  const threads = parseLoadavgThreads(readOr('/proc/loadavg', ''));
  return {
    ...(mem.MemAvailable !== undefined ? { memAvailableBytes: mem.MemAvailable } : {}),
    ...(fs ? { fsAvailableBytes: fs.available, fsTotalBytes: fs.total } : {}),
    ...(pidMax ? { pidMax } : {}),
    ...(threads !== undefined ? { pidsInUse: threads } : {}),
  };
}

/** The node name the kubelet defaults to: the hostname, lower-cased. */
export function defaultNodeName(): string {
  return hostname().toLowerCase();
}

/** The local address this host uses to reach `serverUrl`: the interface that routes to the API server. */
export function internalIPToward(serverUrl: string, timeoutMs = 5000): Promise<string> {
  const url = new URL(serverUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`cannot reach the API server at ${url.host} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      const local = (socket.localAddress ?? '').replace(/^::ffff:/, '');
      socket.destroy();
      if (local) resolve(local);
      else reject(new Error(`no local address toward ${url.host}`));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the API server at ${url.host}: ${err.message}`));
    });
  });
}
