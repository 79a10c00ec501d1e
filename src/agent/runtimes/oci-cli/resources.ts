// resources.limits/requests as the kubelet turns them into cgroup settings: memory limit without
// swap, cpu limit as a CFS quota over a 100 ms period, cpu request as shares.
import type { Container } from 'kubernetes-types/core/v1.js';
import { integerValue, milliValue, parseQuantity, QuantityError } from '../../../api/validation/quantity.js';
import { ContainerStartError } from './start-error.js';

const CFS_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;

export function resourceArgs(container: Container): string[] {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const args: string[] = [];
  const memory = limits['memory'] === undefined ? 0 : quantity(limits['memory'], 'memory', integerValue);
  // --memory-swap equal to --memory: no swap, as Kubernetes runs containers.
  if (memory > 0) args.push('--memory', String(memory), '--memory-swap', String(memory));
  const cpuLimit = limits['cpu'] === undefined ? 0 : quantity(limits['cpu'], 'cpu', milliValue);
  if (cpuLimit > 0) args.push('--cpu-period', String(CFS_PERIOD_US), '--cpu-quota', String(Math.max(MIN_QUOTA_US, (cpuLimit * CFS_PERIOD_US) / 1000)));
  const cpuRequest = requests['cpu'] === undefined ? 0 : quantity(requests['cpu'], 'cpu', milliValue);
  args.push('--cpu-shares', String(cpuShares(cpuRequest)));
  return args;
}

/** The kubelet's milli-CPU to shares: 1 cpu = 1024, at least 2 (also for no request). */
export function cpuShares(milliCpu: number): number {
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milliCpu * 1024) / 1000)));
}

function quantity(value: string | number, resource: string, read: (q: ReturnType<typeof parseQuantity>) => number): number {
  try {
    return read(parseQuantity(value));
  } catch (err) {
    if (!(err instanceof QuantityError)) throw err;
    throw new ContainerStartError('CreateContainerConfigError', `invalid ${resource} quantity ${String(value)}: ${err.message}`);
  }
}
