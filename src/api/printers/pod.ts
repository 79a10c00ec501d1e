// The pod printer: READY, the one-word STATUS summary, RESTARTS with "(45s ago)", and the
// wide IP / NODE / NOMINATED NODE / READINESS GATES columns. The STATUS logic follows the
// upstream apiserver's (1.28–1.33) order of precedence so `kubectl get pods` reads the same.
import type { Container, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Printer } from '../registry-types.js';
import { humanDuration, parseTimestamp } from './duration.js';
import { ageColumn, ageOf, column, nameColumn, nameOf, typed, wideColumn } from './common.js';

/** A sidecar: an init container that keeps running beside the main containers. */
function isRestartable(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionIsTrue(conditions: PodCondition[], type: string): boolean {
  return conditions.some((c) => c.type === type && c.status === 'True');
}

/** Tracks a restart count and the latest `lastState.terminated.finishedAt` seen with it. */
class RestartTally {
  count = 0;
  last: number | undefined;
  add(s: ContainerStatus): void {
    this.count += s.restartCount ?? 0;
    const finished = parseTimestamp(s.lastState?.terminated?.finishedAt);
    if (finished !== undefined && (this.last === undefined || finished > this.last)) this.last = finished;
  }
  cell(now: Date): string {
    if (this.count === 0 || this.last === undefined) return String(this.count);
    return `${this.count} (${humanDuration(now.getTime() - this.last)} ago)`;
  }
}

interface Summary {
  ready: number;
  total: number;
  status: string;
  restarts: RestartTally;
}

/**
 * Init containers are shown as `Init:<reason>` or `Init:<done>/<total>` until they all finish;
 * sidecars that have started count as ready containers instead.
 */
function summarizeInit(pod: Pod, sum: Summary, sidecarRestarts: RestartTally): boolean {
  const specs = new Map((pod.spec?.initContainers ?? []).map((c) => [c.name, c]));
  const statuses = pod.status?.initContainerStatuses ?? [];
  for (const [i, s] of statuses.entries()) {
    sum.restarts.add(s);
    const sidecar = isRestartable(specs.get(s.name));
    if (sidecar) sidecarRestarts.add(s);
    const terminated = s.state?.terminated;
    const waiting = s.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && s.started === true) {
      if (s.ready) sum.ready++;
      continue;
    }
    if (terminated) {
      if (terminated.reason) sum.status = `Init:${terminated.reason}`;
      else if (terminated.signal) sum.status = `Init:Signal:${terminated.signal}`;
      else sum.status = `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      sum.status = `Init:${waiting.reason}`;
    } else {
      sum.status = `Init:${i}/${specs.size}`;
    }
    return true;
  }
  return false;
}

/** Main containers, last first, so the first container's state is the one that shows. */
function summarizeContainers(pod: Pod, sum: Summary): void {
  const statuses = pod.status?.containerStatuses ?? [];
  let hasRunning = false;
  for (let i = statuses.length - 1; i >= 0; i--) {
    const s = statuses[i]!;
    sum.restarts.add(s);
    const waiting = s.state?.waiting;
    const terminated = s.state?.terminated;
    if (waiting?.reason) sum.status = waiting.reason;
    else if (terminated?.reason) sum.status = terminated.reason;
    else if (terminated) sum.status = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
    else if (s.ready && s.state?.running) {
      hasRunning = true;
      sum.ready++;
    }
  }
  // A finished container next to one still running: the pod as a whole is not "Completed".
  if (sum.status === 'Completed' && hasRunning) {
    sum.status = conditionIsTrue(pod.status?.conditions ?? [], 'Ready') ? 'Running' : 'NotReady';
  }
}

function summarize(pod: Pod): Summary {
  const status = pod.status ?? {};
  const conditions = status.conditions ?? [];
  const sum: Summary = {
    ready: 0,
    total: (pod.spec?.containers ?? []).length + (pod.spec?.initContainers ?? []).filter(isRestartable).length,
    status: status.reason || status.phase || '',
    restarts: new RestartTally(),
  };
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) sum.status = 'SchedulingGated';

  const sidecarRestarts = new RestartTally();
  const initializing = summarizeInit(pod, sum, sidecarRestarts);
  if (!initializing || conditionIsTrue(conditions, 'Initialized')) {
    // Once initialised, only sidecar restarts are carried over from the init containers.
    sum.restarts = sidecarRestarts;
    summarizeContainers(pod, sum);
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === 'NodeLost') sum.status = 'Unknown';
    else if (status.phase !== 'Succeeded' && status.phase !== 'Failed') sum.status = 'Terminating';
  }
  return sum;
}

function podIP(pod: Pod): string {
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || '<none>';
}

/** `<true>/<gates>`: how many readiness-gate conditions are currently True. */
function readinessGatesCell(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const passed = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${passed}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', 'string', 'Ready containers out of all containers in the pod.'),
    column('Status', 'string', 'One-word summary of the pod and its containers.'),
    column('Restarts', 'string', 'Container restarts in the pod, and how long ago the last one was.'),
    ageColumn,
    wideColumn('IP', 'string', 'The IP address allocated to the pod.'),
    wideColumn('Node', 'string', 'The node the pod is bound to.'),
    wideColumn('Nominated Node', 'string', 'The node the scheduler nominated while preempting for this pod.'),
    wideColumn('Readiness Gates', 'string', 'Readiness gates whose condition is True, out of all gates.'),
  ],
  cells(obj, now) {
    const pod = typed<Pod>(obj);
    const sum = summarize(pod);
    return [
      nameOf(obj),
      `${sum.ready}/${sum.total}`,
      sum.status,
      sum.restarts.cell(now),
      ageOf(obj, now),
      podIP(pod),
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGatesCell(pod),
    ];
  },
};
