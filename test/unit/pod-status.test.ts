import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { buildPodStatus, podPhase, type KubeletPodStatus } from '../../src/agent/pod-status.js';
import type { ContainerReport, PodRuntimeStatus } from '../../src/agent/runtime.js';
import { jsonEqual } from '../../src/api/object.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:00:05Z';
const T2 = '2026-01-01T00:01:00Z';
const HOST = '10.1.0.1';

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, status: PodStatus = {}, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u1', ...meta },
    spec: { nodeName: 'sim-0', containers: [{ name: 'web', image: 'nginx:1.27' }], ...spec },
    status: {
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null as never, lastTransitionTime: T0 }],
      ...status,
    },
  };
}

const nothing: PodRuntimeStatus = { sandboxReady: false, initContainers: [], containers: [] };

function runningReport(name: string, image = `docker.io/library/${name}:1`): ContainerReport {
  return {
    name,
    state: { running: { startedAt: T1 } },
    ready: true,
    started: true,
    restartCount: 0,
    image,
    imageID: `${image.split(':')[0]}@sha256:abc`,
    containerID: `simulated://${name}`,
  };
}

function completedReport(name: string): ContainerReport {
  return { ...runningReport(name), state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: T1, finishedAt: T1 } }, started: false };
}

function waitingReport(name: string, reason: string, message: string, image = 'nginx:non-existent'): ContainerReport {
  return { name, state: { waiting: { reason, message } }, ready: false, started: false, restartCount: 0, image, imageID: '' };
}

function stoppedReport(name: string, exitCode = 0): ContainerReport {
  return { ...runningReport(name), state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: T1, finishedAt: T2 } }, ready: false, started: false };
}

function running(names: string[], podIP = '100.64.1.2'): PodRuntimeStatus {
  return { sandboxReady: true, podIP, initContainers: [], containers: names.map((n) => runningReport(n)) };
}

function build(p: Pod, runtime: PodRuntimeStatus, opts: { terminal?: boolean; now?: string } = {}): KubeletPodStatus {
  return buildPodStatus({ pod: p, runtime, hostIP: HOST, terminal: opts.terminal ?? false, now: opts.now ?? T1 });
}

function cond(s: KubeletPodStatus, type: string): PodCondition | undefined {
  return s.conditions.find((c) => c.type === type) as PodCondition | undefined;
}

/** `type=status(reason)` for every condition, in order. */
function conditionSummary(s: KubeletPodStatus): string[] {
  return s.conditions.map((c) => `${c.type}=${c.status}${c.reason ? `(${c.reason})` : ''}`);
}

function stateOf(s: ContainerStatus): string {
  const st = s.state ?? {};
  if (st.running) return 'running';
  if (st.waiting) return `waiting:${st.waiting.reason ?? ''}`;
  if (st.terminated) return `terminated:${st.terminated.reason ?? ''}:${st.terminated.exitCode}`;
  return 'none';
}

test('a pod the runtime has not created yet is Pending with ContainerCreating containers', () => {
  const s = build(pod(), nothing);
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(conditionSummary(s), [
    'PodReadyToStartContainers=False',
    'Initialized=True',
    'Ready=False(ContainersNotReady)',
    'ContainersReady=False(ContainersNotReady)',
    'PodScheduled=True',
  ]);
  assert.equal(cond(s, 'Ready')!.message, 'containers with unready status: [web]');
  assert.deepEqual(s.containerStatuses, [
    { name: 'web', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: 'nginx:1.27', imageID: '', started: false },
  ]);
  assert.equal(s.hostIP, HOST);
  assert.deepEqual(s.hostIPs, [{ ip: HOST }]);
  assert.equal(s.podIP, undefined);
  assert.equal(s.podIPs, undefined);
  assert.equal(s.startTime, T1);
  assert.equal(s.qosClass, 'BestEffort', 'fields the kubelet does not own are kept');
  assert.ok(s.conditions.every((c) => c.lastProbeTime === null));
});

test('a running pod: phase Running, every condition True, containers running and ready', () => {
  const s = build(pod(), running(['web']));
  assert.equal(s.phase, 'Running');
  assert.deepEqual(conditionSummary(s), ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  assert.equal(s.podIP, '100.64.1.2');
  assert.deepEqual(s.podIPs, [{ ip: '100.64.1.2' }]);
  assert.deepEqual(s.containerStatuses, [
    {
      name: 'web',
      state: { running: { startedAt: T1 } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: 'docker.io/library/web:1',
      imageID: 'docker.io/library/web@sha256:abc',
      containerID: 'simulated://web',
      started: true,
    },
  ]);
});

test('transition times are kept while a condition holds and set to now when it changes', () => {
  const first = build(pod(), nothing, { now: T0 });
  const p = pod({}, first as PodStatus);
  const second = build(p, running(['web']), { now: T1 });
  assert.equal(cond(second, 'PodScheduled')!.lastTransitionTime, T0, 'PodScheduled stays True');
  assert.equal(cond(second, 'Initialized')!.lastTransitionTime, T0, 'Initialized stays True');
  assert.equal(cond(second, 'Ready')!.lastTransitionTime, T1, 'Ready went False → True');
  assert.equal(cond(second, 'PodReadyToStartContainers')!.lastTransitionTime, T1);
  assert.equal(second.startTime, T0, 'startTime is set once');
});

test('building again on the written status changes nothing (no endless status writes)', () => {
  const cases: Array<[string, Pod, PodRuntimeStatus]> = [
    ['created', pod(), nothing],
    ['running', pod(), running(['web'])],
    ['image pull back-off', pod({ containers: [{ name: 'web', image: 'nginx:non-existent' }] }), { sandboxReady: true, podIP: '100.64.0.9', initContainers: [], containers: [waitingReport('web', 'ImagePullBackOff', 'Back-off')] }],
    [
      'init + sidecar + two containers',
      pod({ initContainers: [{ name: 'init', image: 'busybox' }, { name: 'side', image: 'envoy', restartPolicy: 'Always' }], containers: [{ name: 'b', image: 'x' }, { name: 'a', image: 'y', volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: true }] }] }),
      { sandboxReady: true, podIP: '100.64.0.3', initContainers: [completedReport('init'), runningReport('side')], containers: [runningReport('a'), runningReport('b')] },
    ],
  ];
  for (const [name, p, runtime] of cases) {
    const once = build(p, runtime, { now: T1 });
    const twice = build({ ...p, status: once as PodStatus }, runtime, { now: T2 });
    assert.ok(jsonEqual(once, twice), name);
  }
});

test('container statuses are sorted by name; init container statuses follow the spec order', () => {
  const p = pod({
    initContainers: [{ name: 'z-init', image: 'a' }, { name: 'a-init', image: 'b' }],
    containers: [{ name: 'zeta', image: 'a' }, { name: 'alpha', image: 'b' }, { name: 'mid', image: 'c' }],
  });
  const s = build(p, nothing);
  assert.deepEqual(s.containerStatuses!.map((c) => c.name), ['alpha', 'mid', 'zeta']);
  assert.deepEqual(s.initContainerStatuses!.map((c) => c.name), ['z-init', 'a-init']);
});

test('pods with init containers: PodInitializing until they complete', () => {
  const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
  const cases: Array<[string, PodRuntimeStatus, string, string[], string[], string]> = [
    ['nothing yet', nothing, 'Pending', ['waiting:PodInitializing'], ['waiting:PodInitializing'], 'Initialized=False(ContainersNotInitialized)'],
    ['init running', { sandboxReady: true, podIP: '1.1.1.1', initContainers: [{ ...runningReport('init'), ready: false }], containers: [] }, 'Pending', ['running'], ['waiting:PodInitializing'], 'Initialized=False(ContainersNotInitialized)'],
    ['init done, container running', { sandboxReady: true, podIP: '1.1.1.1', initContainers: [completedReport('init')], containers: [runningReport('web')] }, 'Running', ['terminated:Completed:0'], ['running'], 'Initialized=True'],
    [
      'init image cannot be pulled',
      { sandboxReady: true, podIP: '1.1.1.1', initContainers: [waitingReport('init', 'ErrImagePull', 'not found')], containers: [] },
      'Pending',
      ['waiting:ErrImagePull'],
      ['waiting:PodInitializing'],
      'Initialized=False(ContainersNotInitialized)',
    ],
  ];
  for (const [name, runtime, phase, init, regular, initialized] of cases) {
    const s = build(p, runtime);
    assert.equal(s.phase, phase, name);
    assert.deepEqual(s.initContainerStatuses!.map(stateOf), init, name);
    assert.deepEqual(s.containerStatuses!.map(stateOf), regular, name);
    assert.equal(conditionSummary(s)[1], initialized, name);
  }
  assert.equal(cond(build(p, nothing), 'Initialized')!.message, 'containers with incomplete status: [init]');
});

test('a sidecar (restartable init container) that runs counts for readiness', () => {
  const p = pod({ initContainers: [{ name: 'side', image: 'envoy', restartPolicy: 'Always' }] });
  const unready = build(p, { sandboxReady: true, podIP: '1.1.1.1', initContainers: [{ ...runningReport('side'), ready: false }], containers: [runningReport('web')] });
  assert.equal(unready.phase, 'Running');
  assert.equal(cond(unready, 'Initialized')!.status, 'True');
  assert.equal(cond(unready, 'ContainersReady')!.message, 'containers with unready status: [side]');
  const ready = build(p, { sandboxReady: true, podIP: '1.1.1.1', initContainers: [runningReport('side')], containers: [runningReport('web')] });
  assert.equal(cond(ready, 'Ready')!.status, 'True');
});

test('an image that cannot be pulled keeps the pod Pending and not Ready', () => {
  const p = pod({ containers: [{ name: 'web', image: 'nginx:non-existent' }, { name: 'log', image: 'fluentbit:3' }] });
  const s = build(p, { sandboxReady: true, podIP: '1.1.1.1', initContainers: [], containers: [runningReport('log'), waitingReport('web', 'ImagePullBackOff', 'Back-off pulling image "nginx:non-existent"')] });
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses!.map(stateOf), ['running', 'waiting:ImagePullBackOff']);
  const web = s.containerStatuses!.find((c) => c.name === 'web')!;
  assert.equal(web.image, 'nginx:non-existent');
  assert.equal(web.imageID, '');
  assert.equal(web.containerID, undefined);
  assert.deepEqual(conditionSummary(s).slice(2, 4), ['Ready=False(ContainersNotReady)', 'ContainersReady=False(ContainersNotReady)']);
  assert.equal(cond(s, 'Ready')!.message, 'containers with unready status: [web]');
});

test('host-network pods have the node address as theirs, even before the sandbox exists', () => {
  const s = build(pod({ hostNetwork: true }), nothing);
  assert.equal(s.podIP, HOST);
  assert.deepEqual(s.podIPs, [{ ip: HOST }]);
  const r = build(pod({ hostNetwork: true }), running(['web'], '100.64.9.9'));
  assert.equal(r.podIP, HOST);
});

test('readiness gates: Ready waits for their conditions, which are kept (before the kubelet ones)', () => {
  const gated = { readinessGates: [{ conditionType: 'example.com/lb' }] };
  const missing = build(pod(gated), running(['web']));
  assert.deepEqual(conditionSummary(missing)[2], 'Ready=False(ReadinessGatesNotReady)');
  assert.equal(cond(missing, 'Ready')!.message, 'corresponding condition of pod readiness gate "example.com/lb" does not exist.');
  assert.equal(cond(missing, 'ContainersReady')!.status, 'True');

  const gate = (status: string): PodCondition => ({ type: 'example.com/lb', status, lastTransitionTime: T0 });
  const falseGate = pod(gated, { conditions: [gate('False')] });
  assert.equal(cond(build(falseGate, running(['web'])), 'Ready')!.message, 'the status of pod readiness gate "example.com/lb" is not "True", but False');

  const ok = build(pod(gated, { conditions: [gate('True')] }), running(['web']));
  assert.deepEqual(conditionSummary(ok), ['example.com/lb=True', 'PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
});

test('conditions written by others (DisruptionTarget) are kept as they are', () => {
  const disruption: PodCondition = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: T0 };
  const s = build(pod({}, { conditions: [disruption] }), running(['web']));
  assert.deepEqual(s.conditions[0], disruption);
});

test('torn down for deletion: a terminal phase, every container terminated', () => {
  const cases: Array<[string, Pod, PodRuntimeStatus, string, string[], string]> = [
    ['clean stop', pod(), { sandboxReady: false, podIP: '1.1.1.1', initContainers: [], containers: [stoppedReport('web')] }, 'Succeeded', ['terminated:Completed:0'], 'PodCompleted'],
    ['a container failed', pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }), { sandboxReady: false, initContainers: [], containers: [stoppedReport('a'), stoppedReport('b', 143)] }, 'Failed', ['terminated:Completed:0', 'terminated:Error:143'], 'PodFailed'],
    [
      'never started (image pull back-off)',
      pod({ containers: [{ name: 'web', image: 'nginx:non-existent' }] }),
      { sandboxReady: false, initContainers: [], containers: [waitingReport('web', 'ImagePullBackOff', 'x')] },
      'Failed',
      ['terminated:ContainerStatusUnknown:137'],
      'PodFailed',
    ],
    ['nothing created yet', pod(), nothing, 'Failed', ['terminated:ContainerStatusUnknown:137'], 'PodFailed'],
  ];
  for (const [name, p, runtime, phase, states, readyReason] of cases) {
    const s = build(p, runtime, { terminal: true });
    assert.equal(s.phase, phase, name);
    assert.deepEqual(s.containerStatuses!.map(stateOf), states, name);
    assert.ok(s.containerStatuses!.every((c) => !c.ready && !c.started), name);
    assert.deepEqual(conditionSummary(s).slice(0, 4), ['PodReadyToStartContainers=False', `Initialized=True${phase === 'Succeeded' ? '(PodCompleted)' : ''}`, `Ready=False(${readyReason})`, `ContainersReady=False(${readyReason})`], name);
  }
  const unknown = build(pod(), nothing, { terminal: true }).containerStatuses![0]!.state!.terminated!;
  assert.equal(unknown.message, 'The container could not be located when the pod was terminated');
});

test('torn down before its init containers finished: untried containers stay waiting, the pod Failed', () => {
  const p = pod({ initContainers: [{ name: 'i1', image: 'a' }, { name: 'i2', image: 'b' }, { name: 'i3', image: 'c' }] });
  const s = build(p, { sandboxReady: false, initContainers: [completedReport('i1'), waitingReport('i2', 'ImagePullBackOff', 'x')], containers: [] }, { terminal: true });
  assert.equal(s.phase, 'Failed');
  assert.deepEqual(s.initContainerStatuses!.map(stateOf), ['terminated:Completed:0', 'waiting:ImagePullBackOff', 'waiting:PodInitializing']);
  assert.deepEqual(s.containerStatuses!.map(stateOf), ['waiting:PodInitializing']);
});

test('a pod never leaves a terminal phase; reason and message stay with their phase', () => {
  const failed = pod({}, { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' });
  const s = build(failed, running(['web']));
  assert.equal(s.phase, 'Failed');
  assert.equal(s.reason, 'Evicted');
  assert.equal(s.message, 'The node was low on resource: memory.');

  const changed = build(pod({}, { phase: 'Pending', reason: 'SomeReason', message: 'm' }), running(['web']));
  assert.equal(changed.phase, 'Running');
  assert.equal(changed.reason, undefined);
  assert.equal(changed.message, undefined);
});

test('volume mounts are reported in the container status', () => {
  const c: Container = { name: 'web', image: 'nginx', volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg', readOnly: true }] };
  for (const runtime of [nothing, running(['web'])]) {
    const s = build(pod({ containers: [c] }), runtime);
    assert.deepEqual(s.containerStatuses![0]!.volumeMounts, [
      { name: 'data', mountPath: '/data' },
      { name: 'cfg', mountPath: '/etc/cfg', readOnly: true, recursiveReadOnly: 'Disabled' },
    ]);
  }
});

test('podPhase follows the restart policy for containers that stopped by themselves', () => {
  const stopped = (code: number): ContainerStatus => ({ name: 'web', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: code } } });
  const initFailed: ContainerStatus = { name: 'init', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 1 } } };
  const cases: Array<[string, Partial<NonNullable<Pod['spec']>>, ContainerStatus[], ContainerStatus[], boolean, string]> = [
    ['Always, exited 0', {}, [], [stopped(0)], false, 'Running'],
    ['OnFailure, exited 0', { restartPolicy: 'OnFailure' }, [], [stopped(0)], false, 'Succeeded'],
    ['OnFailure, exited 1', { restartPolicy: 'OnFailure' }, [], [stopped(1)], false, 'Running'],
    ['Never, exited 1', { restartPolicy: 'Never' }, [], [stopped(1)], false, 'Failed'],
    ['Never, init failed', { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'x' }] }, [initFailed], [], false, 'Failed'],
    ['Always, terminal, exited 0', {}, [], [stopped(0)], true, 'Succeeded'],
    ['no status at all', {}, [], [], false, 'Pending'],
  ];
  for (const [name, spec, init, regular, terminal, phase] of cases) {
    assert.equal(podPhase(pod(spec), init, regular, terminal), phase, name);
  }
});
