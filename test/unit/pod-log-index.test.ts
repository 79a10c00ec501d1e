import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { logAttempt, PodLogIndex } from '../../src/agent/pod-log-index.js';
import type { ContainerReport, PodRuntime, PodRuntimeStatus, PodSink } from '../../src/agent/runtime.js';

const ran = (id: string, exitCode = 1) => ({ terminated: { exitCode, containerID: id } });

function report(r: Partial<ContainerReport>): ContainerReport {
  return { name: 'c', state: { running: { startedAt: 't' } }, ready: true, started: true, restartCount: 0, image: 'i', imageID: '', ...r };
}

test('which run a log request means, as the kubelet picks it from the container status', () => {
  const cases: Array<[string, ContainerReport | undefined, boolean, number | string]> = [
    ['not reported yet', undefined, false, 'ContainerCreating'],
    ['not reported yet, --previous', undefined, true, 'no-previous'],
    ['first run', report({}), false, 0],
    ['first run, --previous', report({}), true, 'no-previous'],
    ['third run', report({ restartCount: 2, lastState: ran('b') }), false, 2],
    ['third run, --previous', report({ restartCount: 2, lastState: ran('b') }), true, 1],
    ['crash loop: the run that just ended', report({ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: ran('d') }), false, 3],
    ['crash loop, --previous: the same run', report({ restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: ran('d') }), true, 3],
    ['never ran, image missing', report({ state: { waiting: { reason: 'ErrImageNeverPull' } } }), false, 'ErrImageNeverPull'],
    ['never ran, no reason', report({ state: { waiting: {} } }), false, 'ContainerCreating'],
    ['finished (restartPolicy Never)', report({ restartCount: 1, state: ran('e', 0), lastState: ran('f') }), false, 1],
    ['finished, --previous', report({ restartCount: 1, state: ran('e', 0), lastState: ran('f') }), true, 0],
    ['a last state without a container id is no previous run', report({ restartCount: 1, lastState: { terminated: { exitCode: 1 } } }), true, 'no-previous'],
  ];
  for (const [name, r, previous, want] of cases) assert.equal(logAttempt(r, previous), want, name);
});

/** A PodRuntime whose pods report what the test says. */
class ScriptedRuntime implements PodRuntime {
  readonly name = 'scripted';
  readonly version = '1';
  readonly sinks = new Map<string, PodSink>();
  readonly stopped: string[] = [];
  startPod(pod: Pod, sink: PodSink): void {
    this.sinks.set(pod.metadata!.uid!, sink);
  }
  async stopPod(uid: string): Promise<PodRuntimeStatus> {
    this.stopped.push(uid);
    return { sandboxReady: false, initContainers: [], containers: [] };
  }
  report(uid: string, containers: ContainerReport[], initContainers: ContainerReport[] = []): void {
    this.sinks.get(uid)!.status({ sandboxReady: true, initContainers, containers });
  }
}

function pod(name: string, uid: string): Pod {
  return {
    metadata: { namespace: 'ns', name, uid },
    spec: { initContainers: [{ name: 'setup', image: 'i' }], containers: [{ name: 'main', image: 'i' }, { name: 'side', image: 'i' }] },
  };
}

test('the index answers the log server from what the runtime reported, and passes everything on', async () => {
  const inner = new ScriptedRuntime();
  const index = new PodLogIndex(inner, '/logs');
  const seen: PodRuntimeStatus[] = [];
  index.startPod(pod('web', 'u1'), { status: (s) => seen.push(s), event: () => {} });
  assert.deepEqual(index.find('ns', 'web', 'main', false), { unavailable: 'container "main" in pod "web" is waiting to start: ContainerCreating' });
  assert.deepEqual(index.find('ns', 'nope', 'main', false), { notFound: 'pod "nope" does not exist' });
  assert.deepEqual(index.find('other', 'web', 'main', false), { notFound: 'pod "web" does not exist' });
  assert.deepEqual(index.find('ns', 'web', 'nope', false), { notFound: 'container "nope" not found in pod "web"' });

  inner.report('u1', [report({ name: 'main', restartCount: 2, lastState: ran('x') })], [report({ name: 'setup', state: ran('s', 0) })]);
  assert.equal(seen.length, 1, 'the status goes on to the pod workers');
  assert.deepEqual(index.find('ns', 'web', 'main', false), { path: '/logs/ns_web_u1/main/2.log' });
  assert.deepEqual(index.find('ns', 'web', 'main', true), { path: '/logs/ns_web_u1/main/1.log' });
  assert.deepEqual(index.find('ns', 'web', 'setup', false), { path: '/logs/ns_web_u1/setup/0.log' });
  assert.deepEqual(index.find('ns', 'web', 'setup', true), { unavailable: 'previous terminated container "setup" in pod "web" not found' });
  assert.equal(index.writing('/logs/ns_web_u1/main/2.log'), true, 'a running container writes its log');
  assert.equal(index.writing('/logs/ns_web_u1/main/1.log'), false);
  assert.equal(index.writing('/logs/ns_web_u1/setup/0.log'), false, 'a finished one does not');

  // The container exits: its log is complete.
  inner.report('u1', [report({ name: 'main', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: ran('y') })]);
  assert.equal(index.writing('/logs/ns_web_u1/main/2.log'), false);
  assert.deepEqual(index.find('ns', 'web', 'main', false), { path: '/logs/ns_web_u1/main/2.log' });
});

test('of two pods with one name, the one not being stopped is shown; a stopped pod is forgotten', async () => {
  const inner = new ScriptedRuntime();
  const index = new PodLogIndex(inner, '/logs');
  index.startPod(pod('web', 'old'), { status: () => {}, event: () => {} });
  inner.report('old', [report({ name: 'main' })]);
  const stopping = index.stopPod('old', 30);
  index.startPod(pod('web', 'new'), { status: () => {}, event: () => {} });
  inner.report('new', [report({ name: 'main' })]);
  assert.deepEqual(index.find('ns', 'web', 'main', false), { path: '/logs/ns_web_new/main/0.log' });
  assert.deepEqual(index.running().map((p) => p.metadata!.uid), ['old', 'new']);
  await stopping;
  assert.deepEqual(inner.stopped, ['old']);
  assert.deepEqual(index.running().map((p) => p.metadata!.uid), ['new']);
  assert.equal(index.writing('/logs/ns_web_old/main/0.log'), false);
  assert.equal(index.writing('/logs/ns_web_new/main/0.log'), true);
  await index.stopPod('new', 0);
  assert.deepEqual(index.find('ns', 'web', 'main', false), { notFound: 'pod "web" does not exist' });
});
