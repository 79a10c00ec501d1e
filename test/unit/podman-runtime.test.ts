// The podman runtime against real podman (as root), with its storage in a temp state dir and the
// local busybox image built by scripts/build-busybox-image.sh (no registry can be reached here).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ContainerRequest } from '../../src/agent/container-runtime.js';
import { createPodmanRuntime, podmanInvocation, podmanPaths } from '../../src/agent/runtimes/oci-cli/podman.js';
import type { OciCliRuntime } from '../../src/agent/runtimes/oci-cli/cli-runtime.js';
import { ContainerStartError } from '../../src/agent/runtimes/oci-cli/start-error.js';

const IMAGE = 'localhost/busybox:1';
const ROOT = new URL('../..', import.meta.url).pathname;
const available = process.getuid?.() === 0 && spawnSync('podman', ['--version']).status === 0;
const skip = available ? false : 'needs root and podman (scripts/system-deps.sh installs it)';

// A short path: podman puts unix sockets under its storage dirs.
const stateDir = mkdtempSync('/tmp/enpm-');
const hostDir = join(stateDir, 'host');
let rt: OciCliRuntime;
let uidSeq = 0;

function podman(args: string[]): string {
  const inv = podmanInvocation(stateDir);
  return execFileSync(inv.binary, [...inv.globalArgs, ...args], { env: inv.env, encoding: 'utf8' });
}

function makePod(name: string, containers: Container[], spec: Partial<PodSpec> = {}): Pod {
  return { metadata: { name, namespace: 'default', uid: `uid-${name}-${++uidSeq}` }, spec: { containers, ...spec } };
}

function request(pod: Pod, container = pod.spec!.containers[0]!, attempt = 0, env: Record<string, string> = {}): ContainerRequest {
  return { pod, container, attempt, env, logPath: join(stateDir, 'logs', `${pod.metadata!.uid}_${container.name}`, `${attempt}.log`) };
}

function busybox(name: string, script: string, extra: Partial<Container> = {}): Container {
  return { name, image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], terminationMessagePath: '/dev/termination-log', ...extra };
}

function readLog(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startError(p: Promise<unknown>): Promise<ContainerStartError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ContainerStartError, `expected a ContainerStartError, got ${String(err)}`);
    return err;
  }
  assert.fail('start succeeded');
}

before(async () => {
  if (!available) return;
  mkdirSync(hostDir);
  rt = createPodmanRuntime({ stateDir });
  await rt.check();
  const inv = podmanInvocation(stateDir);
  execFileSync(join(ROOT, 'scripts/build-busybox-image.sh'), inv.globalArgs, { env: inv.env, stdio: 'inherit' });
});

after(() => {
  if (!available) return;
  rt.close();
  const inv = podmanInvocation(stateDir);
  spawnSync(inv.binary, [...inv.globalArgs, 'rm', '--all', '--force', '--time', '0'], { env: inv.env, stdio: 'ignore' });
  spawnSync('umount', [join(podmanPaths(stateDir).root, 'overlay')], { stdio: 'ignore' });
  rmSync(stateDir, { recursive: true, force: true });
});

test('check reports the podman version and writes the config podman runs with', { skip }, () => {
  assert.match(rt.version, /^\d+\.\d+/);
  const conf = readFileSync(podmanPaths(stateDir).containersConf, 'utf8');
  for (const line of ['runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]']) {
    assert.ok(conf.includes(line), line);
  }
});

test('a daemon writes to its hostPath and to stdout/stderr; the CRI log has the lines; stop is graceful', { skip }, async (t) => {
  const pod = makePod('logger', [
    busybox('loop', 'i=0; while true; do i=$((i+1)); echo "tick $i" >> /data/out; echo "tick $i"; echo "warn $i" >&2; sleep 0.1; done', {
      volumeMounts: [{ name: 'host', mountPath: '/data' }],
    }),
  ], { volumes: [{ name: 'host', hostPath: { path: join(hostDir, 'logger'), type: 'DirectoryOrCreate' } }] });
  const req = request(pod);
  const t0 = performance.now();
  const h = await rt.start(req);
  t.diagnostic(`start latency: ${(performance.now() - t0).toFixed(0)} ms`);
  assert.match(h.id, /^podman:\/\/[0-9a-f]{64}$/);
  assert.equal(h.image, IMAGE);
  assert.match(h.imageID, /^localhost\/busybox@sha256:[0-9a-f]{64}$/);
  assert.ok(Math.abs(Date.parse(h.startedAt) - Date.now()) < 10_000);

  const hostFile = join(hostDir, 'logger', 'out');
  await until('the host file to grow', () => existsSync(hostFile) && readFileSync(hostFile, 'utf8').split('\n').length > 5);
  const lines = await until('log lines', () => {
    const l = readLog(req.logPath);
    return l.some((x) => / stderr F warn 3$/.test(x)) && l.some((x) => / stdout F tick 3$/.test(x)) && l;
  });
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) F (tick|warn) \d+$/);

  const exited = rt.wait(h.id);
  const s0 = performance.now();
  await rt.stop(h.id, 30);
  const stopMs = performance.now() - s0;
  t.diagnostic(`stop latency (SIGTERM through --init): ${stopMs.toFixed(0)} ms`);
  assert.ok(stopMs < 5_000, `a shell loop stops on SIGTERM, not after the grace period (${stopMs} ms)`);
  const exit = await exited;
  assert.equal(exit.exitCode, 143);
  assert.equal(exit.reason, 'Error');
  assert.ok(Date.parse(exit.finishedAt) >= Date.parse(h.startedAt));
  const size = readFileSync(hostFile).length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(readFileSync(hostFile).length, size, 'nothing writes after the stop');
  await rt.remove(h.id);
  assert.equal(podman(['ps', '-aq', '--filter', `label=io.kubernetes.pod.uid=${pod.metadata!.uid}`]).trim(), '');
});

test('a container trapping SIGTERM exits 0 (Completed) with its goodbye in the log', { skip }, async () => {
  const pod = makePod('trapper', [busybox('c', 'trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.1; done')]);
  const req = request(pod);
  const h = await rt.start(req);
  await until('ready', () => readLog(req.logPath).some((l) => l.endsWith(' ready')));
  const exited = rt.wait(h.id);
  await rt.stop(h.id, 10);
  assert.deepEqual({ ...(await exited), finishedAt: '' }, { exitCode: 0, reason: 'Completed', finishedAt: '' });
  assert.ok(readLog(req.logPath).some((l) => / stdout F bye$/.test(l)));
  await rt.remove(h.id);
});

test('exit codes, reasons and termination messages', { skip }, async (t) => {
  const cases: Array<{ name: string; script: string; extra?: Partial<Container>; exitCode: number; reason: string; message?: string }> = [
    { name: 'ok', script: 'exit 0', exitCode: 0, reason: 'Completed' },
    { name: 'fails', script: 'echo oops >&2; exit 3', exitCode: 3, reason: 'Error' },
    { name: 'message-file', script: 'echo "all done" > /dev/termination-log; exit 0', exitCode: 0, reason: 'Completed', message: 'all done\n' },
    {
      name: 'fallback-to-logs',
      script: 'echo first; echo "it broke" >&2; exit 7',
      extra: { terminationMessagePolicy: 'FallbackToLogsOnError' },
      exitCode: 7,
      reason: 'Error',
      message: 'first\nit broke\n',
    },
    { name: 'fallback-not-on-success', script: 'echo fine; exit 0', extra: { terminationMessagePolicy: 'FallbackToLogsOnError' }, exitCode: 0, reason: 'Completed' },
    {
      name: 'no-such-command',
      script: '',
      extra: { command: ['/no/such/binary'] },
      exitCode: 128,
      reason: 'StartError',
      message: "failed to start the container's command: No such file or directory",
    },
    {
      name: 'message-as-user',
      script: 'echo "from $(id -u)" > /dev/termination-log; exit 2',
      extra: { securityContext: { runAsUser: 1000 } },
      exitCode: 2,
      reason: 'Error',
      message: 'from 1000\n',
    },
    { name: 'file-wins', script: 'echo custom > /dev/termination-log; echo noise; exit 1', extra: { terminationMessagePolicy: 'FallbackToLogsOnError' }, exitCode: 1, reason: 'Error', message: 'custom\n' },
  ];
  await Promise.all(
    cases.map(async (c) => {
      const h = await rt.start(request(makePod(c.name, [busybox('c', c.script, c.extra)])));
      const exit = await rt.wait(h.id);
      await rt.remove(h.id);
      assert.deepEqual({ exitCode: exit.exitCode, reason: exit.reason, message: exit.message }, { exitCode: c.exitCode, reason: c.reason, message: c.message }, c.name);
      t.diagnostic(`${c.name}: ok`);
    }),
  );
});

test('a memory hog over its limit is OOMKilled', { skip }, async () => {
  const pod = makePod('hog', [busybox('hog', 'echo start; tail /dev/zero', { resources: { limits: { memory: '20Mi' } } })]);
  const h = await rt.start(request(pod));
  const info = JSON.parse(podman(['container', 'inspect', h.id.slice('podman://'.length)]))[0];
  assert.equal(info.HostConfig.Memory, 20 * 1024 * 1024);
  assert.equal(info.HostConfig.MemorySwap, 20 * 1024 * 1024, 'no swap on top of the limit');
  const exit = await rt.wait(h.id);
  assert.equal(exit.reason, 'OOMKilled');
  assert.equal(exit.exitCode, 137);
  await rt.remove(h.id);
});

test('cpu limit and request show in inspect as quota/period and shares', { skip }, async () => {
  const cases: Array<{ limits: Record<string, string>; requests: Record<string, string>; quota: number; shares: number }> = [
    { limits: { cpu: '500m' }, requests: { cpu: '250m' }, quota: 50_000, shares: 256 },
    { limits: { cpu: '2' }, requests: { cpu: '2' }, quota: 200_000, shares: 2048 },
    { limits: {}, requests: {}, quota: 0, shares: 2 },
  ];
  for (const c of cases) {
    const h = await rt.start(request(makePod('cpu', [busybox('c', 'sleep 30', { resources: { limits: c.limits, requests: c.requests } })])));
    const info = JSON.parse(podman(['container', 'inspect', h.id.slice('podman://'.length)]))[0];
    assert.equal(info.HostConfig.CpuQuota, c.quota, JSON.stringify(c));
    if (c.quota > 0) assert.equal(info.HostConfig.CpuPeriod, 100_000);
    assert.equal(info.HostConfig.CpuShares, c.shares);
    await rt.stop(h.id, 0);
    await rt.remove(h.id);
  }
});

test('securityContext: runAsUser/runAsGroup, runAsNonRoot, privileged', { skip }, async () => {
  const cases: Array<{ name: string; sc?: Container['securityContext']; podSc?: PodSpec['securityContext']; expect: string }> = [
    { name: 'user', sc: { runAsUser: 1000 }, expect: '1000 0' },
    { name: 'user-group', sc: { runAsUser: 1000, runAsGroup: 2000 }, expect: '1000 2000' },
    { name: 'pod-level', podSc: { runAsUser: 1001, runAsGroup: 3000 }, expect: '1001 3000' },
    { name: 'container-over-pod', sc: { runAsUser: 1002 }, podSc: { runAsUser: 1001 }, expect: '1002 0' },
    { name: 'non-root-ok', sc: { runAsUser: 1000, runAsNonRoot: true }, expect: '1000 0' },
    { name: 'default', expect: '0 0' },
  ];
  for (const c of cases) {
    const pod = makePod(c.name, [busybox('c', 'echo "$(id -u) $(id -g)"', { securityContext: c.sc })], { securityContext: c.podSc });
    const req = request(pod);
    const h = await rt.start(req);
    assert.equal((await rt.wait(h.id)).exitCode, 0, c.name);
    await rt.remove(h.id);
    assert.deepEqual(readLog(req.logPath).map((l) => l.split(' F ')[1]), [c.expect], c.name);
  }

  const root = await startError(rt.start(request(makePod('nonroot', [busybox('c', 'id', { securityContext: { runAsNonRoot: true } })]))));
  assert.equal(root.reason, 'CreateContainerConfigError');
  assert.match(root.message, /^container has runAsNonRoot and image will run as root \(pod: "nonroot_default\(uid-nonroot-\d+\)", container: c\)$/);

  // privileged: every capability the agent has (a plain container gets podman's short default list)
  const capEff = async (sc: Container['securityContext']): Promise<string> => {
    const req = request(makePod('caps', [busybox('c', 'grep CapEff /proc/self/status', { securityContext: sc })]));
    const h = await rt.start(req);
    await rt.wait(h.id);
    await rt.remove(h.id);
    return readLog(req.logPath).map((l) => l.split(' F ')[1]!.split(/\s+/)[1])[0]!;
  };
  const mine = /CapEff:\s+(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1];
  assert.equal(await capEff({ privileged: true }), mine);
  assert.notEqual(await capEff({}), mine);
});

test('command replaces ENTRYPOINT and drops CMD; env, workingDir, hostname, emptyDir shared by two containers', { skip }, async () => {
  const pod = makePod(
    'shapes',
    [
      { name: 'writer', image: IMAGE, command: ['sh', '-c', 'echo hello > /cache/x; echo "$GREETING|$MULTI|$(pwd)|$(hostname)"'], env: [], workingDir: '/tmp' },
      { name: 'echo', image: IMAGE, command: ['echo', 'only-command'] },
      { name: 'reader', image: IMAGE, command: ['cat', '/cache/x'] },
    ].map((c) => ({ ...c, volumeMounts: [{ name: 'cache', mountPath: '/cache' }] })),
    { volumes: [{ name: 'cache', emptyDir: {} }] },
  );
  const [writer, echo, reader] = pod.spec!.containers;
  const out = async (c: Container, env: Record<string, string> = {}): Promise<string[]> => {
    const req = request(pod, c, 0, env);
    const h = await rt.start(req);
    await rt.wait(h.id);
    await rt.remove(h.id);
    return readLog(req.logPath).map((l) => l.split(' F ')[1]!);
  };
  assert.deepEqual(await out(writer!, { GREETING: 'hi there', MULTI: 'a=b' }), ['hi there|a=b|/tmp|shapes']);
  assert.deepEqual(await out(echo!), ['only-command'], "the image's CMD (sh) is not appended");
  assert.deepEqual(await out(reader!), ['hello'], 'the emptyDir is the same for both containers');
  await rt.removePod(pod.metadata!.uid!);
  assert.equal(existsSync(join(stateDir, 'podman', 'pods', pod.metadata!.uid!)), false);

  const hostNet = makePod('hostnet', [busybox('c', 'hostname')], { hostNetwork: true });
  const req = request(hostNet);
  const h = await rt.start(req);
  await rt.wait(h.id);
  await rt.remove(h.id);
  assert.deepEqual(readLog(req.logPath).map((l) => l.split(' F ')[1]), [execFileSync('hostname', { encoding: 'utf8' }).trim()]);
});

test('read-only hostPath mounts and hostPath type checks', { skip }, async () => {
  const ro = join(hostDir, 'ro');
  mkdirSync(ro);
  writeFileSync(join(ro, 'f'), 'data\n');
  const pod = makePod('ro', [busybox('c', 'cat /in/f; touch /in/g && echo wrote || echo denied', { volumeMounts: [{ name: 'in', mountPath: '/in', readOnly: true }] })], {
    volumes: [{ name: 'in', hostPath: { path: ro, type: 'Directory' } }],
  });
  const req = request(pod);
  const h = await rt.start(req);
  await rt.wait(h.id);
  await rt.remove(h.id);
  const out = readLog(req.logPath)
    .filter((l) => l.includes(' stdout '))
    .map((l) => l.split(' F ')[1]);
  assert.deepEqual(out, ['data', 'denied']);
  assert.equal(existsSync(join(ro, 'g')), false);

  const missing = makePod('missing', [busybox('c', 'true', { volumeMounts: [{ name: 'v', mountPath: '/v' }] })], {
    volumes: [{ name: 'v', hostPath: { path: join(hostDir, 'nope'), type: 'Directory' } }],
  });
  const err = await startError(rt.start(request(missing)));
  assert.equal(err.reason, 'CreateContainerConfigError');
  assert.equal(err.message, `MountVolume.SetUp failed for volume "v" : hostPath type check failed: ${join(hostDir, 'nope')} is not a directory`);
});

test('exec runs in the container; a slow command times out', { skip }, async () => {
  const h = await rt.start(request(makePod('exec', [busybox('c', 'echo inside > /tmp/mark; sleep 60')])));
  assert.deepEqual(await rt.exec(h.id, ['sh', '-c', 'sleep 0.2; cat /tmp/mark; echo err >&2; exit 4'], 5), { exitCode: 4, output: 'inside\nerr\n' });
  await assert.rejects(rt.exec(h.id, ['sleep', '10'], 1), /timed out after 1s/);
  await rt.stop(h.id, 1);
  await rt.remove(h.id);
});

test('a fresh runtime instance finds running containers and takes them over', { skip }, async () => {
  const pod = makePod('adopted', [busybox('daemon', 'while true; do echo alive; sleep 0.2; done')]);
  const req = request(pod, pod.spec!.containers[0], 3);
  const h = await rt.start(req);
  const fresh = createPodmanRuntime({ stateDir });
  try {
    await fresh.check();
    const found = (await fresh.listRunning()).filter((r) => r.podUid === pod.metadata!.uid);
    assert.deepEqual(found, [{ podUid: pod.metadata!.uid, containerName: 'daemon', attempt: 3, handle: h }]);
    const exited = fresh.wait(h.id);
    await fresh.stop(h.id, 5);
    assert.equal((await exited).exitCode, 143);
    await fresh.remove(h.id);
    assert.deepEqual((await fresh.listRunning()).filter((r) => r.podUid === pod.metadata!.uid), []);
    // Another agent's state dir sees none of them.
    const other = createPodmanRuntime({ stateDir: join(stateDir, 'other') });
    await other.check();
    assert.deepEqual(await other.listRunning(), []);
    other.close();
  } finally {
    fresh.close();
  }
});

test('a start with the name of a leftover container replaces it', { skip }, async () => {
  const pod = makePod('again', [busybox('c', 'sleep 60')]);
  const first = await rt.start(request(pod));
  const second = await rt.start(request(pod));
  assert.notEqual(second.id, first.id);
  const ids = podman(['ps', '-aq', '--no-trunc', '--filter', `label=io.kubernetes.pod.uid=${pod.metadata!.uid}`]).trim().split('\n');
  assert.deepEqual(ids, [second.id.slice('podman://'.length)], 'never two copies');
  assert.equal((await rt.wait(first.id)).reason, 'ContainerStatusUnknown');
  await rt.stop(second.id, 0);
  await rt.remove(second.id);
});

test('start failures carry the kubelet reason and leave no container behind', { skip }, async () => {
  const cases: Array<{ name: string; container: Container; reason: string; message: RegExp }> = [
    {
      name: 'never-pull',
      container: { name: 'c', image: 'localhost/absent:1', imagePullPolicy: 'Never' },
      reason: 'ErrImageNeverPull',
      message: /^Container image "localhost\/absent:1" is not present with pull policy of Never$/,
    },
    { name: 'pull-fails', container: { name: 'c', image: 'localhost/absent:1', imagePullPolicy: 'IfNotPresent' }, reason: 'ErrImagePull', message: /^failed to pull image "localhost\/absent:1": / },
    { name: 'always-pulls', container: { name: 'c', image: IMAGE, imagePullPolicy: 'Always' }, reason: 'ErrImagePull', message: /^failed to pull image "localhost\/busybox:1": / },
    {
      name: 'configmap-volume',
      container: { name: 'c', image: IMAGE, volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] },
      reason: 'CreateContainerConfigError',
      message: /^volume "cfg": configMap volumes are not supported by the podman runtime$/,
    },
  ];
  for (const c of cases) {
    const pod = makePod(c.name, [c.container], { volumes: [{ name: 'cfg', configMap: { name: 'x' } }] });
    const err = await startError(rt.start(request(pod)));
    assert.equal(err.reason, c.reason, `${c.name}: ${err.message}`);
    assert.match(err.message, c.message, c.name);
    assert.equal(podman(['ps', '-aq', '--filter', `label=io.kubernetes.pod.uid=${pod.metadata!.uid}`]).trim(), '', c.name);
  }
});

test('exits are seen even when the event stream dies', { skip }, async () => {
  const h = await rt.start(request(makePod('events', [busybox('c', 'sleep 60')])));
  const exited = rt.wait(h.id);
  // The runtime's `podman events` child (found by its command line, stopped by pid).
  const streamPid = await until('the event stream', () => {
    const r = spawnSync('pgrep', ['-f', `${podmanPaths(stateDir).tmpDir} events`], { encoding: 'utf8' });
    return r.stdout.trim().split('\n').filter(Boolean).map(Number)[0];
  });
  process.kill(streamPid, 'SIGKILL');
  const t0 = performance.now();
  podman(['kill', h.id.slice('podman://'.length)]);
  const exit = await exited;
  assert.equal(exit.exitCode, 137);
  assert.ok(performance.now() - t0 < 5_000, 'the stream was restarted (the backup poll is slower)');
  await rt.remove(h.id);
});

test('start latency', { skip }, async (t) => {
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const pod = makePod(`lat${i}`, [busybox('c', 'sleep 60')]);
    const t0 = performance.now();
    const h = await rt.start(request(pod));
    ms.push(performance.now() - t0);
    await rt.stop(h.id, 0);
    await rt.remove(h.id);
  }
  ms.sort((a, b) => a - b);
  t.diagnostic(`start latency over 5 starts: min ${ms[0]!.toFixed(0)} ms, median ${ms[2]!.toFixed(0)} ms, max ${ms[4]!.toFixed(0)} ms`);
  assert.ok(ms[2]! < 2_000);
});
