// A container's `resources` as cgroup settings, converted the way upstream's kubelet does:
// limits.memory -> a hard memory limit; limits.cpu -> a CFS quota per 100 ms period (at least
// 1 ms); requests.cpu -> cpu shares (v1) or the equivalent cpu weight (v2).
import type { Container } from 'kubernetes-types/core/v1.js';
import { integerValue, milliValue, parseQuantity } from '../../../api/validation/quantity.js';

export const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;

export interface CgroupLimits {
  memoryBytes?: number;
  /** CPU time per CPU_PERIOD_US the container may use. */
  cpuQuotaUs?: number;
  /** Relative weight from requests.cpu (v1 `cpu.shares` scale). */
  cpuShares?: number;
}

function quantity(value: string | number | undefined, read: (q: ReturnType<typeof parseQuantity>) => number): number | undefined {
  if (value === undefined) return undefined;
  try {
    return read(parseQuantity(value));
  } catch {
    return undefined; // the API server validated it; nothing sensible to enforce otherwise
  }
}

export function limitsFor(container: Container): CgroupLimits {
  const limits: CgroupLimits = {};
  const memory = quantity(container.resources?.limits?.memory, integerValue);
  if (memory !== undefined && memory > 0) limits.memoryBytes = memory;
  const cpuLimit = quantity(container.resources?.limits?.cpu, milliValue);
  if (cpuLimit !== undefined && cpuLimit > 0) limits.cpuQuotaUs = Math.max(MIN_QUOTA_US, Math.floor((cpuLimit * CPU_PERIOD_US) / 1000));
  // Only when requested: upstream gives best-effort containers the minimum of 2 shares, which on
  // a host shared with ordinary processes (1024 each) would starve a daemon.
  const cpuRequest = quantity(container.resources?.requests?.cpu, milliValue);
  if (cpuRequest !== undefined) limits.cpuShares = Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((cpuRequest * 1024) / 1000)));
  return limits;
}

/** cgroup v2 `cpu.weight` (1..10000) for a v1 shares value, as upstream maps it. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - MIN_SHARES) * 9999) / (MAX_SHARES - MIN_SHARES));
}

/** One cgroup interface file to write; `optional` ones may be missing on some kernels. */
export interface CgroupSetting {
  file: string;
  value: string;
  optional?: boolean;
}

/** What to write in a v1 container cgroup, per controller, in order. */
export function v1Settings(l: CgroupLimits): { memory: CgroupSetting[]; cpu: CgroupSetting[] } {
  const memory: CgroupSetting[] = [];
  const cpu: CgroupSetting[] = [];
  if (l.memoryBytes !== undefined) memory.push({ file: 'memory.limit_in_bytes', value: String(l.memoryBytes) });
  if (l.cpuQuotaUs !== undefined) {
    cpu.push({ file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US) }, { file: 'cpu.cfs_quota_us', value: String(l.cpuQuotaUs) });
  }
  if (l.cpuShares !== undefined) cpu.push({ file: 'cpu.shares', value: String(l.cpuShares) });
  return { memory, cpu };
}

/** What to write in a v2 container cgroup, in order. */
export function v2Settings(l: CgroupLimits): CgroupSetting[] {
  const settings: CgroupSetting[] = [];
  if (l.memoryBytes !== undefined) {
    settings.push({ file: 'memory.max', value: String(l.memoryBytes) });
    // No swapping past the limit (upstream's NoSwap), and an OOM kill takes the whole container.
    settings.push({ file: 'memory.swap.max', value: '0', optional: true }, { file: 'memory.oom.group', value: '1', optional: true });
  }
  if (l.cpuQuotaUs !== undefined) settings.push({ file: 'cpu.max', value: `${l.cpuQuotaUs} ${CPU_PERIOD_US}` });
  if (l.cpuShares !== undefined) settings.push({ file: 'cpu.weight', value: String(sharesToWeight(l.cpuShares)) });
  return settings;
}
