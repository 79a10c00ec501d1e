// PURE: the Pod status a kubelet would write, from the pod as the API has it and what the runtime
// reports about its containers. Follows upstream's status generation: default waiting states for
// containers not created yet, the phase from the container states, the kubelet-owned conditions
// (PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled) with their
// transition times kept while they hold, conditions owned by others kept as they are, and, for a
// pod torn down for deletion, a terminal phase with every container terminated.
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerReport, PodRuntimeStatus } from './runtime.js';

export interface PodStatusInput {
  /** The pod as the API server has it: spec, and the status to build on. */
  pod: Pod;
  runtime: PodRuntimeStatus;
  /** The node's primary address. */
  hostIP: string;
  /** The pod is being torn down and its containers have stopped: the phase becomes terminal. */
  terminal: boolean;
  /** RFC 3339, whole seconds (`2026-01-02T03:04:05Z`). */
  now: string;
}

/** The kubelet writes `lastProbeTime: null` on every condition it owns. */
export type KubeletPodCondition = Omit<PodCondition, 'lastProbeTime'> & { lastProbeTime: null };
export type KubeletPodStatus = Omit<PodStatus, 'conditions'> & { conditions: Array<PodCondition | KubeletPodCondition> };

const KUBELET_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers', 'PodResizePending', 'PodResizeInProgress']);

const UNKNOWN_AT_TERMINATION: ContainerState = {
  terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' },
};

function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/** Go's `%s` of a []string: `[a b]`. */
function goList(names: string[]): string {
  return `[${names.join(' ')}]`;
}

function volumeMountStatuses(c: Container): Pick<ContainerStatus, 'volumeMounts'> {
  if (!c.volumeMounts?.length) return {};
  return {
    volumeMounts: c.volumeMounts.map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
    })),
  };
}

function fromReport(r: ContainerReport, c: Container): ContainerStatus {
  return {
    name: r.name,
    state: r.state,
    lastState: r.lastState ?? {},
    ready: r.ready,
    restartCount: r.restartCount,
    image: r.image,
    imageID: r.imageID,
    ...(r.containerID ? { containerID: r.containerID } : {}),
    started: r.started,
    ...volumeMountStatuses(c),
  };
}

/** One status per container of `specs`: the runtime's report, else what upstream defaults to. */
function containerStatuses(specs: Container[], reports: ContainerReport[], previous: ContainerStatus[] | undefined, hasInit: boolean): ContainerStatus[] {
  const byName = new Map(reports.map((r) => [r.name, r]));
  const old = new Map((previous ?? []).map((s) => [s.name, s]));
  return specs.map((c) => {
    const r = byName.get(c.name);
    if (r) return fromReport(r, c);
    const o = old.get(c.name);
    if (o?.state?.terminated) return o;
    return {
      name: c.name,
      state: { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } },
      lastState: o?.lastState ?? {},
      ready: false,
      restartCount: o?.restartCount ?? 0,
      image: c.image ?? '',
      imageID: '',
      started: false,
      ...volumeMountStatuses(c),
    };
  });
}

function hasStarted(s: ContainerStatus): boolean {
  return !s.state?.waiting || !!s.lastState?.terminated;
}

/** Upstream's HasAnyRegularContainerStarted. */
function anyRegularStarted(regular: ContainerStatus[]): boolean {
  return regular.some((s) => !!(s.state?.running || s.state?.terminated));
}

/** Whether the pod got past its init containers (upstream's hasPodInitialized). */
function podHasInitialized(initSpecs: Container[], init: ContainerStatus[], regular: ContainerStatus[]): boolean {
  if (initSpecs.length === 0) return true;
  if (regular.some(hasStarted)) return true;
  const last = init.find((s) => s.name === initSpecs[initSpecs.length - 1]!.name);
  return last?.state?.terminated?.exitCode === 0;
}

/** At the end of a pod's life, a container with no known end is reported as failed (upstream's TerminatePod). */
function terminateUnknown(initSpecs: Container[], init: ContainerStatus[], regular: ContainerStatus[]): { init: ContainerStatus[]; regular: ContainerStatus[] } {
  const unknown = (s: ContainerStatus): ContainerStatus => (s.state?.terminated ? s : { ...s, state: UNKNOWN_AT_TERMINATION, ready: false, started: false });
  const outRegular = podHasInitialized(initSpecs, init, regular) ? regular.map(unknown) : regular;
  // Init containers up to the last one that ever started; the untouched tail stays waiting.
  let lastStarted = -1;
  init.forEach((s, i) => {
    if (hasStarted(s)) lastStarted = i;
  });
  return { init: init.map((s, i) => (i <= lastStarted ? unknown(s) : s)), regular: outRegular };
}

/** Upstream's getPhase. */
export function podPhase(pod: Pod, init: ContainerStatus[], regular: ContainerStatus[], terminal: boolean): string {
  const spec = pod.spec!;
  const initByName = new Map(init.map((s) => [s.name, s]));
  const regularByName = new Map(regular.map((s) => [s.name, s]));
  let pendingInit = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    const s = initByName.get(c.name);
    if (isSidecar(c)) {
      if (!s) unknown++;
      else if (s.state?.running) {
        if (!s.started) pendingInit++;
        running++;
      } else if (s.state?.terminated) {
        // stopped sidecars do not count towards the phase
      } else if (s.state?.waiting && !s.lastState?.terminated) {
        pendingInit++;
        waiting++;
      } else if (!s.state?.waiting) {
        pendingInit++;
        unknown++;
      }
      continue;
    }
    if (!s || s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting && s.lastState?.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  for (const c of spec.containers) {
    const s = regularByName.get(c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const restartPolicy = spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  if ((pendingInit > 0 && !anyRegularStarted(regular)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return restartPolicy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}

type Generated = { type: string; status: 'True' | 'False'; reason?: string; message?: string };

function containersReady(pod: Pod, init: ContainerStatus[], regular: ContainerStatus[], phase: string): Generated {
  if (phase === 'Succeeded' || phase === 'Failed') {
    return { type: 'ContainersReady', status: 'False', reason: phase === 'Failed' ? 'PodFailed' : 'PodCompleted' };
  }
  const byName = new Map([...init, ...regular].map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  const spec = pod.spec!;
  for (const c of [...(spec.initContainers ?? []).filter(isSidecar), ...spec.containers]) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function podReady(pod: Pod, others: PodCondition[], ready: Generated): Generated {
  if (ready.status !== 'True') return { ...ready, type: 'Ready' };
  const messages: string[] = [];
  for (const gate of pod.spec!.readinessGates ?? []) {
    const c = others.find((o) => o.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

function initialized(pod: Pod, init: ContainerStatus[], regular: ContainerStatus[], phase: string): Generated {
  const specs = pod.spec!.initContainers ?? [];
  const byName = new Map(init.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of specs) {
    const s = byName.get(c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (anyRegularStarted(regular)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

/** A generated condition with its transition time: kept from the previous one while the status holds. */
function withTransition(g: Generated, previous: PodCondition[], now: string): KubeletPodCondition {
  const old = previous.find((c) => c.type === g.type);
  const lastTransitionTime = old && old.status === g.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  return {
    type: g.type,
    status: g.status,
    lastProbeTime: null,
    lastTransitionTime,
    ...(g.reason ? { reason: g.reason } : {}),
    ...(g.message ? { message: g.message } : {}),
  };
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

export function buildPodStatus({ pod, runtime, hostIP, terminal, now }: PodStatusInput): KubeletPodStatus {
  const spec = pod.spec!;
  const old = pod.status ?? {};
  const initSpecs = spec.initContainers ?? [];
  const hasInit = initSpecs.length > 0;
  let init = containerStatuses(initSpecs, runtime.initContainers, old.initContainerStatuses, hasInit);
  let regular = containerStatuses(spec.containers, runtime.containers, old.containerStatuses, hasInit).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (terminal) ({ init, regular } = terminateUnknown(initSpecs, init, regular));

  let phase = podPhase(pod, init, regular, terminal);
  if (terminal && !isTerminalPhase(phase)) phase = 'Failed';
  // A pod never leaves a terminal phase.
  if (isTerminalPhase(old.phase)) phase = old.phase!;

  const previous = old.conditions ?? [];
  const others = previous.filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const ready = containersReady(pod, init, regular, phase);
  const generated: Generated[] = [
    { type: 'PodReadyToStartContainers', status: runtime.sandboxReady ? 'True' : 'False' },
    initialized(pod, init, regular, phase),
    podReady(pod, others, ready),
    ready,
    { type: 'PodScheduled', status: 'True' },
  ];

  const podIP = spec.hostNetwork ? hostIP : (runtime.podIP ?? old.podIP);
  const { reason: _reason, message: _message, ...kept } = old;
  return {
    ...kept,
    phase,
    conditions: [...others, ...generated.map((g) => withTransition(g, previous, now))],
    ...(phase === old.phase && old.reason ? { reason: old.reason } : {}),
    ...(phase === old.phase && old.message ? { message: old.message } : {}),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old.startTime ?? now,
    ...(hasInit ? { initContainerStatuses: init } : {}),
    containerStatuses: regular,
  };
}
