import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ContainerPodRuntime } from '../../src/agent/kubelet/container-pod-runtime.js';
import type { KubeletTiming } from '../../src/agent/kubelet/pod-runner.js';
import { rfc3339 } from '../../src/agent/node-status.js';
import { buildPodStatus } from '../../src/agent/pod-status.js';
import type { PodRuntimeStatus } from '../../src/agent/runtime.js';
import type { KObject } from '../../src/api/object.js';
import { podPrinter } from '../../src/api/printers/pod.js';
import { FakeContainerRuntime, RecordingSink, testPod, waitFor } from '../helpers/fake-container-runtime.js';

const HOST = '10.0.0.7';
const FAST: Partial<KubeletTiming> = { backoffInitialMs: 40, backoffMaxMs: 160, retryMs: 30, secondMs: 10, minimumGraceSeconds: 2 };

function setup(timing: Partial<KubeletTiming> = FAST) {
  const fake = new FakeContainerRuntime();
  const logDir = mkdtempSync(path.join(tmpdir(), 'kubelet-test-'));
  const rt = new ContainerPodRuntime({ runtime: fake, hostIP: () => HOST, logDir, timing, allocatable: { cpu: '2', memory: '4Gi' } });
  const sinks = new Map<string, RecordingSink>();
  return {
    fake,
    rt,
    logDir,
    run(pod: Pod): RecordingSink {
      const sink = new RecordingSink();
      sinks.set(pod.metadata!.uid!, sink);
      rt.startPod(pod, sink);
      return sink;
    },
    async done(): Promise<void> {
      await Promise.all([...sinks.keys()].map((uid) => rt.stopPod(uid, 0)));
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** The pod as the agent would write it, and what `kubectl get pods` prints for it. */
function kubectl(pod: Pod, runtime: PodRuntimeStatus | undefined, terminal = false) {
  const status = buildPodStatus({ pod, runtime: runtime ?? { sandboxReady: false, initContainers: [], containers: [] }, hostIP: HOST, terminal, now: rfc3339(new Date()) });
  const cells = podPrinter.cells({ ...pod, status } as unknown as KObject, new Date());
  return { status, ready: cells[1] as string, printed: cells[2] as string, restarts: cells[3] as string };
}

/** Every distinct STATUS column value the pod went through, in order. */
function printedHistory(pod: Pod, sink: RecordingSink): string[] {
  const out: string[] = [];
  for (const s of sink.statuses) {
    const p = kubectl(pod, s).printed;
    if (out.at(-1) !== p) out.push(p);
  }
  return out;
}

test('a pod starts: env, command, workingDir and log path reach the runtime; status is Running 1/1', async () => {
  const h = setup();
  const pod = testPod({
    containers: [
      {
        name: 'main',
        image: 'busybox:1.36',
        command: ['/bin/sh', '-c', 'echo $(GREETING) on $(NODE)'],
        args: ['$(POD)'],
        workingDir: '/tmp',
        env: [
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'GREETING', value: 'hello from $(POD)' },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        ],
      },
    ],
  });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers[0]?.state.running, 2000, 'running');
  const req = h.fake.containers[0]!.req;
  assert.deepEqual(req.env, { NODE: 'node-a', POD: 'p', NS: 'default', HOST_IP: HOST, GREETING: 'hello from p', MEM: '4096' });
  assert.deepEqual(req.container.command, ['/bin/sh', '-c', 'echo hello from p on node-a']);
  assert.deepEqual(req.container.args, ['p']);
  assert.equal(req.container.workingDir, '/tmp');
  assert.equal(req.attempt, 0);
  assert.equal(req.logPath, path.join(h.logDir, 'default_p_uid-1', 'main', '0.log'));
  assert.ok(existsSync(path.dirname(req.logPath)), 'the log directory exists');

  const view = kubectl(pod, sink.last);
  assert.equal(view.status.phase, 'Running');
  assert.equal(`${view.ready} ${view.printed} ${view.restarts}`, '1/1 Running 0');
  assert.equal(view.status.podIP, HOST);
  const cs = view.status.containerStatuses![0]!;
  assert.equal(cs.containerID, 'fake://1');
  assert.equal(cs.image, 'docker.io/library/busybox:1.36');
  assert.equal(cs.imageID, 'sha256:main');
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  assert.deepEqual(cs.lastState, {});
  assert.deepEqual(
    view.status.conditions.map((c) => `${c.type}=${c.status}`),
    ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
  );
  assert.deepEqual(
    sink.events.map((e) => `${e.reason}: ${e.message}`),
    ['Created: Created container: main', 'Started: Started container main'],
  );
  await h.done();
});

test('init containers run one at a time, in order, to completion; then the containers', async () => {
  const h = setup();
  h.fake.behaviour = (req) => (req.container.name.startsWith('init') ? { exitAfterMs: 40, exitCode: 0 } : {});
  const pod = testPod({
    initContainers: [
      { name: 'init-a', image: 'busybox' },
      { name: 'init-b', image: 'busybox' },
    ],
    containers: [
      { name: 'app', image: 'busybox' },
      { name: 'helper', image: 'busybox' },
    ],
  });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers.length === 2 && sink.last.containers.every((c) => c.state.running), 3000, 'containers running');
  const [a, b, app, helper] = ['init-a', 'init-b', 'app', 'helper'].map((n) => h.fake.latest(n)!);
  assert.deepEqual(
    h.fake.containers.map((c) => c.name),
    ['init-a', 'init-b', 'app', 'helper'],
  );
  // Each one starts only after the one before it exited.
  assert.ok(b!.startedAtMs >= Date.parse(a!.exit!.finishedAt));
  assert.ok(app!.startedAtMs >= Date.parse(b!.exit!.finishedAt));
  assert.equal(app!.exit, undefined);
  assert.equal(helper!.exit, undefined);
  // What `kubectl get pods -w` shows along the way.
  assert.deepEqual(printedHistory(pod, sink), ['Init:0/2', 'Init:1/2', 'PodInitializing', 'Running']);
  const view = kubectl(pod, sink.last);
  assert.equal(view.ready, '2/2');
  for (const s of view.status.initContainerStatuses!) {
    assert.equal(s.state?.terminated?.reason, 'Completed');
    assert.equal(s.ready, true);
    assert.equal(s.started, false);
  }
  await h.done();
});

test('a failed init container: restartPolicy Never fails the pod; Always retries it until it succeeds', async () => {
  {
    const h = setup();
    h.fake.behaviour = (req) => (req.container.name === 'init' ? { exitAfterMs: 5, exitCode: 1 } : {});
    const pod = testPod({ restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox' }] });
    const sink = h.run(pod);
    await waitFor(() => kubectl(pod, sink.last).status.phase === 'Failed', 2000, 'Failed');
    const view = kubectl(pod, sink.last);
    assert.equal(view.printed, 'Init:Error');
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(
      h.fake.containers.map((c) => c.name),
      ['init'],
      'neither retried nor followed by the containers',
    );
    await h.done();
  }
  {
    const h = setup();
    let tries = 0;
    h.fake.behaviour = (req) => (req.container.name === 'init' ? { exitAfterMs: 5, exitCode: ++tries < 3 ? 1 : 0 } : {});
    const pod = testPod({ initContainers: [{ name: 'init', image: 'busybox' }] });
    const sink = h.run(pod);
    await waitFor(() => sink.last?.containers[0]?.state.running, 3000, 'main running');
    const history = printedHistory(pod, sink);
    assert.ok(history.includes('Init:Error') && history.includes('Init:CrashLoopBackOff'), history.join(' → '));
    const init = kubectl(pod, sink.last).status.initContainerStatuses![0]!;
    assert.equal(init.restartCount, 2);
    assert.equal(init.state?.terminated?.exitCode, 0);
    assert.equal(init.lastState?.terminated?.exitCode, 1);
    assert.deepEqual(
      h.fake.containers.map((c) => `${c.name}#${c.attempt}`),
      ['init#0', 'init#1', 'init#2', 'main#0'],
    );
    await h.done();
  }
});

test('CrashLoopBackOff: restarts at once, then waits 1x, 2x, 4x the initial back-off up to the cap', async () => {
  const h = setup();
  h.fake.behaviour = () => ({ exitAfterMs: 5, exitCode: 2 });
  const pod = testPod({});
  const sink = h.run(pod);
  await waitFor(() => h.fake.containers.length >= 6, 4000, 'six starts');
  const startedAt = h.fake.containers.map((c) => c.startedAtMs);
  const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]! - 5);
  const expected = [0, 40, 80, 160, 160];
  gaps.forEach((g, i) => {
    assert.ok(g >= expected[i]! - 5 && g <= expected[i]! + 60, `restart ${i + 1}: waited ${g} ms, expected ~${expected[i]} ms (${gaps.join(', ')})`);
  });
  assert.deepEqual(
    h.fake.containers.map((c) => c.attempt),
    [0, 1, 2, 3, 4, 5],
  );

  const waiting = await waitFor(() => {
    const c = sink.last?.containers[0];
    return c?.state.waiting?.reason === 'CrashLoopBackOff' && c.restartCount === 5 ? c : undefined;
  }, 2000);
  assert.equal(waiting.state.waiting!.message, 'back-off 160ms restarting failed container=main pod=p_default(uid-1)');
  assert.equal(waiting.lastState?.terminated?.exitCode, 2);
  assert.equal(waiting.lastState?.terminated?.reason, 'Error');
  assert.equal(waiting.lastState?.terminated?.containerID, 'fake://6');
  assert.equal(waiting.containerID, 'fake://6');
  const view = kubectl(pod, sink.last);
  assert.equal(view.status.phase, 'Running');
  assert.equal(view.printed, 'CrashLoopBackOff');
  assert.equal(view.ready, '0/1');
  assert.match(view.restarts, /^5 \(\d+s ago\)$/);
  const backoffs = sink.events.filter((e) => e.reason === 'BackOff');
  assert.ok(backoffs.length >= 4);
  assert.equal(backoffs[0]!.type, 'Warning');
  assert.equal(backoffs[0]!.message, 'Back-off restarting failed container main in pod p_default(uid-1)');
  // The previous container is removed when the next starts (one exited container is kept).
  assert.ok(h.fake.removed.includes('fake://1') && h.fake.removed.includes('fake://4') && !h.fake.removed.includes('fake://6'));
  await h.done();
});

test('restart counts and lastState as containers exit and restart', async () => {
  const h = setup();
  let n = 0;
  h.fake.behaviour = () => (n++ < 2 ? { exitAfterMs: 5, exitCode: n === 1 ? 0 : 7 } : {});
  const pod = testPod({});
  const sink = h.run(pod);
  const running = await waitFor(() => {
    const c = sink.last?.containers[0];
    return c?.state.running && c.restartCount === 2 ? c : undefined;
  }, 3000, 'third run');
  assert.equal(running.lastState?.terminated?.exitCode, 7);
  assert.equal(running.lastState?.terminated?.reason, 'Error');
  // Each report of a restarted container has the previous termination as lastState.
  const exitedOnce = sink.statuses.map((s) => s.containers[0]).find((c) => c?.restartCount === 1 && c.state.running);
  assert.equal(exitedOnce?.lastState?.terminated?.exitCode, 0);
  assert.equal(exitedOnce?.lastState?.terminated?.reason, 'Completed');
  assert.equal(kubectl(pod, sink.last).printed, 'Running');
  await h.done();
});

test('restartPolicy OnFailure and Never', async () => {
  const cases: Array<[string, number, string, string, number]> = [
    ['OnFailure', 0, 'Succeeded', 'Completed', 1],
    ['Never', 0, 'Succeeded', 'Completed', 1],
    ['Never', 3, 'Failed', 'Error', 1],
  ];
  for (const [restartPolicy, exitCode, phase, printed, starts] of cases) {
    const h = setup();
    h.fake.behaviour = () => ({ exitAfterMs: 5, exitCode });
    const pod = testPod({ restartPolicy: restartPolicy as 'Never' });
    const sink = h.run(pod);
    await waitFor(() => sink.last?.containers[0]?.state.terminated, 2000);
    await new Promise((r) => setTimeout(r, 60));
    const view = kubectl(pod, sink.last);
    assert.equal(view.status.phase, phase, `${restartPolicy}/${exitCode}`);
    assert.equal(view.printed, printed);
    assert.equal(h.fake.containers.length, starts);
    await h.done();
  }
  // OnFailure restarts a failed container.
  const h = setup();
  let n = 0;
  h.fake.behaviour = () => (n++ === 0 ? { exitAfterMs: 5, exitCode: 1 } : { exitAfterMs: 5, exitCode: 0 });
  const pod = testPod({ restartPolicy: 'OnFailure' });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers[0]?.state.terminated?.exitCode === 0, 2000);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h.fake.containers.length, 2);
  const view = kubectl(pod, sink.last);
  assert.equal(view.status.phase, 'Succeeded');
  assert.equal(view.status.containerStatuses![0]!.restartCount, 1);
  await h.done();
});

test('a liveness failure kills the container (pod grace) and restarts it at once', async () => {
  const h = setup();
  let healthy = true;
  h.fake.exec_ = (c) => ({ exitCode: c?.attempt === 0 && !healthy ? 1 : 0, output: c?.attempt === 0 && !healthy ? 'dead' : 'ok' });
  const pod = testPod({
    terminationGracePeriodSeconds: 12,
    containers: [{ name: 'main', image: 'busybox', livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2, timeoutSeconds: 1 } }],
  });
  const sink = h.run(pod);
  await waitFor(() => h.fake.execs.length >= 2);
  healthy = false;
  const second = await waitFor(() => h.fake.containers[1], 3000, 'restarted');
  assert.deepEqual(h.fake.stops.map((s) => `${s.name}:${s.grace}`), ['main:12']);
  assert.equal(second.attempt, 1);
  const first = h.fake.containers[0]!;
  assert.ok(second.startedAtMs - Date.parse(first.exit!.finishedAt) < 40, 'no back-off after the first liveness kill');
  const msgs = sink.events.map((e) => `${e.reason}: ${e.message}`);
  assert.deepEqual(
    msgs.filter((m) => m.startsWith('Unhealthy')),
    ['Unhealthy: Liveness probe failed: dead', 'Unhealthy: Liveness probe failed: dead'],
  );
  assert.ok(msgs.includes('Killing: Container main failed liveness probe, will be restarted'));
  const running = await waitFor(() => (sink.last?.containers[0]?.restartCount === 1 && sink.last.containers[0].state.running ? sink.last.containers[0] : undefined));
  assert.equal(running.lastState?.terminated?.exitCode, 143);
  await h.done();
});

test('a probe-level terminationGracePeriodSeconds overrides the pod one for liveness kills; Never does not restart', async () => {
  const h = setup();
  h.fake.exec_ = () => ({ exitCode: 1, output: '' });
  const pod = testPod({
    restartPolicy: 'Never',
    containers: [{ name: 'main', image: 'busybox', livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 5 } }],
  });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers[0]?.state.terminated, 2000);
  assert.deepEqual(h.fake.stops.map((s) => s.grace), [5]);
  assert.ok(sink.events.some((e) => e.reason === 'Killing' && e.message === 'Container main failed liveness probe'));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(h.fake.containers.length, 1);
  assert.equal(kubectl(pod, sink.last).status.phase, 'Failed');
  await h.done();
});

test('readiness decides ready: READY 0/1 while failing, 1/1 once it passes', async () => {
  const h = setup();
  let ready = false;
  h.fake.exec_ = () => ({ exitCode: ready ? 0 : 1, output: ready ? '' : 'HTTP 503' });
  const pod = testPod({ containers: [{ name: 'main', image: 'busybox', readinessProbe: { exec: { command: ['ready?'] }, periodSeconds: 1, failureThreshold: 1 } }] });
  const sink = h.run(pod);
  await waitFor(() => h.fake.execs.length >= 2);
  let view = kubectl(pod, sink.last);
  assert.equal(`${view.ready} ${view.printed}`, '0/1 Running');
  assert.equal(view.status.conditions.find((c) => c.type === 'Ready')?.status, 'False');
  assert.equal(view.status.containerStatuses![0]!.started, true);
  ready = true;
  await waitFor(() => sink.last?.containers[0]?.ready, 2000, 'ready');
  view = kubectl(pod, sink.last);
  assert.equal(`${view.ready} ${view.printed}`, '1/1 Running');
  assert.equal(view.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  ready = false;
  await waitFor(() => !sink.last?.containers[0]?.ready, 2000, 'unready again');
  assert.equal(h.fake.stops.length, 0, 'readiness never kills');
  assert.ok(sink.events.some((e) => e.message === 'Readiness probe failed: HTTP 503'));
  await h.done();
});

test('a startup probe holds started, ready and liveness back until it passes', async () => {
  const h = setup();
  let up = false;
  h.fake.exec_ = (_c, command) => ({ exitCode: command[0] === 'startup' && !up ? 1 : 0, output: '' });
  const probe = (cmd: string) => ({ exec: { command: [cmd] }, periodSeconds: 1, failureThreshold: 50 });
  const pod = testPod({ containers: [{ name: 'main', image: 'busybox', startupProbe: probe('startup'), livenessProbe: probe('liveness'), readinessProbe: probe('readiness') }] });
  const sink = h.run(pod);
  await waitFor(() => h.fake.execs.length >= 3);
  assert.deepEqual([...new Set(h.fake.execs.map((e) => e.command[0]))], ['startup']);
  const c = sink.last!.containers[0]!;
  assert.equal(c.started, false);
  assert.equal(c.ready, false);
  up = true;
  await waitFor(() => sink.last?.containers[0]?.ready, 2000, 'ready');
  assert.equal(sink.last!.containers[0]!.started, true);
  await waitFor(() => h.fake.execs.some((e) => e.command[0] === 'liveness'), 2000, 'liveness begins');
  await h.done();
});

test('stopping: preStop hook, then stop with what is left of the grace period', async () => {
  const h = setup();
  h.fake.exec_ = async (_c, command) => {
    if (command[0] === 'drain') await new Promise((r) => setTimeout(r, 52)); // 5 scaled seconds
    return { exitCode: 0, output: '' };
  };
  const pod = testPod({ containers: [{ name: 'main', image: 'busybox', lifecycle: { preStop: { exec: { command: ['drain'] } } } }] });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers[0]?.state.running);
  const final = await h.rt.stopPod('uid-1', 12);
  assert.deepEqual(h.fake.execs.map((e) => e.command[0]), ['drain']);
  assert.equal(h.fake.stops.length, 1);
  assert.ok(h.fake.stops[0]!.grace >= 5 && h.fake.stops[0]!.grace <= 7, `stopped with the remaining grace (${h.fake.stops[0]!.grace})`);
  assert.ok(sink.events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container main'));
  assert.equal(final.sandboxReady, false);
  assert.equal(final.containers[0]!.state.terminated?.exitCode, 143);
  assert.equal(final.containers[0]!.ready, false);
  assert.deepEqual(h.fake.removed, ['fake://1']);
  assert.deepEqual(h.fake.removedPods, ['uid-1']);
  assert.equal(existsSync(path.join(h.logDir, 'default_p_uid-1')), false, 'pod logs removed');
  const view = kubectl({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: rfc3339(new Date()) } }, final, true);
  assert.equal(view.status.phase, 'Failed');
  assert.equal(view.printed, 'Error');
  // Unknown pods resolve at once; stopping twice is harmless.
  assert.deepEqual(await h.rt.stopPod('uid-1', 5), { sandboxReady: false, initContainers: [], containers: [] });
  await h.done();
});

test('stopping: a preStop hook that fails or overruns; grace 0 skips it; never less than the minimum grace', async () => {
  const cases: Array<[string, number, (cmd: string[]) => Promise<{ exitCode: number; output: string }>, number, boolean]> = [
    ['failing hook', 10, async () => ({ exitCode: 1, output: 'no' }), 10, true],
    ['hook overruns the grace', 3, () => new Promise(() => {}), 2, false],
    ['grace 0', 0, async () => assert.fail('preStop must not run with grace 0'), 2, false],
  ];
  for (const [what, grace, exec, expectedGrace, failedEvent] of cases) {
    const h = setup();
    h.fake.exec_ = (_c, cmd) => exec(cmd);
    const pod = testPod({ containers: [{ name: 'main', image: 'busybox', lifecycle: { preStop: { exec: { command: ['x'] } } } }] });
    const sink = h.run(pod);
    await waitFor(() => sink.last?.containers[0]?.state.running);
    await h.rt.stopPod('uid-1', grace);
    assert.ok(Math.abs(h.fake.stops[0]!.grace - expectedGrace) <= 1, `${what}: grace ${h.fake.stops[0]!.grace}`);
    assert.equal(sink.events.some((e) => e.reason === 'FailedPreStopHook' && e.message === 'PreStopHook failed'), failedEvent, what);
    await h.done();
  }
});

test('stopping a pod whose container is still being started stops it once started, and starts nothing more', async () => {
  const h = setup();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const start = h.fake.start.bind(h.fake);
  h.fake.start = async (req) => {
    await gate;
    return start(req);
  };
  const pod = testPod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] });
  h.run(pod);
  await new Promise((r) => setTimeout(r, 20));
  const stopping = h.rt.stopPod('uid-1', 10);
  release();
  const final = await stopping;
  assert.deepEqual(h.fake.containers.map((c) => c.name), ['a']);
  assert.deepEqual(h.fake.stops.map((s) => s.name), ['a']);
  assert.equal(final.containers.find((c) => c.name === 'a')?.state.terminated?.exitCode, 143);
  await h.done();
});

test('containers that cannot be configured or started wait with upstream reasons and are retried', async () => {
  {
    const h = setup();
    const pod = testPod({ containers: [{ name: 'main', image: 'busybox', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'pw' } } }] }] });
    const sink = h.run(pod);
    await waitFor(() => sink.events.filter((e) => e.reason === 'Failed').length >= 2, 2000, 'retried');
    const c = sink.last!.containers[0]!;
    assert.deepEqual(c.state, { waiting: { reason: 'CreateContainerConfigError', message: 'secret "creds" not found' } });
    assert.equal(sink.events[0]!.message, 'Error: secret "creds" not found');
    assert.equal(sink.events[0]!.type, 'Warning');
    const view = kubectl(pod, sink.last);
    assert.equal(`${view.ready} ${view.printed}`, '0/1 CreateContainerConfigError');
    assert.equal(view.status.phase, 'Pending');
    assert.equal(h.fake.containers.length, 0);
    await h.done();
  }
  const cases: Array<[Error, string]> = [
    [new Error('exec: "nope": executable file not found in $PATH'), 'RunContainerError'],
    [Object.assign(new Error('image "x" not known'), { reason: 'ErrImagePull' }), 'ErrImagePull'],
  ];
  for (const [err, reason] of cases) {
    const h = setup();
    let tries = 0;
    h.fake.behaviour = () => (tries++ < 2 ? { startError: err } : {});
    const pod = testPod({});
    const sink = h.run(pod);
    await waitFor(() => sink.statuses.some((s) => s.containers[0]?.state.waiting?.reason === reason), 2000, reason);
    assert.equal(kubectl(pod, sink.statuses.find((s) => s.containers[0]?.state.waiting)).printed, reason);
    await waitFor(() => sink.last?.containers[0]?.state.running, 2000, 'eventually running');
    assert.equal(sink.last!.containers[0]!.restartCount, 0, 'failed starts are not restarts');
    await h.done();
  }
});

test('sidecars start before the containers, keep running, and stop after them', async () => {
  const h = setup();
  h.fake.behaviour = (req) => (req.container.name === 'setup' ? { exitAfterMs: 5, exitCode: 0 } : {});
  const pod = testPod({
    initContainers: [
      { name: 'proxy', image: 'envoy', restartPolicy: 'Always' },
      { name: 'setup', image: 'busybox' },
    ],
    containers: [{ name: 'app', image: 'busybox' }],
  });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers[0]?.state.running, 2000, 'app running');
  assert.deepEqual(h.fake.containers.map((c) => c.name), ['proxy', 'setup', 'app']);
  const view = kubectl(pod, sink.last);
  assert.equal(`${view.ready} ${view.printed}`, '2/2 Running');
  await h.rt.stopPod('uid-1', 10);
  assert.deepEqual(h.fake.stops.map((s) => s.name), ['app', 'proxy']);
  await h.done();
});

test('a sidecar that crashes is restarted even with restartPolicy Never', async () => {
  const h = setup();
  let n = 0;
  h.fake.behaviour = (req) => (req.container.name === 'proxy' && n++ === 0 ? { exitAfterMs: 20, exitCode: 1 } : {});
  const pod = testPod({ restartPolicy: 'Never', initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.initContainers[0]?.restartCount === 1 && sink.last.initContainers[0].state.running, 2000);
  assert.equal(sink.last!.containers[0]!.state.running !== undefined, true);
  await h.done();
});

test('adoption: running containers of a pod are adopted, not started again; restart counts continue', async () => {
  const h = setup();
  const handle = (id: string) => ({ id, startedAt: new Date(Date.now() - 60_000).toISOString(), image: 'docker.io/library/busybox:latest', imageID: 'sha256:abc' });
  h.fake.preexisting = [
    { podUid: 'uid-1', containerName: 'main', attempt: 3, handle: handle('fake://old-3') },
    { podUid: 'uid-1', containerName: 'main', attempt: 2, handle: handle('fake://old-2') },
    { podUid: 'uid-1', containerName: 'gone', attempt: 0, handle: handle('fake://old-gone') },
    { podUid: 'uid-2', containerName: 'main', attempt: 0, handle: handle('fake://other-pod') },
    { podUid: 'uid-9', containerName: 'main', attempt: 0, handle: handle('fake://orphan') },
  ];
  const pod: Pod = {
    ...testPod({}),
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'main',
          containerID: 'fake://old-3',
          state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:00Z' } },
          ready: true,
          restartCount: 3,
          image: 'docker.io/library/busybox:latest',
          imageID: 'sha256:abc',
        },
      ],
    },
  };
  const sink = h.run(pod);
  const c = await waitFor(() => sink.last?.containers[0], 2000, 'adopted status');
  assert.equal(h.fake.containers.length, 0, 'nothing started');
  assert.equal(c.containerID, 'fake://old-3');
  assert.equal(c.restartCount, 3);
  assert.equal(c.lastState?.terminated?.exitCode, 1);
  assert.ok(c.state.running);
  await waitFor(() => h.fake.stops.length >= 2, 1000, 'duplicates stopped');
  assert.deepEqual(h.fake.stops.map((s) => s.id).sort(), ['fake://old-2', 'fake://old-gone']);

  // A second pod adopts its own; listRunning was asked once.
  const sink2 = h.run(testPod({}, { uid: 'uid-2', name: 'q' }));
  await waitFor(() => sink2.last?.containers[0]?.containerID === 'fake://other-pod', 2000);
  assert.equal(h.fake.listCalls, 1);

  // Orphans: containers of unknown pods are stopped; those of known but not yet started pods are kept.
  h.fake.preexisting.push({ podUid: 'uid-5', containerName: 'main', attempt: 0, handle: handle('fake://later') });
  assert.equal(await h.rt.reconcileOrphans(['uid-1', 'uid-2'], 7), 1);
  assert.deepEqual(h.fake.stops.at(-1), { ...h.fake.stops.at(-1)!, id: 'fake://orphan', grace: 7 });

  // The adopted container exits: restarted as attempt 4.
  h.fake.named('main').find((x) => x.id === 'fake://old-3')!.finish({ exitCode: 1 });
  const restarted = await waitFor(() => h.fake.containers.find((x) => x.podUid === 'uid-1'), 2000, 'restart');
  assert.equal(restarted.attempt, 4);
  assert.ok(restarted.req.logPath.endsWith(path.join('main', '4.log')));
  await h.done();
});

test('after an agent restart, a container that ran before but is gone restarts with its count carried on', async () => {
  const h = setup();
  const pod: Pod = {
    ...testPod({ initContainers: [{ name: 'init', image: 'busybox' }] }),
    status: {
      phase: 'Running',
      initContainerStatuses: [
        { name: 'init', containerID: 'fake://i', state: { terminated: { exitCode: 0, reason: 'Completed' } }, ready: true, restartCount: 0, image: 'busybox', imageID: '' },
      ],
      containerStatuses: [
        { name: 'main', containerID: 'fake://m', state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, ready: true, restartCount: 2, image: 'busybox', imageID: '' },
      ],
    },
  };
  const sink = h.run(pod);
  const c = await waitFor(() => (sink.last?.containers[0]?.state.running ? sink.last.containers[0] : undefined), 2000);
  assert.deepEqual(h.fake.containers.map((x) => `${x.name}#${x.attempt}`), ['main#3'], 'the completed init container is not run again');
  assert.equal(c.restartCount, 3);
  assert.equal(c.lastState?.terminated?.reason, 'ContainerStatusUnknown');
  assert.equal(c.lastState?.terminated?.exitCode, 137);
  await h.done();
});

test('a failing postStart hook kills the container, which is then restarted', async () => {
  const h = setup();
  h.fake.exec_ = (c) => ({ exitCode: c?.attempt === 0 ? 1 : 0, output: '' });
  const pod = testPod({ containers: [{ name: 'main', image: 'busybox', lifecycle: { postStart: { exec: { command: ['warm-up'] } } } }] });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers[0]?.restartCount === 1 && sink.last.containers[0].state.running, 2000);
  const reasons = sink.events.map((e) => `${e.reason}: ${e.message}`);
  assert.ok(reasons.includes('FailedPostStartHook: PostStartHook failed'));
  assert.ok(reasons.includes('Killing: FailedPostStartHook'));
  await h.done();
});

test('status reports are coalesced and only sent when something changed', async () => {
  const h = setup();
  const pod = testPod({ containers: [{ name: 'main', image: 'busybox', readinessProbe: { exec: { command: ['ok'] }, periodSeconds: 1 } }] });
  const sink = h.run(pod);
  await waitFor(() => sink.last?.containers[0]?.ready, 2000);
  await waitFor(() => h.fake.execs.length >= 5, 2000);
  const texts = sink.statuses.map((s) => JSON.stringify(s));
  assert.equal(new Set(texts).size, texts.length, 'no duplicate reports');
  assert.ok(sink.statuses.length <= 3, `few reports (${sink.statuses.length})`);
  await h.done();
});

test('what the runtime could not honour becomes a Warning event on the pod', async () => {
  const h = setup();
  h.fake.behaviour = () => ({ warnings: ['memory limit not enforced: no cgroup access'] });
  const sink = h.run(testPod({}));
  await waitFor(() => sink.events.some((e) => e.reason === 'NotEnforced'), 2000);
  assert.deepEqual(sink.events.at(-1), { type: 'Warning', reason: 'NotEnforced', message: 'Container main: memory limit not enforced: no cgroup access' });
  await h.done();
});
