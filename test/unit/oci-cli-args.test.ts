// The podman/docker runtime's pure parts: the `create` command line (shared by both CLIs — there is
// no Docker engine here, so this is all of docker that is tested), names and labels, volume
// resolution, events and log parsing, exit interpretation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ContainerRequest } from '../../src/agent/container-runtime.js';
import { createArgs, type CreateSpec } from '../../src/agent/runtimes/oci-cli/create-args.js';
import { containerLabels, containerName, LABEL, ownerOf } from '../../src/agent/runtimes/oci-cli/container-identity.js';
import { cpuShares } from '../../src/agent/runtimes/oci-cli/resources.js';
import { ContainerStartError } from '../../src/agent/runtimes/oci-cli/start-error.js';
import { checkHostPath, emptyDirPath, resolveMounts } from '../../src/agent/runtimes/oci-cli/volumes.js';
import { podmanExitEvents, PodmanDialect, CONTAINERS_CONF } from '../../src/agent/runtimes/oci-cli/podman.js';
import { createDockerRuntime, DockerDialect, dockerExitEvents } from '../../src/agent/runtimes/oci-cli/docker.js';
import { criLineFromDocker, timeKey } from '../../src/agent/runtimes/oci-cli/docker-log-pump.js';
import { initExecFailure } from '../../src/agent/runtimes/oci-cli/init-exec-failure.js';
import { logTail } from '../../src/agent/runtimes/oci-cli/termination-message.js';
import { toContainerInfo } from '../../src/agent/runtimes/oci-cli/inspect.js';
import { cliMessage } from '../../src/agent/runtimes/oci-cli/cli.js';
import { containerExit, isoTime, unknownExit } from '../../src/agent/runtimes/oci-cli/container-exit.js';
import type { ContainerInfo } from '../../src/agent/runtimes/oci-cli/inspect.js';

const IMAGE = 'docker.io/library/busybox:1.36';

function pod(spec: Partial<PodSpec> = {}, name = 'ds-abc12'): Pod {
  return { metadata: { name, namespace: 'kube-system', uid: 'uid-1' }, spec: { containers: [], ...spec } };
}

function req(container: Partial<Container> = {}, spec: Partial<PodSpec> = {}, env: Record<string, string> = {}): ContainerRequest {
  const c: Container = { name: 'agent', image: IMAGE, ...container };
  return { pod: pod({ containers: [c], ...spec }), container: c, env, attempt: 2, logPath: '/var/log/pods/x/agent/2.log' };
}

function args(r: ContainerRequest, over: Partial<CreateSpec> = {}): string[] {
  return createArgs({ req: r, name: 'n', image: IMAGE, imageUser: '', labels: {}, mounts: [], logArgs: [], podHostname: true, ...over });
}

/** The values given to a repeated flag, in order. */
function flag(a: string[], name: string): string[] {
  return a.flatMap((x, i) => (x === name ? [a[i + 1]!] : []));
}

/** What follows the image: the container's argv after the entrypoint. */
function afterImage(a: string[]): string[] {
  return a.slice(a.indexOf(IMAGE) + 1);
}

function configError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ContainerStartError && err.reason === 'CreateContainerConfigError' && message.test(err.message));
}

test('create starts with the name, an init process and the host network', () => {
  assert.deepEqual(args(req()).slice(0, 6), ['create', '--name', 'n', '--init', '--network', 'host']);
});

test('command replaces ENTRYPOINT, args replace CMD', () => {
  const cases: Array<{ command?: string[]; args?: string[]; entrypoint: string[]; rest: string[] }> = [
    { entrypoint: [], rest: [] },
    { command: ['sh', '-c', 'echo hi'], entrypoint: ['sh'], rest: ['-c', 'echo hi'] },
    { command: ['/agent'], args: ['--verbose', '-x'], entrypoint: ['/agent'], rest: ['--verbose', '-x'] },
    { args: ['--port', '80'], entrypoint: [], rest: ['--port', '80'] },
    { command: [], args: ['a'], entrypoint: [], rest: ['a'] },
    { command: ['echo'], entrypoint: ['echo'], rest: [] },
  ];
  for (const c of cases) {
    const a = args(req({ ...(c.command ? { command: c.command } : {}), ...(c.args ? { args: c.args } : {}) }));
    assert.deepEqual(flag(a, '--entrypoint'), c.entrypoint, JSON.stringify(c));
    assert.deepEqual(afterImage(a), c.rest, JSON.stringify(c));
    assert.equal(a.indexOf(IMAGE), a.length - c.rest.length - 1, 'the image comes after every flag');
  }
});

test('namespaces: hostNetwork shares the host UTS, other pods get their hostname', () => {
  const cases: Array<{ spec: Partial<PodSpec>; name?: string; uts: string[]; hostname: string[]; pid: string[]; ipc: string[] }> = [
    { spec: { hostNetwork: true }, uts: ['host'], hostname: [], pid: [], ipc: [] },
    { spec: {}, uts: [], hostname: ['ds-abc12'], pid: [], ipc: [] },
    { spec: { hostname: 'custom' }, uts: [], hostname: ['custom'], pid: [], ipc: [] },
    { spec: {}, name: `${'a'.repeat(62)}-b`, uts: [], hostname: ['a'.repeat(62)], pid: [], ipc: [] },
    { spec: { hostPID: true, hostIPC: true, hostNetwork: true }, uts: ['host'], hostname: [], pid: ['host'], ipc: ['host'] },
  ];
  for (const c of cases) {
    const r = req({}, c.spec);
    if (c.name) r.pod.metadata!.name = c.name;
    const a = args(r);
    assert.deepEqual(flag(a, '--network'), ['host']);
    assert.deepEqual(flag(a, '--uts'), c.uts, JSON.stringify(c.spec));
    assert.deepEqual(flag(a, '--hostname'), c.hostname, JSON.stringify(c.spec));
    assert.deepEqual(flag(a, '--pid'), c.pid);
    assert.deepEqual(flag(a, '--ipc'), c.ipc);
  }
  // docker refuses --hostname with the host network
  assert.deepEqual(flag(args(req(), { podHostname: false }), '--hostname'), []);
  assert.deepEqual(flag(args(req({}, { hostNetwork: true }), { podHostname: false }), '--uts'), ['host']);
  assert.equal(new DockerDialect({ stateDir: '/s' }).podHostname, false);
  assert.equal(new PodmanDialect({ stateDir: '/s' }).podHostname, true);
});

test('env, labels, workingDir, tty and stdin', () => {
  const a = args(req({ workingDir: '/work', tty: true, stdin: true }, {}, { A: '1', B: 'x=y z', C: 'line1\nline2' }), { labels: { k: 'v', 'io.x/y': 'a=b' } });
  assert.deepEqual(flag(a, '--env'), ['A=1', 'B=x=y z', 'C=line1\nline2']);
  assert.deepEqual(flag(a, '--label'), ['k=v', 'io.x/y=a=b']);
  assert.deepEqual(flag(a, '--workdir'), ['/work']);
  assert.ok(a.includes('--tty') && a.includes('--interactive'));
  const plain = args(req());
  assert.ok(!plain.includes('--tty') && !plain.includes('--interactive') && !plain.includes('--workdir'));
});

test('user and group from the container over the pod; a group alone keeps the image user', () => {
  const cases: Array<{ sc?: Container['securityContext']; podSc?: PodSpec['securityContext']; imageUser?: string; user: string[]; groups?: string[] }> = [
    { user: [] },
    { sc: { runAsUser: 1000 }, user: ['1000'] },
    { sc: { runAsUser: 1000, runAsGroup: 2000 }, user: ['1000:2000'] },
    { podSc: { runAsUser: 10, runAsGroup: 20 }, sc: { runAsUser: 30 }, user: ['30:20'] },
    { podSc: { runAsGroup: 5 }, imageUser: 'app', user: ['app:5'] },
    { podSc: { runAsGroup: 5 }, imageUser: 'app:staff', user: ['app:5'] },
    { sc: { runAsGroup: 5 }, user: ['0:5'] },
    { sc: { runAsUser: 0 }, user: ['0'] },
    { podSc: { supplementalGroups: [44, 100] }, user: [], groups: ['44', '100'] },
  ];
  for (const c of cases) {
    const a = args(req({ securityContext: c.sc }, { securityContext: c.podSc }), { imageUser: c.imageUser ?? '' });
    assert.deepEqual(flag(a, '--user'), c.user, JSON.stringify(c));
    assert.deepEqual(flag(a, '--group-add'), c.groups ?? []);
  }
});

test('privileged, capabilities, read-only root, no-new-privileges, seccomp', () => {
  const cases: Array<{ sc?: Container['securityContext']; podSc?: PodSpec['securityContext']; has: string[]; opts: string[]; add?: string[]; drop?: string[] }> = [
    { has: [], opts: ['seccomp=unconfined'] },
    { sc: { privileged: true }, has: ['--privileged'], opts: ['seccomp=unconfined'] },
    { sc: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }, has: ['--read-only'], opts: ['no-new-privileges', 'seccomp=unconfined'] },
    { sc: { allowPrivilegeEscalation: true }, has: [], opts: ['seccomp=unconfined'] },
    { sc: { seccompProfile: { type: 'RuntimeDefault' } }, has: [], opts: [] },
    { podSc: { seccompProfile: { type: 'RuntimeDefault' } }, has: [], opts: [] },
    { podSc: { seccompProfile: { type: 'RuntimeDefault' } }, sc: { seccompProfile: { type: 'Unconfined' } }, has: [], opts: ['seccomp=unconfined'] },
    { sc: { capabilities: { add: ['NET_ADMIN', 'SYS_TIME'], drop: ['ALL'] } }, has: [], opts: ['seccomp=unconfined'], add: ['NET_ADMIN', 'SYS_TIME'], drop: ['ALL'] },
  ];
  for (const c of cases) {
    const a = args(req({ securityContext: c.sc }, { securityContext: c.podSc }));
    for (const h of ['--privileged', '--read-only']) assert.equal(a.includes(h), c.has.includes(h), `${h} ${JSON.stringify(c)}`);
    assert.deepEqual(flag(a, '--security-opt'), c.opts, JSON.stringify(c));
    assert.deepEqual(flag(a, '--cap-add'), c.add ?? []);
    assert.deepEqual(flag(a, '--cap-drop'), c.drop ?? []);
  }
  configError(() => args(req({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } })), /Localhost is not supported/);
});

test('runAsNonRoot is checked against runAsUser, else the image user, with the kubelet messages', () => {
  const who = '(pod: "ds-abc12_kube-system(uid-1)", container: agent)';
  const cases: Array<{ sc?: Container['securityContext']; podSc?: PodSpec['securityContext']; imageUser: string; error?: string }> = [
    { sc: { runAsNonRoot: true }, imageUser: '', error: `container has runAsNonRoot and image will run as root ${who}` },
    { sc: { runAsNonRoot: true }, imageUser: '0', error: `container has runAsNonRoot and image will run as root ${who}` },
    { sc: { runAsNonRoot: true }, imageUser: '0:0', error: `container has runAsNonRoot and image will run as root ${who}` },
    { sc: { runAsNonRoot: true }, imageUser: '1000' },
    { sc: { runAsNonRoot: true }, imageUser: '1000:1000' },
    { sc: { runAsNonRoot: true }, imageUser: 'app', error: `container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root ${who}` },
    { sc: { runAsNonRoot: true, runAsUser: 0 }, imageUser: '1000', error: `container's runAsUser breaks non-root policy ${who}` },
    { sc: { runAsNonRoot: true, runAsUser: 5 }, imageUser: '' },
    { podSc: { runAsNonRoot: true }, imageUser: '', error: `container has runAsNonRoot and image will run as root ${who}` },
    { podSc: { runAsNonRoot: true }, sc: { runAsNonRoot: false }, imageUser: '' },
    { podSc: { runAsNonRoot: true, runAsUser: 7 }, imageUser: '' },
    { sc: { runAsNonRoot: false }, imageUser: '' },
  ];
  for (const c of cases) {
    const run = (): string[] => args(req({ securityContext: c.sc }, { securityContext: c.podSc }), { imageUser: c.imageUser });
    if (c.error) configError(run, new RegExp(`^${c.error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    else assert.doesNotThrow(run, JSON.stringify(c));
  }
});

test('limits and requests: memory without swap, cpu quota over 100ms, shares from the request', () => {
  const cases: Array<{ limits?: Record<string, string>; requests?: Record<string, string>; memory: string[]; swap: string[]; quota: string[]; period: string[]; shares: string }> = [
    { memory: [], swap: [], quota: [], period: [], shares: '2' },
    { limits: { memory: '64Mi' }, memory: ['67108864'], swap: ['67108864'], quota: [], period: [], shares: '2' },
    { limits: { memory: '1G' }, memory: ['1000000000'], swap: ['1000000000'], quota: [], period: [], shares: '2' },
    { limits: { cpu: '500m' }, requests: { cpu: '500m' }, memory: [], swap: [], quota: ['50000'], period: ['100000'], shares: '512' },
    { limits: { cpu: '1.5' }, memory: [], swap: [], quota: ['150000'], period: ['100000'], shares: '2' },
    { limits: { cpu: '1m' }, requests: { cpu: '1m' }, memory: [], swap: [], quota: ['1000'], period: ['100000'], shares: '2' },
    { requests: { cpu: '100m', memory: '10Mi' }, memory: [], swap: [], quota: [], period: [], shares: '102' },
    { limits: { cpu: '2', memory: '128Mi' }, requests: { cpu: '250m' }, memory: ['134217728'], swap: ['134217728'], quota: ['200000'], period: ['100000'], shares: '256' },
  ];
  for (const c of cases) {
    const a = args(req({ resources: { limits: c.limits, requests: c.requests } }));
    const tag = JSON.stringify(c);
    assert.deepEqual(flag(a, '--memory'), c.memory, tag);
    assert.deepEqual(flag(a, '--memory-swap'), c.swap, tag);
    assert.deepEqual(flag(a, '--cpu-quota'), c.quota, tag);
    assert.deepEqual(flag(a, '--cpu-period'), c.period, tag);
    assert.deepEqual(flag(a, '--cpu-shares'), [c.shares], tag);
  }
  configError(() => args(req({ resources: { limits: { memory: '12 apples' } } })), /^invalid memory quantity 12 apples/);
});

test('cpu shares: 1024 per cpu, between 2 and 262144', () => {
  for (const [milli, shares] of [[0, 2], [1, 2], [2, 2], [3, 3], [100, 102], [1000, 1024], [4000, 4096], [1_000_000, 262_144]] as const) {
    assert.equal(cpuShares(milli), shares, String(milli));
  }
});

test('mounts become --volume with ro and propagation; the log flags come last before the image', () => {
  const a = args(req(), {
    mounts: [
      { source: '/var/log', destination: '/host/log', readOnly: true },
      { source: '/data', destination: '/data', readOnly: false },
      { source: '/run/x', destination: '/x', readOnly: false, propagation: 'rslave' },
      { source: '/mnt', destination: '/mnt', readOnly: true, propagation: 'rshared' },
    ],
    logArgs: ['--log-driver', 'k8s-file'],
  });
  assert.deepEqual(flag(a, '--volume'), ['/var/log:/host/log:ro', '/data:/data', '/run/x:/x:rslave', '/mnt:/mnt:ro,rshared']);
  assert.deepEqual(a.slice(a.indexOf(IMAGE) - 2, a.indexOf(IMAGE)), ['--log-driver', 'k8s-file']);
});

test('podman writes CRI logs with k8s-file; docker keeps a small json-file copy', () => {
  const podman = new PodmanDialect({ stateDir: '/var/lib/everynode', logMaxBytes: 1000 });
  assert.deepEqual(podman.logArgs('/var/log/pods/a/c/0.log'), ['--log-driver', 'k8s-file', '--log-opt', 'path=/var/log/pods/a/c/0.log', '--log-opt', 'max-size=1000']);
  assert.deepEqual(podman.invocation.globalArgs, [
    '--root',
    '/var/lib/everynode/podman/storage',
    '--runroot',
    '/var/lib/everynode/podman/run',
    '--tmpdir',
    '/var/lib/everynode/podman/tmp',
  ]);
  assert.equal(podman.invocation.env['CONTAINERS_CONF'], '/var/lib/everynode/podman/containers.conf');
  assert.equal(podman.invocation.env['CONTAINERS_STORAGE_CONF'], '/var/lib/everynode/podman/storage.conf');
  assert.equal(podman.startDir({ bundleDir: '/b' } as never), '/b');
  const docker = new DockerDialect({ stateDir: '/s' });
  assert.deepEqual(docker.logArgs(), ['--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=2']);
  assert.deepEqual(docker.invocation.globalArgs, []);
  assert.equal(docker.startDir(), undefined);
  for (const line of ['runtime = "runc"', 'cgroup_manager = "cgroupfs"', 'events_logger = "file"', 'lock_type = "file"']) assert.ok(CONTAINERS_CONF.includes(line), line);
});

test('docker: the runtime says what is missing', async () => {
  const rt = createDockerRuntime({ stateDir: '/tmp/unused', binary: '/nonexistent/docker' });
  assert.equal(rt.name, 'docker');
  assert.equal(rt.version, 'unknown');
  await assert.rejects(rt.check(), /\/nonexistent\/docker is not installed/);
  await assert.rejects(rt.wait('podman://abc'), /podman:\/\/abc is not a docker container id/);
});

test('names and labels identify pod, container and attempt; ownerOf reads them back', () => {
  const r = req({ terminationMessagePolicy: 'FallbackToLogsOnError' });
  assert.equal(containerName(r), 'k8s_agent_ds-abc12_kube-system_uid-1_2');
  const labels = containerLabels(r, '/var/lib/everynode', '/s/tm');
  assert.deepEqual(labels, {
    'io.kubernetes.pod.name': 'ds-abc12',
    'io.kubernetes.pod.namespace': 'kube-system',
    'io.kubernetes.pod.uid': 'uid-1',
    'io.kubernetes.container.name': 'agent',
    'io.kubernetes.container.restartCount': '2',
    'io.kubernetes.container.terminationMessagePolicy': 'FallbackToLogsOnError',
    'io.everynode.state-dir': '/var/lib/everynode',
    'io.everynode.log-path': '/var/log/pods/x/agent/2.log',
    'io.everynode.termination-message-file': '/s/tm',
  });
  assert.equal(containerLabels(req(), '/x', undefined)[LABEL.terminationMessagePolicy], 'File');
  assert.equal(LABEL.terminationMessageFile in containerLabels(req(), '/x', undefined), false);
  assert.deepEqual(ownerOf(labels), { podUid: 'uid-1', containerName: 'agent', attempt: 2 });
  assert.equal(ownerOf({}), undefined);
  assert.equal(ownerOf({ [LABEL.podUid]: 'u' }), undefined);
  assert.deepEqual(ownerOf({ [LABEL.podUid]: 'u', [LABEL.containerName]: 'c' }), { podUid: 'u', containerName: 'c', attempt: 0 });
});

test('exit events of both CLIs', () => {
  const cases: Array<[typeof podmanExitEvents, string, string | undefined]> = [
    [podmanExitEvents, '{"ContainerExitCode":137,"ID":"abc","Image":"i","Name":"n","Status":"died","Time":"2026-01-01T00:00:00Z","Type":"container"}', 'abc'],
    [podmanExitEvents, '{"ID":"abc","Status":"start","Type":"container"}', undefined],
    [podmanExitEvents, 'not json', undefined],
    [dockerExitEvents, '{"status":"die","id":"def","from":"busybox","Type":"container","Action":"die","Actor":{"ID":"def","Attributes":{"exitCode":"0"}},"time":1,"timeNano":1}', 'def'],
    [dockerExitEvents, '{"Type":"container","Action":"die","Actor":{"ID":"ghi"}}', 'ghi'],
    [dockerExitEvents, '{"Type":"container","Action":"start","Actor":{"ID":"ghi"}}', undefined],
    [dockerExitEvents, '', undefined],
  ];
  for (const [events, line, id] of cases) assert.equal(events.exitedId(line), id, line);
  const since = new Date('2026-01-02T03:04:05.678Z');
  assert.deepEqual(podmanExitEvents.args(since), ['events', '--format', 'json', '--filter', 'event=died', '--since', '2026-01-02T03:04:05.678Z']);
  assert.deepEqual(dockerExitEvents.args(since), ['events', '--format', '{{json .}}', '--filter', 'type=container', '--filter', 'event=die', '--since', '2026-01-02T03:04:05.678Z']);
});

test('inspect output of podman and docker read the same way', () => {
  const podman = toContainerInfo({
    Id: 'aa',
    Name: 'k8s_c',
    State: { Running: false, ExitCode: 137, OOMKilled: true, Error: '', StartedAt: '2026-01-01T00:00:00.1Z', FinishedAt: '2026-01-01T00:00:01Z' },
    Config: { Labels: { a: 'b' } },
    ImageName: 'localhost/busybox:1',
    Image: 'ff',
    StaticDir: '/s/userdata',
  });
  assert.deepEqual(podman, {
    id: 'aa',
    name: 'k8s_c',
    running: false,
    exitCode: 137,
    oomKilled: true,
    error: '',
    startedAt: '2026-01-01T00:00:00.1Z',
    finishedAt: '2026-01-01T00:00:01Z',
    labels: { a: 'b' },
    imageName: 'localhost/busybox:1',
    imageId: 'sha256:ff',
    bundleDir: '/s/userdata',
  });
  const docker = toContainerInfo({ Id: 'bb', Name: '/k8s_d', State: { Running: true }, Config: { Labels: null, Image: 'busybox:1.36' }, Image: 'sha256:ee' });
  assert.equal(docker.name, 'k8s_d');
  assert.deepEqual(docker.labels, {});
  assert.equal(docker.imageName, 'busybox:1.36');
  assert.equal(docker.imageId, 'sha256:ee');
  assert.equal(docker.bundleDir, undefined);
  assert.equal(docker.running, true);
});

test('docker log lines become CRI lines; times compare at nanosecond precision', () => {
  assert.deepEqual(criLineFromDocker('2026-01-01T00:00:00.123456789Z hello world', 'stdout'), {
    time: '2026-01-01T00:00:00.123456789Z',
    text: '2026-01-01T00:00:00.123456789Z stdout F hello world\n',
  });
  assert.deepEqual(criLineFromDocker('2026-01-01T00:00:00.5Z ', 'stderr'), { time: '2026-01-01T00:00:00.5Z', text: '2026-01-01T00:00:00.5Z stderr F \n' });
  assert.equal(criLineFromDocker('garbage', 'stdout'), undefined);
  assert.ok(timeKey('2026-01-01T00:00:00.5Z') > timeKey('2026-01-01T00:00:00.123456789Z'));
  assert.ok(timeKey('2026-01-01T00:00:01Z') > timeKey('2026-01-01T00:00:00.999999999Z'));
  assert.equal(timeKey('2026-01-01T00:00:00.12Z'), timeKey('2026-01-01T00:00:00.120000000Z'));
});

test('an init that could not exec the command is a StartError', () => {
  const cases: Array<[string, string | undefined]> = [
    ['ERROR (catatonit:6): failed to exec pid1: No such file or directory', "failed to start the container's command: No such file or directory"],
    ['[FATAL tini (7)] exec /nope failed: No such file or directory', "failed to start the container's command: /nope failed: No such file or directory"],
    ['some output\nERROR (catatonit:6): failed to exec pid1: Permission denied\n', "failed to start the container's command: Permission denied"],
    ['ERROR (catatonit:6): failed to exec pid1: x\nbut then more output', undefined],
    ['plain failure', undefined],
    ['', undefined],
  ];
  for (const [out, want] of cases) assert.equal(initExecFailure(out), want, out);
});

test('log tails for FallbackToLogsOnError: partial lines joined, last lines, last bytes', () => {
  const cri = [
    '2026-01-01T00:00:00Z stdout F one',
    '2026-01-01T00:00:00Z stdout P par',
    '2026-01-01T00:00:00Z stdout F tial',
    '2026-01-01T00:00:00Z stderr F three',
    'not a cri line',
    '2026-01-01T00:00:00Z stdout F ',
  ].join('\n');
  assert.equal(logTail(cri, 80, 2048), 'one\npartial\nthree\n\n');
  assert.equal(logTail(cri, 2, 2048), 'three\n\n');
  assert.equal(logTail(cri, 80, 5), 'ree\n\n');
  assert.equal(logTail('', 80, 2048), '');
});

test('CLI error text: no "Error:" prefix, no logged warnings', () => {
  assert.equal(
    cliMessage('time="2026-01-01T00:00:00Z" level=warning msg="x"\nError: inspecting object: no such object: "nope"\n'),
    'inspecting object: no such object: "nope"',
  );
  assert.equal(cliMessage('Error response from daemon: No such container: x\n'), 'No such container: x');
});

test('hostPath types are checked and created as the kubelet does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostpath-'));
  try {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'f'), 'x');
    const ok: Array<[string, string]> = [
      ['d', 'Directory'],
      ['d', 'DirectoryOrCreate'],
      ['new/dir', 'DirectoryOrCreate'],
      ['new2', ''],
      ['d', ''],
      ['f', ''],
      ['f', 'File'],
      ['f', 'FileOrCreate'],
      ['sub/new-file', 'FileOrCreate'],
    ];
    for (const [p, type] of ok) await checkHostPath(join(dir, p), type);
    assert.ok(statSync(join(dir, 'new/dir')).isDirectory());
    assert.ok(statSync(join(dir, 'new2')).isDirectory());
    assert.ok(statSync(join(dir, 'sub/new-file')).isFile());
    const bad: Array<[string, string, string]> = [
      ['missing', 'Directory', 'directory'],
      ['f', 'Directory', 'directory'],
      ['f', 'DirectoryOrCreate', 'directory'],
      ['d', 'File', 'file'],
      ['missing', 'File', 'file'],
      ['d', 'FileOrCreate', 'file'],
      ['f', 'Socket', 'socket file'],
      ['f', 'CharDevice', 'character device'],
      ['f', 'BlockDevice', 'block device'],
    ];
    for (const [p, type, what] of bad) {
      await assert.rejects(checkHostPath(join(dir, p), type), { message: `hostPath type check failed: ${join(dir, p)} is not a ${what}` }, `${p} ${type}`);
    }
    await checkHostPath('/dev/null', 'CharDevice');
    assert.equal(existsSync(join(dir, 'missing')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('volume mounts resolve to host paths: hostPath, emptyDir, subPath, subPathExpr; others are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mounts-'));
  try {
    const podDir = join(dir, 'pod');
    const host = join(dir, 'host');
    const r = req(
      {
        volumeMounts: [
          { name: 'logs', mountPath: '/host/log', readOnly: true },
          { name: 'cache', mountPath: '/cache' },
          { name: 'cache', mountPath: '/sub', subPath: 'a/b' },
          { name: 'logs', mountPath: '/mine', subPathExpr: '$(POD_NAME)/x', mountPropagation: 'HostToContainer' },
          { name: 'logs', mountPath: '/shared', mountPropagation: 'Bidirectional' },
        ],
      },
      { volumes: [{ name: 'logs', hostPath: { path: host } }, { name: 'cache', emptyDir: {} }] },
      { POD_NAME: 'p1' },
    );
    const mounts = await resolveMounts(r, podDir, 'podman');
    const cache = emptyDirPath(podDir, 'cache');
    assert.equal(cache, join(podDir, 'volumes', 'kubernetes.io~empty-dir', 'cache'));
    assert.deepEqual(mounts, [
      { source: host, destination: '/host/log', readOnly: true },
      { source: cache, destination: '/cache', readOnly: false },
      { source: join(cache, 'a/b'), destination: '/sub', readOnly: false },
      { source: join(host, 'p1/x'), destination: '/mine', readOnly: false, propagation: 'rslave' },
      { source: host, destination: '/shared', readOnly: false, propagation: 'rshared' },
    ]);
    assert.equal(statSync(cache).mode & 0o777, 0o777);
    assert.ok(statSync(join(cache, 'a/b')).isDirectory());
    assert.ok(statSync(join(host, 'p1/x')).isDirectory());

    const refuse = async (volume: NonNullable<PodSpec['volumes']>[number] | undefined, message: string): Promise<void> => {
      const bad = req({ volumeMounts: [{ name: 'v', mountPath: '/v' }] }, { volumes: volume ? [volume] : [] });
      await assert.rejects(resolveMounts(bad, podDir, 'docker'), (err: unknown) => {
        assert.ok(err instanceof ContainerStartError);
        assert.equal(err.reason, 'CreateContainerConfigError');
        assert.equal(err.message, message);
        return true;
      });
    };
    await refuse({ name: 'v', configMap: { name: 'cm' } }, 'volume "v": configMap volumes are not supported by the docker runtime');
    await refuse({ name: 'v', secret: { secretName: 's' } }, 'volume "v": secret volumes are not supported by the docker runtime');
    await refuse(undefined, 'cannot find volume "v" to mount into container "agent"');
    await refuse({ name: 'v', hostPath: { path: 'relative/dir' } }, 'volume "v": hostPath relative/dir is not an absolute path');
    await refuse({ name: 'v', hostPath: { path: join(dir, 'no'), type: 'Directory' } }, `MountVolume.SetUp failed for volume "v" : hostPath type check failed: ${join(dir, 'no')} is not a directory`);
    await refuse({ name: 'v', hostPath: { path: join(dir, 'a:b') } }, `volume "v": path ${join(dir, 'a:b')} contains ':', which the docker CLI cannot mount`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exits: reason from OOM kill and exit code, message from file, logs or the runtime, init exec failures', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exit-'));
  try {
    const log = join(dir, 'c.log');
    writeFileSync(log, '2026-01-01T00:00:00Z stdout F working\n2026-01-01T00:00:01Z stderr F crashed hard\n');
    const msg = join(dir, 'msg');
    writeFileSync(msg, 'written by the container');
    const execFail = join(dir, 'exec.log');
    writeFileSync(execFail, '2026-01-01T00:00:00Z stderr F ERROR (catatonit:6): failed to exec pid1: Permission denied\n');
    const info = (over: Partial<ContainerInfo>, labels: Record<string, string> = {}): ContainerInfo => ({
      id: 'x',
      name: 'n',
      running: false,
      exitCode: 0,
      oomKilled: false,
      error: '',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:02.123456789Z',
      labels: { [LABEL.logPath]: log, ...labels },
      imageName: '',
      imageId: '',
      ...over,
    });
    const fallback = { [LABEL.terminationMessagePolicy]: 'FallbackToLogsOnError' };
    const cases: Array<[ContainerInfo, object]> = [
      [info({}), { exitCode: 0, reason: 'Completed', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 1 }), { exitCode: 1, reason: 'Error', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 137, oomKilled: true }), { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 0, oomKilled: true }), { exitCode: 0, reason: 'OOMKilled', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 2 }, fallback), { exitCode: 2, reason: 'Error', message: 'working\ncrashed hard\n', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 0 }, fallback), { exitCode: 0, reason: 'Completed', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 2 }, { ...fallback, [LABEL.terminationMessageFile]: msg }), { exitCode: 2, reason: 'Error', message: 'written by the container', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 0 }, { [LABEL.terminationMessageFile]: join(dir, 'gone') }), { exitCode: 0, reason: 'Completed', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [info({ exitCode: 127, error: 'runtime said no' }), { exitCode: 127, reason: 'Error', message: 'runtime said no', finishedAt: '2026-01-01T00:00:02.123Z' }],
      [
        info({ exitCode: 1 }, { [LABEL.logPath]: execFail }),
        { exitCode: 128, reason: 'StartError', message: "failed to start the container's command: Permission denied", finishedAt: '2026-01-01T00:00:02.123Z' },
      ],
    ];
    for (const [i, want] of cases) assert.deepEqual(await containerExit(i), want, JSON.stringify(i));
    const unknown = unknownExit();
    assert.equal(unknown.reason, 'ContainerStatusUnknown');
    assert.equal(unknown.exitCode, 137);
    assert.equal(isoTime('0001-01-01T00:00:00Z'), undefined);
    assert.equal(isoTime(''), undefined);
    assert.equal(isoTime('2026-11-22T06:54:48.487976035+00:00'), '2026-11-22T06:54:48.487Z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
