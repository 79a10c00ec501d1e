// What the scheduler's NodeResourcesFit and NodePorts filters check: the pod's resource requests
// against the node's allocatable minus what the pods already bound there request, and host-port
// clashes. Includes a small quantity parser (placement must not depend on api/). Pure.
import type { Container, ContainerPort, Node, Pod } from 'kubernetes-types/core/v1.js';
import { ReasonCode, SchedulerMessage, type Reason } from './reasons.js';

/** Amounts per resource name: `cpu` in millicores, everything else in whole units (bytes, counts). */
export type ResourceAmounts = Map<string, bigint>;

const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENT: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

function ceilDiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b - 1n) / b : -(-a / b);
}

/**
 * A Kubernetes quantity (`100m`, `200Mi`, `1Gi`, `2`, `1.5`, `1e3`, `5k`, `64Ki` …) in thousandths
 * of a unit, rounded up. Undefined if the text is not a quantity.
 */
export function parseQuantityMilli(quantity: string | number): bigint | undefined {
  const text = String(quantity);
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, whole = '', fraction = '', exponent, suffix = ''] = m;
  if (whole === '' && fraction === '') return undefined;
  let exp10 = (exponent !== undefined ? Number(exponent) : (DECIMAL_EXPONENT[suffix] ?? 0)) - fraction.length + 3;
  if (Math.abs(exp10) > 1000) return undefined;
  let value = BigInt(whole + fraction || '0') * 2n ** BigInt(BINARY_EXPONENT[suffix] ?? 0);
  if (sign === '-') value = -value;
  if (exp10 >= 0) return value * 10n ** BigInt(exp10);
  exp10 = -exp10;
  return ceilDiv(value, 10n ** BigInt(exp10));
}

/** Scheduler units for a resource: millicores for cpu, whole units (rounded up) otherwise. */
function toUnits(resource: string, milli: bigint): bigint {
  return resource === 'cpu' ? milli : ceilDiv(milli, 1000n);
}

function readList(list: Record<string, string | number> | undefined): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [name, q] of Object.entries(list ?? {})) {
    // Invalid quantities cannot pass API validation; here they simply count as zero.
    out.set(name, parseQuantityMilli(q) ?? 0n);
  }
  return out;
}

function add(into: Map<string, bigint>, from: ReadonlyMap<string, bigint>): void {
  for (const [name, v] of from) into.set(name, (into.get(name) ?? 0n) + v);
}

function maxInto(into: Map<string, bigint>, from: ReadonlyMap<string, bigint>): void {
  for (const [name, v] of from) if (v > (into.get(name) ?? 0n)) into.set(name, v);
}

/** A container's requests; a resource with only a limit requests its limit (API defaulting). */
function containerRequests(c: Container): Map<string, bigint> {
  const requests = readList(c.resources?.requests);
  for (const [name, v] of readList(c.resources?.limits)) if (!requests.has(name)) requests.set(name, v);
  return requests;
}

/**
 * The pod's effective requests: the sum of its containers and sidecars (init containers with
 * restartPolicy Always), at least the largest one-off init container plus the sidecars started
 * before it, plus the pod overhead.
 */
export function podRequests(pod: Pod): ResourceAmounts {
  const milli = new Map<string, bigint>();
  for (const c of pod.spec?.containers ?? []) add(milli, containerRequests(c));
  const sidecars = new Map<string, bigint>();
  const initPeak = new Map<string, bigint>();
  for (const c of pod.spec?.initContainers ?? []) {
    const requests = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      add(milli, requests);
      add(sidecars, requests);
      maxInto(initPeak, sidecars);
    } else {
      add(requests, sidecars);
      maxInto(initPeak, requests);
    }
  }
  maxInto(milli, initPeak);
  add(milli, readList(pod.spec?.overhead));
  return new Map([...milli].map(([name, v]) => [name, toUnits(name, v)]));
}

export function nodeAllocatable(node: Node): ResourceAmounts {
  return new Map([...readList(node.status?.allocatable)].map(([name, v]) => [name, toUnits(name, v)]));
}

/** Terminated pods hold no resources or ports. */
function isActive(pod: Pod): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

/** Resources the scheduler accounts for besides cpu, memory and ephemeral-storage. */
function isScalarResource(name: string): boolean {
  return (
    name.startsWith('hugepages-') ||
    name.startsWith('attachable-volumes-') ||
    name.includes('kubernetes.io/') ||
    (name.includes('/') && !name.startsWith('requests.'))
  );
}

function formatAmount(resource: string, v: bigint): string {
  if (resource === 'cpu') return v % 1000n === 0n ? `${v / 1000n}` : `${v}m`;
  if (resource === 'memory' || resource === 'ephemeral-storage' || resource.startsWith('hugepages-')) {
    for (const [suffix, exp] of Object.entries(BINARY_EXPONENT).reverse()) {
      const unit = 2n ** BigInt(exp);
      if (v !== 0n && v % unit === 0n) return `${v / unit}${suffix}`;
    }
  }
  return `${v}`;
}

/**
 * NodeResourcesFit: one reason per shortfall, in upstream order — `Too many pods`, then
 * `Insufficient cpu`, `memory`, `ephemeral-storage`, then other resources by name. `podsOnNode`
 * are the pods bound to the node (terminated ones are skipped). Empty = fits.
 */
export function fitsResources(pod: Pod, node: Node, podsOnNode: readonly Pod[]): Reason[] {
  const reasons: Reason[] = [];
  const active = podsOnNode.filter(isActive);
  const allocatable = nodeAllocatable(node);
  const allowedPods = allocatable.get('pods') ?? 0n;
  if (BigInt(active.length) + 1n > allowedPods) {
    reasons.push({
      code: ReasonCode.TooManyPods,
      message: SchedulerMessage.tooManyPods,
      detail: `node already runs ${active.length} of ${allowedPods} allowed pods`,
    });
  }
  const wanted = podRequests(pod);
  const used = new Map<string, bigint>();
  for (const p of active) add(used, podRequests(p));
  const scalars = [...wanted.keys()].filter(isScalarResource).sort();
  for (const name of ['cpu', 'memory', 'ephemeral-storage', ...scalars]) {
    const request = wanted.get(name) ?? 0n;
    if (request <= 0n) continue;
    const total = allocatable.get(name) ?? 0n;
    const free = total - (used.get(name) ?? 0n);
    if (request <= free) continue;
    reasons.push({
      code: ReasonCode.InsufficientResource,
      message: SchedulerMessage.insufficient(name),
      detail: `${name}: requested ${formatAmount(name, request)}, free ${formatAmount(name, free < 0n ? 0n : free)} of ${formatAmount(name, total)} allocatable`,
    });
  }
  return reasons;
}

/** Host ports a pod occupies: those of its containers and sidecars with hostPort > 0. */
export function hostPorts(pod: Pod): ContainerPort[] {
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  return [...sidecars, ...(pod.spec?.containers ?? [])].flatMap((c) => (c.ports ?? []).filter((p) => (p.hostPort ?? 0) > 0));
}

function bindAddress(p: ContainerPort): { ip: string; protocol: string; port: number } {
  return { ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort! };
}

/** Two bindings clash on the same protocol and port when either binds all addresses or both bind the same one. */
function clash(a: ContainerPort, b: ContainerPort): boolean {
  const x = bindAddress(a);
  const y = bindAddress(b);
  return x.protocol === y.protocol && x.port === y.port && (x.ip === '0.0.0.0' || y.ip === '0.0.0.0' || x.ip === y.ip);
}

/** NodePorts: a reason if any wanted host port is already taken on the node. Empty = fits. */
export function fitsHostPorts(pod: Pod, podsOnNode: readonly Pod[]): Reason[] {
  const taken = podsOnNode.filter(isActive).flatMap(hostPorts);
  const clashes = hostPorts(pod).filter((want) => taken.some((t) => clash(want, t)));
  if (clashes.length === 0) return [];
  const list = clashes.map((p) => {
    const b = bindAddress(p);
    return `${b.protocol} ${b.ip === '0.0.0.0' ? '' : `${b.ip}:`}${b.port}`;
  });
  return [{ code: ReasonCode.HostPortConflict, message: SchedulerMessage.hostPorts, detail: `host port ${list.join(', ')} already in use` }];
}
