import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SimulatedRuntime } from '../../src/agent/runtimes/simulated.js';
import type { ContainerReport, PodRuntimeStatus, PodSink } from '../../src/agent/runtime.js';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.UTC(2026, 0, 1) }));
afterEach(() => mock.timers.reset());

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, uid = 'u1'): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid }, spec: { nodeName: 'sim-0', containers: [{ name: 'web', image: 'nginx:1.27' }], ...spec } };
}

function recorder(): PodSink & { statuses: PodRuntimeStatus[]; events: string[]; last(): PodRuntimeStatus } {
  const statuses: PodRuntimeStatus[] = [];
  const events: string[] = [];
  return {
    statuses,
    events,
    status: (s) => statuses.push(s),
    event: (type, reason, message) => events.push(`${type} ${reason} ${message}`),
    last: () => statuses[statuses.length - 1]!,
  };
}

function states(rs: ContainerReport[]): string[] {
  return rs.map((r) => {
    const s = r.state;
    if (s.running) return `${r.name}:running`;
    if (s.waiting) return `${r.name}:waiting:${s.waiting.reason}`;
    return `${r.name}:terminated:${s.terminated!.reason}:${s.terminated!.exitCode}`;
  });
}

const runtime = (readyDelayMs = 200): SimulatedRuntime => new SimulatedRuntime({ readyDelayMs, podIP: () => '100.64.1.7' });

test('a pod runs and is ready after the delay', () => {
  const rt = runtime();
  const sink = recorder();
  rt.startPod(pod(), sink);
  assert.deepEqual(sink.statuses, [{ sandboxReady: false, initContainers: [], containers: [] }]);
  mock.timers.tick(199);
  assert.equal(sink.statuses.length, 1);
  mock.timers.tick(1);
  const s = sink.last();
  assert.equal(s.sandboxReady, true);
  assert.equal(s.podIP, '100.64.1.7');
  const [web] = s.containers;
  assert.deepEqual(states(s.containers), ['web:running']);
  assert.equal(web!.state.running!.startedAt, '2026-01-01T00:00:00Z');
  assert.equal(web!.ready, true);
  assert.equal(web!.started, true);
  assert.equal(web!.restartCount, 0);
  assert.equal(web!.image, 'docker.io/library/nginx:1.27');
  assert.match(web!.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  assert.match(web!.containerID!, /^simulated:\/\/[0-9a-f]{64}$/);
  assert.deepEqual(sink.events, []);
  rt.startPod(pod(), sink);
  assert.equal(sink.statuses.length, 2, 'starting a pod twice is a no-op');
});

test('init containers complete, sidecars keep running, then the containers start', () => {
  const rt = runtime();
  const sink = recorder();
  rt.startPod(pod({ initContainers: [{ name: 'setup', image: 'busybox' }, { name: 'proxy', image: 'envoy:1', restartPolicy: 'Always' }] }), sink);
  mock.timers.tick(200);
  assert.deepEqual(states(sink.last().initContainers), ['setup:terminated:Completed:0', 'proxy:running']);
  assert.deepEqual(states(sink.last().containers), ['web:running']);
});

test('host-network pods get no address of their own', () => {
  const rt = runtime();
  const sink = recorder();
  rt.startPod(pod({ hostNetwork: true }), sink);
  mock.timers.tick(200);
  assert.equal(sink.last().podIP, undefined);
  assert.equal(sink.last().sandboxReady, true);
});

test('an image tagged non-existent: ErrImagePull, then ImagePullBackOff, retried with growing back-off', () => {
  const rt = runtime();
  const sink = recorder();
  rt.startPod(pod({ containers: [{ name: 'web', image: 'nginx:non-existent' }, { name: 'log', image: 'fluentbit' }] }), sink);
  mock.timers.tick(200);
  assert.deepEqual(states(sink.last().containers).sort(), ['log:running', 'web:waiting:ErrImagePull']);
  const web = (): ContainerReport => sink.last().containers.find((c) => c.name === 'web')!;
  const notFound =
    'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:non-existent": failed to resolve reference "docker.io/library/nginx:non-existent": docker.io/library/nginx:non-existent: not found';
  assert.equal(web().state.waiting!.message, notFound);
  assert.equal(web().image, 'nginx:non-existent');
  assert.equal(web().imageID, '');
  assert.equal(web().ready, false);
  assert.deepEqual(sink.events, ['Normal Pulling Pulling image "nginx:non-existent"', `Warning Failed Failed to pull image "nginx:non-existent": ${notFound}`, 'Warning Failed Error: ErrImagePull']);

  mock.timers.tick(1000);
  assert.equal(web().state.waiting!.reason, 'ImagePullBackOff');
  assert.equal(web().state.waiting!.message, `Back-off pulling image "nginx:non-existent": ErrImagePull: ${notFound}`);
  assert.deepEqual(sink.events.slice(3), ['Normal BackOff Back-off pulling image "nginx:non-existent"', 'Warning Failed Error: ImagePullBackOff']);

  // Next pull 10 s after the first failure, then 20 s after the second.
  mock.timers.tick(8999);
  assert.equal(web().state.waiting!.reason, 'ImagePullBackOff');
  mock.timers.tick(1);
  assert.equal(web().state.waiting!.reason, 'ErrImagePull');
  mock.timers.tick(1000);
  assert.equal(web().state.waiting!.reason, 'ImagePullBackOff');
  mock.timers.tick(18_999);
  assert.equal(web().state.waiting!.reason, 'ImagePullBackOff');
  mock.timers.tick(1);
  assert.equal(web().state.waiting!.reason, 'ErrImagePull');
});

test('an unpullable init container blocks the ones after it and the containers', () => {
  const rt = runtime();
  const sink = recorder();
  rt.startPod(pod({ initContainers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'tool:non-existent' }, { name: 'c', image: 'busybox' }] }), sink);
  mock.timers.tick(200);
  assert.deepEqual(states(sink.last().initContainers), ['a:terminated:Completed:0', 'b:waiting:ErrImagePull']);
  assert.deepEqual(sink.last().containers, []);
  mock.timers.tick(1000);
  assert.deepEqual(states(sink.last().initContainers), ['a:terminated:Completed:0', 'b:waiting:ImagePullBackOff']);
});

test('stopping: containers exit 0 after the stop time, capped by the grace period', async () => {
  const cases: Array<[number, number]> = [
    [30, 100],
    [0, 0],
  ];
  for (const [grace, takesMs] of cases) {
    const rt = runtime();
    const sink = recorder();
    rt.startPod(pod(), sink);
    mock.timers.tick(200);
    const startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    mock.timers.tick(5000);
    let final: PodRuntimeStatus | undefined;
    const done = rt.stopPod('u1', grace).then((s) => (final = s));
    if (takesMs > 0) {
      mock.timers.tick(takesMs - 1);
      await Promise.resolve();
      assert.equal(final, undefined, `grace ${grace}`);
      mock.timers.tick(1);
    }
    await done;
    assert.equal(final!.sandboxReady, false);
    assert.equal(final!.podIP, '100.64.1.7');
    assert.deepEqual(states(final!.containers), ['web:terminated:Completed:0']);
    const t = final!.containers[0]!.state.terminated!;
    assert.equal(t.startedAt, startedAt);
    assert.ok(t.finishedAt! > t.startedAt!);
    assert.equal(final!.containers[0]!.ready, false);
    assert.equal(rt.size, 0);
  }
});

test('a stopped pod reports nothing more, even while its image pull was backing off', async () => {
  const rt = runtime();
  const sink = recorder();
  rt.startPod(pod({ containers: [{ name: 'web', image: 'nginx:non-existent' }] }), sink);
  mock.timers.tick(200);
  const n = sink.statuses.length;
  const final = await rt.stopPod('u1', 0);
  assert.deepEqual(states(final.containers), ['web:waiting:ErrImagePull'], 'a container that never ran stays waiting');
  mock.timers.tick(60_000);
  assert.equal(sink.statuses.length, n);
  assert.deepEqual(await rt.stopPod('unknown', 30), { sandboxReady: false, initContainers: [], containers: [] });
});

test('a pod already running under this runtime (agent restart) is adopted as it is', () => {
  const rt = runtime();
  const sink = recorder();
  const p: Pod = {
    ...pod(),
    status: {
      phase: 'Running',
      podIP: '100.64.1.2',
      containerStatuses: [
        { name: 'web', state: { running: { startedAt: '2025-12-31T00:00:00Z' } }, ready: true, started: true, restartCount: 0, image: 'docker.io/library/nginx:1.27', imageID: 'x', containerID: 'simulated://abc' },
      ],
    },
  };
  rt.startPod(p, sink);
  assert.equal(sink.statuses.length, 1);
  assert.equal(sink.last().sandboxReady, true);
  assert.equal(sink.last().podIP, '100.64.1.2');
  assert.equal(sink.last().containers[0]!.containerID, 'simulated://abc');
  assert.equal(sink.last().containers[0]!.state.running!.startedAt, '2025-12-31T00:00:00Z');
  mock.timers.tick(1000);
  assert.equal(sink.statuses.length, 1, 'nothing restarts');

  const other = recorder();
  const foreign: Pod = { ...pod({}, 'u2'), status: { ...p.status, containerStatuses: [{ ...p.status!.containerStatuses![0]!, containerID: 'containerd://abc' }] } };
  rt.startPod(foreign, other);
  assert.equal(other.last().sandboxReady, false, 'containers of another runtime are started anew');
});
