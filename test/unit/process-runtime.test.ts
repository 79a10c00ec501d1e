// The process container runtime: the pure parts (cgroup settings, mount plans, identities, CRI
// log lines, launch chains) table-driven, then real processes as root — command, env, exit codes,
// graceful stop, CRI logs with rotation, hostPath mounts, users, memory and cpu limits, adoption
// by a restarted agent, exec. Everything started is stopped; temp dirs and cgroups are removed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseCriLine } from '../../src/agent/cri-log.js';
import type { ContainerHandle } from '../../src/agent/container-runtime.js';
import { limitsFor, sharesToWeight, v1Settings, v2Settings } from '../../src/agent/runtimes/process/cgroup-limits.js';
import { cgroupPids, createContainerCgroup, oomKillCount, parseCgroupMounts, procsFiles, removeCgroup } from '../../src/agent/runtimes/process/cgroups.js';
import { criEntries, criTimestamp, CriLogWriter, MAX_LINE_BYTES } from '../../src/agent/runtimes/process/cri-log-writer.js';
import { parsePasswd, resolveIdentity, setprivArgs } from '../../src/agent/runtimes/process/identity.js';
import { containerLaunch, execLaunch, type Tools } from '../../src/agent/runtimes/process/launch.js';
import { LogTailer } from '../../src/agent/runtimes/process/log-tailer.js';
import { planMounts } from '../../src/agent/runtimes/process/mount-plan.js';
import { checkCommand, checkWorkingDir, hostView } from '../../src/agent/runtimes/process/prechecks.js';
import { ProcessRuntime } from '../../src/agent/runtimes/process/process-runtime.js';
import { isAlive, readStat } from '../../src/agent/runtimes/process/proc.js';
import { resolveMounts, type HostMount } from '../../src/agent/runtimes/process/volumes.js';

const isRoot = process.getuid?.() === 0;
const asRoot = { skip: isRoot ? false : 'needs root' };

const temps: string[] = [];
function tempDir(prefix = 'en-proc-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const TOOLS: Tools = {
  sh: '/bin/sh',
  env: '/usr/bin/env',
  setpriv: '/usr/bin/setpriv',
  unshare: '/usr/bin/unshare',
  nsenter: '/usr/bin/nsenter',
  chroot: '/usr/sbin/chroot',
  mount: '/usr/bin/mount',
  mkdir: '/bin/mkdir',
  ln: '/bin/ln',
  chown: '/bin/chown',
  chmod: '/bin/chmod',
};

function pod(containers: Container[], spec: Partial<NonNullable<Pod['spec']>> = {}, uid = `uid-${Math.random().toString(16).slice(2, 10)}`): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid }, spec: { nodeName: 'n1', containers, ...spec } };
}

// ---------------------------------------------------------------------------------------------
// cgroup settings

test('resources become cgroup limits as the kubelet converts them', () => {
  const cases: [Container['resources'], ReturnType<typeof limitsFor>][] = [
    [undefined, {}],
    [{ limits: { memory: '50Mi' } }, { memoryBytes: 50 * 1024 * 1024 }],
    [{ limits: { memory: '1G' } }, { memoryBytes: 1e9 }],
    [{ limits: { cpu: '250m' } }, { cpuQuotaUs: 25_000 }],
    [{ limits: { cpu: '2' } }, { cpuQuotaUs: 200_000 }],
    [{ limits: { cpu: '1m' } }, { cpuQuotaUs: 1_000 }], // at least 1 ms per period
    [{ requests: { cpu: '100m' } }, { cpuShares: 102 }],
    [{ requests: { cpu: '1m' } }, { cpuShares: 2 }],
    [{ requests: { cpu: '1000' } }, { cpuShares: 262_144 }],
    [{ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '500m' } }, { memoryBytes: 64 * 1024 * 1024, cpuQuotaUs: 50_000, cpuShares: 512 }],
  ];
  for (const [resources, want] of cases) assert.deepEqual(limitsFor({ name: 'c', ...(resources ? { resources } : {}) }), want, JSON.stringify(resources));
});

test('cgroup files for v1 and v2', () => {
  const l = { memoryBytes: 1048576, cpuQuotaUs: 25_000, cpuShares: 1024 };
  assert.deepEqual(v1Settings(l), {
    memory: [{ file: 'memory.limit_in_bytes', value: '1048576' }],
    cpu: [
      { file: 'cpu.cfs_period_us', value: '100000' },
      { file: 'cpu.cfs_quota_us', value: '25000' },
      { file: 'cpu.shares', value: '1024' },
    ],
  });
  assert.deepEqual(
    v2Settings(l).map((s) => `${s.file}=${s.value}${s.optional ? '?' : ''}`),
    ['memory.max=1048576', 'memory.swap.max=0?', 'memory.oom.group=1?', 'cpu.max=25000 100000', 'cpu.weight=39'],
  );
  assert.deepEqual(v1Settings({}), { memory: [], cpu: [] });
  assert.deepEqual(v2Settings({}), []);
  for (const [shares, weight] of [[2, 1], [1024, 39], [262144, 10000]] as const) assert.equal(sharesToWeight(shares), weight);
});

test('cgroup hierarchies are found in mountinfo: v1, v2, hybrid', () => {
  const v1 = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  assert.deepEqual(parseCgroupMounts(v1), { version: 1, memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct' });
  const v2 = '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot';
  assert.deepEqual(parseCgroupMounts(v2), { version: 2, root: '/sys/fs/cgroup' });
  assert.equal(parseCgroupMounts('22 27 0:21 / /proc rw,relatime - proc proc rw'), undefined);
  assert.deepEqual(parseCgroupMounts('1 2 0:1 / /my\\040cg rw - cgroup2 cgroup2 rw'), { version: 2, root: '/my cg' });
});

// ---------------------------------------------------------------------------------------------
// CRI log lines

test('CRI timestamps are RFC 3339 with nanoseconds, trailing zeros dropped', () => {
  assert.equal(criTimestamp(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
  assert.equal(criTimestamp(1_700_000_000_120_000_000n), '2023-11-14T22:13:20.12Z');
  assert.equal(criTimestamp(1_700_000_000_000_000_000n), '2023-11-14T22:13:20Z');
  assert.match(criTimestamp(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
});

test('CRI entries: full lines F, unfinished and overlong ones in P parts', () => {
  const text = (bufs: Buffer[]): string[] => bufs.map((b) => b.toString());
  assert.deepEqual(text(criEntries('T', 'stdout', Buffer.from('hello'), false)), ['T stdout F hello\n']);
  assert.deepEqual(text(criEntries('T', 'stderr', Buffer.from(''), false)), ['T stderr F \n']);
  assert.deepEqual(text(criEntries('T', 'stdout', Buffer.from('half'), true)), ['T stdout P half\n']);
  const long = Buffer.alloc(MAX_LINE_BYTES * 2 + 5, 'a');
  const parts = criEntries('2026-01-01T00:00:00Z', 'stdout', long, false).map((b) => parseCriLine(b.subarray(0, b.length - 1))!);
  assert.deepEqual(parts.map((p) => [p.partial, p.content.length]), [[true, MAX_LINE_BYTES], [true, MAX_LINE_BYTES], [false, 5]]);
});

test('the CRI log file rotates by size, keeping maxFiles files', () => {
  const dir = tempDir();
  const path = join(dir, 'c', '0.log');
  const w = new CriLogWriter(path, { maxBytes: 100, maxFiles: 3 });
  for (let i = 0; i < 8; i++) w.append([Buffer.from(`line ${i} `.padEnd(40, '.') + '\n')]);
  w.append([8, 9].map((i) => Buffer.from(`line ${i} `.padEnd(40, '.') + '\n')));
  assert.deepEqual(readdirSync(join(dir, 'c')).sort(), ['0.log', '0.log.1', '0.log.2']);
  assert.match(readFileSync(path, 'utf8'), /line 9/);
  assert.match(readFileSync(`${path}.1`, 'utf8'), /line 7/);
  assert.ok(statSync(path).size <= 100);
  const single = new CriLogWriter(join(dir, 's.log'), { maxBytes: 50, maxFiles: 1 });
  single.append([0, 1, 2, 3, 4].map((i) => Buffer.from(`entry ${i}`.padEnd(30) + '\n')));
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('s.log')), ['s.log']);
});

test('the log tailer converts raw output to CRI lines, resumes where it stopped, flushes an unfinished line at the end', () => {
  const dir = tempDir();
  const log = join(dir, 'out', '0.log');
  writeFileSync(join(dir, 'stdout'), 'one\ntwo\npart');
  writeFileSync(join(dir, 'stderr'), 'oops\n');
  const rotation = { maxBytes: 1 << 20, maxFiles: 2 };
  const t1 = new LogTailer(dir, log, rotation, undefined);
  t1.pump();
  const lines = (): string[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const e = parseCriLine(Buffer.from(l))!;
        return `${e.stream} ${e.partial ? 'P' : 'F'} ${e.content.toString()}`;
      });
  assert.deepEqual(lines(), ['stdout F one', 'stdout F two', 'stderr F oops']);
  t1.close();
  // A restarted agent: the unfinished line is still pending, nothing is repeated.
  appendFileSync(join(dir, 'stdout'), 'ial\nthree\nlast');
  const t2 = new LogTailer(dir, log, rotation, undefined);
  t2.pump();
  assert.deepEqual(lines().slice(3), ['stdout F partial', 'stdout F three']);
  t2.finish();
  assert.deepEqual(lines().slice(5), ['stdout P last']);
});

test('converted raw output is freed: holes punched, or the file started over once fully read', async () => {
  const rotation = { maxBytes: 64 << 20, maxFiles: 2 };
  const big = Buffer.from('x'.repeat(99) + '\n').toString().repeat(30_000); // ~3 MB of lines
  const punched = tempDir();
  writeFileSync(join(punched, 'stdout'), big);
  writeFileSync(join(punched, 'stderr'), '');
  const t1 = new LogTailer(punched, join(punched, 'out.log'), rotation, '/usr/bin/fallocate');
  t1.pump();
  await new Promise((r) => setTimeout(r, 300)); // fallocate runs in the background
  const st = statSync(join(punched, 'stdout'));
  assert.equal(st.size, big.length, 'offsets stay valid');
  assert.ok(st.blocks * 512 < big.length / 2, `disk space freed (${st.blocks * 512} bytes used)`);
  appendFileSync(join(punched, 'stdout'), 'after\n');
  t1.finish();
  const last = readFileSync(join(punched, 'out.log'), 'utf8').trimEnd().split('\n').pop()!;
  assert.match(last, / stdout F after$/);

  const truncated = tempDir();
  writeFileSync(join(truncated, 'stdout'), big);
  writeFileSync(join(truncated, 'stderr'), '');
  const t2 = new LogTailer(truncated, join(truncated, 'out.log'), rotation, undefined);
  t2.pump();
  assert.equal(statSync(join(truncated, 'stdout')).size, 0);
  assert.deepEqual(JSON.parse(readFileSync(join(truncated, 'log-offsets.json'), 'utf8')), { stdout: 0, stderr: 0 });
  appendFileSync(join(truncated, 'stdout'), 'again\n');
  t2.finish();
  assert.match(readFileSync(join(truncated, 'out.log'), 'utf8').trimEnd().split('\n').pop()!, / stdout F again$/);
  assert.equal(readFileSync(join(truncated, 'out.log'), 'utf8').split('\n').filter(Boolean).length, 30_001);
});

// ---------------------------------------------------------------------------------------------
// identities

test('runAsUser, runAsGroup, groups and runAsNonRoot', () => {
  const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1001::/home/alice:/bin/sh\nbroken line\n');
  const root = { uid: 0, gid: 0 };
  type SC = { pod?: NonNullable<Pod['spec']>['securityContext']; c?: Container['securityContext'] };
  const run = (sc: SC, agent = root) => resolveIdentity(pod([{ name: 'c', ...(sc.c ? { securityContext: sc.c } : {}) }], sc.pod ? { securityContext: sc.pod } : {}, 'U'), pod([{ name: 'c', ...(sc.c ? { securityContext: sc.c } : {}) }]).spec!.containers[0]!, agent, passwd);
  const cases: [string, SC, string[] | RegExp, string?][] = [
    ['nothing asked: as the agent', {}, [], '/root'],
    ['runAsUser with its passwd group and home', { c: { runAsUser: 1000 } }, ['--reuid=1000', '--regid=1001', '--clear-groups'], '/home/alice'],
    ['unknown uid: group 0, home /', { c: { runAsUser: 4242 } }, ['--reuid=4242', '--regid=0', '--clear-groups'], '/'],
    ['runAsGroup wins', { c: { runAsUser: 1000, runAsGroup: 7 } }, ['--reuid=1000', '--regid=7', '--clear-groups']],
    ['the container overrides the pod', { pod: { runAsUser: 5, runAsGroup: 6 }, c: { runAsUser: 1000 } }, ['--reuid=1000', '--regid=6', '--clear-groups']],
    ['pod groups and fsGroup', { pod: { runAsUser: 1000, supplementalGroups: [10, 11], fsGroup: 12 } }, ['--reuid=1000', '--regid=1001', '--groups=10,11,12']],
    ['no privilege escalation', { c: { allowPrivilegeEscalation: false } }, ['--no-new-privs']],
    ['runAsNonRoot with a uid', { c: { runAsNonRoot: true, runAsUser: 1000 } }, ['--reuid=1000', '--regid=1001', '--clear-groups']],
    ['runAsNonRoot, no uid, root agent', { pod: { runAsNonRoot: true } }, /^container has runAsNonRoot and image will run as root \(pod: "p_default\(U\)", container: c\)$/],
    ['runAsNonRoot with uid 0', { c: { runAsNonRoot: true, runAsUser: 0 } }, /^container's runAsUser breaks non-root policy \(pod: "p_default\(U\)", container: c\)$/],
  ];
  for (const [name, sc, want, home] of cases) {
    if (want instanceof RegExp) {
      assert.throws(() => run(sc), (e: Error & { reason?: string }) => want.test(e.message) && e.reason === 'CreateContainerConfigError', name);
      continue;
    }
    const id = run(sc);
    assert.deepEqual(setprivArgs(id.runAs), want, name);
    if (home) assert.equal(id.home, home, name);
  }
  const user = { uid: 1000, gid: 1001 };
  assert.deepEqual(setprivArgs(run({ pod: { runAsNonRoot: true } }, user).runAs), [], 'a non-root agent runs non-root');
  assert.deepEqual(setprivArgs(run({ c: { runAsUser: 1000 } }, user).runAs), [], 'already that user');
  assert.throws(() => run({ c: { runAsUser: 2000 } }, user), /need the agent to run as root \(it runs as uid 1000\)/);
});

// ---------------------------------------------------------------------------------------------
// volumes and mount plans

test('hostPath types are checked and created as upstream does; emptyDir is a shared directory', () => {
  const host = tempDir();
  mkdirSync(join(host, 'dir'));
  writeFileSync(join(host, 'file'), 'x');
  const emptyDirs = join(host, 'pods', 'U', 'volumes');
  const resolve = (volume: NonNullable<Pod['spec']>['volumes'], mount: Partial<NonNullable<Container['volumeMounts']>[number]> = {}) =>
    resolveMounts(pod([], { volumes: volume }), { name: 'c', volumeMounts: [{ name: 'v', mountPath: '/data/', ...mount }] }, { SUB: 'from-env' }, emptyDirs);
  const hp = (path: string, type?: string) => [{ name: 'v', hostPath: { path, ...(type ? { type } : {}) } }];
  assert.deepEqual(resolve(hp(join(host, 'dir'), 'Directory')), [{ volume: 'v', kind: 'hostPath', source: join(host, 'dir'), target: '/data', readOnly: false, directory: true }]);
  assert.equal(resolve(hp(join(host, 'file') + '/', 'File'), { readOnly: true })[0]!.readOnly, true);
  assert.equal(resolve(hp(join(host, 'file'), 'File'))[0]!.directory, false);
  const errors: [ReturnType<typeof hp>, RegExp][] = [
    [hp(join(host, 'nope'), 'Directory'), /^MountVolume.SetUp failed for volume "v" : hostPath type check failed: .*\/nope is not a directory$/],
    [hp(join(host, 'dir'), 'File'), /is not a file$/],
    [hp(join(host, 'file'), 'DirectoryOrCreate'), /is not a directory$/],
    [hp(join(host, 'dir'), 'Socket'), /is not a socket file$/],
    [hp(join(host, 'dir'), 'CharDevice'), /is not a character device$/],
    [hp(join(host, 'dir'), 'BlockDevice'), /is not a block device$/],
    [[{ name: 'v', configMap: { name: 'cm' } }] as never, /configMap volumes are not supported by the process runtime/],
  ];
  for (const [v, re] of errors) assert.throws(() => resolve(v), (e: Error & { reason?: string }) => re.test(e.message) && e.reason === 'CreateContainerConfigError', re.source);
  assert.throws(() => resolveMounts(pod([]), { name: 'c', volumeMounts: [{ name: 'ghost', mountPath: '/x' }] }, {}, emptyDirs), /no volume named "ghost"/);
  resolve(hp(join(host, 'made', 'deep'), 'DirectoryOrCreate'));
  assert.ok(statSync(join(host, 'made', 'deep')).isDirectory());
  resolve(hp(join(host, 'new-file'), 'FileOrCreate'));
  assert.ok(statSync(join(host, 'new-file')).isFile());
  resolve(hp(join(host, 'untyped')));
  assert.ok(statSync(join(host, 'untyped')).isDirectory(), 'an untyped missing hostPath becomes a directory');
  const [ed] = resolve([{ name: 'v', emptyDir: {} }]);
  assert.equal(ed!.source, join(emptyDirs, 'v'));
  assert.equal(statSync(ed!.source).mode & 0o777, 0o777);
  assert.equal(resolve(hp(join(host, 'dir')), { subPath: 'a/b' })[0]!.source, join(host, 'dir', 'a', 'b'));
  assert.equal(resolve(hp(join(host, 'dir')), { subPathExpr: 'x-$(SUB)' })[0]!.source, join(host, 'dir', 'x-from-env'));
});

test('mount plans: nothing, binds in place, or a root of its own; refused without root', () => {
  const host = tempDir();
  mkdirSync(join(host, 'src'));
  mkdirSync(join(host, 'target'));
  writeFileSync(join(host, 'afile'), 'x');
  const m = (source: string, target: string, more: Partial<HostMount> = {}): HostMount => ({ volume: 'v', kind: 'hostPath', source, target, readOnly: false, directory: true, ...more });
  const plan = (mounts: HostMount[], unavailable?: string) => planMounts(mounts, { tools: TOOLS, newRootDir: '/state/root', ...(unavailable ? { unavailable } : {}) });

  assert.deepEqual(plan([]), { script: [] });
  assert.deepEqual(plan([m('/var/log', '/var/log')]), { script: [] }, 'a host path at its own place');
  assert.deepEqual(plan([m('/var/log', '/var/log')], 'not root'), { script: [] }, 'needs no root either');

  const inPlace = plan([m(join(host, 'src'), join(host, 'target'), { readOnly: true })]);
  assert.equal(inPlace.newRoot, undefined);
  assert.deepEqual(inPlace.script, [`/usr/bin/mount --rbind ${host}/src ${host}/target`, `/usr/bin/mount -o remount,bind,ro ${host}/target`]);
  assert.deepEqual(plan([m('/var/log', '/var/log', { readOnly: true })]).script, ['/usr/bin/mount --rbind /var/log /var/log', '/usr/bin/mount -o remount,bind,ro /var/log']);

  const own = plan([m(join(host, 'src'), '/data-everynode-test'), m(join(host, 'src'), '/data-everynode-test/inner')]);
  assert.equal(own.newRoot, '/state/root');
  assert.equal(own.script[0], '/usr/bin/mount -t tmpfs -o mode=0755 everynode-root /state/root');
  assert.ok(own.script.includes('/usr/bin/mount --rbind /proc /state/root/proc'), 'the host is visible in the new root');
  assert.ok(own.script.includes('/bin/mkdir -p /state/root/data-everynode-test'));
  const tail = own.script.slice(own.script.indexOf('/bin/mkdir -p /state/root/data-everynode-test'));
  assert.deepEqual(tail, [
    '/bin/mkdir -p /state/root/data-everynode-test',
    `/usr/bin/mount --rbind ${host}/src /state/root/data-everynode-test`,
    '/bin/mkdir -p /state/root/data-everynode-test/inner', // inside the volume, as runc does
    `/usr/bin/mount --rbind ${host}/src /state/root/data-everynode-test/inner`,
  ]);
  const deeper = plan([m(join(host, 'src'), join(host, 'target', 'x', 'y'))]);
  assert.ok(deeper.script.includes(`/bin/mkdir /state/root${host}/target`), 'each directory on the way is rebuilt');
  assert.ok(deeper.script.includes(`/bin/mkdir -p /state/root${host}/target/x/y`));
  assert.ok(!deeper.script.some((l) => l.includes(`--rbind ${host}/target /state`)), 'the directory being rebuilt is not bound over');
  assert.throws(() => plan([m(join(host, 'src'), join(host, 'afile', 'below'))]), { message: `mountPath ${host}/afile/below cannot be made: ${host}/afile is not a directory (volume "v")` });
  const fileOnDir = plan([m(join(host, 'afile'), join(host, 'target'), { directory: false })]);
  assert.ok(fileOnDir.newRoot, 'a file cannot be mounted on a directory in place');
  assert.ok(fileOnDir.script.includes(`[ -e /state/root${host}/target ] || : > /state/root${host}/target`));

  assert.throws(
    () => plan([m(join(host, 'src'), '/data')], 'the agent runs as uid 1000, not as root'),
    (e: Error & { reason?: string }) => e.reason === 'CreateContainerConfigError' && e.message === `hostPath volumes need root: cannot show ${host}/src at /data (volume "v"): the agent runs as uid 1000, not as root`,
  );
  assert.throws(() => plan([m('/var/log', '/var/log', { readOnly: true })], 'no'), { message: 'hostPath volumes need root: cannot make /var/log read-only (volume "v"): no' });
  assert.throws(() => plan([m('/x', '/y', { kind: 'emptyDir' })], 'no'), { message: 'emptyDir volumes need root: cannot show /x at /y (volume "v"): no' });
});

test('paths as the container sees them: workingDir and command checked through the volumes', () => {
  const host = tempDir();
  mkdirSync(join(host, 'bin'));
  writeFileSync(join(host, 'bin', 'tool'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(host, 'bin', 'plain'), 'x', { mode: 0o644 });
  const mounts: HostMount[] = [{ volume: 'v', kind: 'hostPath', source: host, target: '/opt/app', readOnly: false, directory: true }];
  assert.equal(hostView('/opt/app/bin/tool', mounts), join(host, 'bin', 'tool'));
  assert.equal(hostView('/opt/app', mounts), host);
  assert.equal(hostView('/opt/application', mounts), '/opt/application');
  checkWorkingDir('/opt/app/bin', mounts);
  checkWorkingDir('/tmp', []);
  assert.throws(() => checkWorkingDir('/no/such/dir', []), (e: Error & { reason?: string }) => e.reason === 'RunContainerError' && /workingDir \/no\/such\/dir does not exist/.test(e.message));
  checkCommand('tool', '/usr/bin:/opt/app/bin', '/', mounts);
  checkCommand('/opt/app/bin/tool', '', '/', mounts);
  checkCommand('./tool', '', '/opt/app/bin', mounts);
  checkCommand('sh', '/usr/local/bin:/usr/bin:/bin', '/', []);
  assert.throws(() => checkCommand('plain', '/opt/app/bin', '/', mounts), { message: 'exec: "plain": executable file not found in $PATH' });
  assert.throws(() => checkCommand('nope-nope', '/usr/bin:/bin', '/', []), (e: Error & { reason?: string }) => e.reason === 'RunContainerError' && e.message === 'exec: "nope-nope": executable file not found in $PATH');
  assert.throws(() => checkCommand('/no/such', '', '/', []), /exec: "\/no\/such": stat \/no\/such: no such executable file/);
});

test('launch chains: only the stages a container needs, setup errors reported on fd 3', () => {
  const base = { command: ['my-cmd', 'a b'], env: { A: '1', 'my.var': 'x', PWD: '/p' }, workingDir: '/w', runAs: { noNewPrivs: false }, cgroupProcs: [] as string[], mountScript: [] as string[] };
  const plain = containerLaunch(TOOLS, base);
  assert.deepEqual(plain.argv, ['/usr/bin/env', '-u', 'PWD', '-C', '/w', '--', 'my.var=x', 'PWD=/p', '/usr/bin/setpriv', '--', 'my-cmd', 'a b']);
  assert.deepEqual(plain.env, { A: '1' });
  assert.equal(plain.syncFd, false);

  const limited = containerLaunch(TOOLS, { ...base, env: { A: '1' }, cgroupProcs: ['/cg/memory/x/cgroup.procs', '/cg/cpu/x/cgroup.procs'], runAs: { uid: 1000, gid: 1000, groups: [], noNewPrivs: false } });
  assert.equal(limited.syncFd, true);
  assert.equal(limited.argv[0], '/bin/sh');
  assert.equal(limited.argv[2], ['set -e', 'exec 4>&2 2>&3', 'echo $$ > /cg/memory/x/cgroup.procs', 'echo $$ > /cg/cpu/x/cgroup.procs', 'exec "$@" 2>&4 3>&- 4>&-'].join('\n'));
  assert.deepEqual(limited.argv.slice(4), ['/usr/bin/env', '-u', 'PWD', '-C', '/w', '/usr/bin/setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', '--', 'my-cmd', 'a b']);

  const mounted = containerLaunch(TOOLS, { ...base, env: {}, mountScript: ['/usr/bin/mount --rbind /a /b'], newRoot: '/state/root' });
  assert.equal(mounted.argv[2], ['set -e', 'exec 4>&2 2>&3', 'exec "$@"'].join('\n'));
  assert.deepEqual(mounted.argv.slice(4, 9), ['/usr/bin/unshare', '--mount', '--propagation', 'private', '--']);
  assert.equal(mounted.argv[11], ['set -e', '/usr/bin/mount --rbind /a /b', 'exec "$@" 2>&4 3>&- 4>&-'].join('\n'));
  const both = containerLaunch(TOOLS, { ...base, env: {}, mountScript: ['/usr/bin/mount --rbind /a /b'], cgroupProcs: ['/cg/x/cgroup.procs'] });
  assert.equal(both.argv[11], ['set -e', '/usr/bin/mount --rbind /a /b', 'echo $$ > /cg/x/cgroup.procs', 'exec "$@" 2>&4 3>&- 4>&-'].join('\n'), 'cgroups joined after the setup');
  assert.deepEqual(mounted.argv.slice(13, 15), ['/usr/sbin/chroot', '/state/root']);

  const exec = execLaunch(TOOLS, { ...base, env: {}, pid: 42, namespaced: true, cgroupProcs: ['/cg/x/cgroup.procs'] });
  assert.deepEqual(exec.argv.slice(3, 8), ['everynode-setup', '/usr/bin/nsenter', '--target=42', '--mount', '--root']);
  assert.equal(exec.syncFd, false);
});

// ---------------------------------------------------------------------------------------------
// real processes

test('the host: everything this runtime needs is here', asRoot, async () => {
  assert.deepEqual(await new ProcessRuntime({ stateDir: tempDir() }).check(), []);
});

test('limits that cannot be enforced are said so, once per container', async () => {
  const limits = { memoryBytes: 1 << 20, cpuQuotaUs: 10_000 };
  assert.deepEqual(createContainerCgroup(undefined, 'x/y', limits), { warnings: ['resources.limits not enforced: this host has no cgroups the agent can use'] });
  assert.deepEqual(createContainerCgroup(undefined, 'x/y', {}), { warnings: [] }, 'nothing asked, nothing to say');
  const noCpu = createContainerCgroup({ version: 1 }, 'x/y', limits);
  assert.deepEqual(noCpu.warnings, ['memory resources not enforced: no cgroup v1 memory controller on this host', 'cpu resources not enforced: no cgroup v1 cpu controller on this host']);
});

test('a cgroup v2 hierarchy without controllers: the container is tracked, its limits reported unenforced', asRoot, async (t) => {
  const unified = '/sys/fs/cgroup/unified';
  if (!existsSync(join(unified, 'cgroup.procs')) || existsSync(join(unified, 'memory.max'))) return t.skip('needs the hybrid layout of this machine');
  const created = createContainerCgroup({ version: 2, root: unified }, `${cgroupParent}/pod/c-1`, { memoryBytes: 1 << 26, cpuQuotaUs: 50_000 });
  const dir = join(unified, cgroupParent, 'pod', 'c-1');
  assert.deepEqual(created.record, { version: 2, dirs: [dir], memoryDir: dir });
  assert.equal(created.warnings.length, 2);
  assert.match(created.warnings[0]!, /^memory resources not enforced: cgroup .*memory\.max/);
  const { spawn } = await import('node:child_process');
  const child = spawn('/bin/sh', ['-c', `echo $$ > ${procsFiles(created.record!)[0]}; exec sleep 30`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(cgroupPids(created.record!), [child.pid]);
  assert.equal(oomKillCount(created.record!), 0);
  await removeCgroup(created.record!); // kills what is in it
  assert.ok(!existsSync(dir));
  assert.ok(!existsSync(join(unified, cgroupParent, 'pod')), 'the pod directory went with its last container');
});

test('a failing setup step is reported on fd 3 and the command never runs', asRoot, async () => {
  const { spawn } = await import('node:child_process');
  const marker = join(tempDir(), 'ran');
  const launch = containerLaunch(TOOLS, {
    command: ['/bin/sh', '-c', `touch ${marker}`],
    env: {},
    workingDir: '/',
    runAs: { noNewPrivs: false },
    cgroupProcs: [],
    mountScript: ['/usr/bin/mount --bind /no/such/source /tmp'],
  });
  const child = spawn(launch.argv[0]!, launch.argv.slice(1), { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: launch.env });
  let said = '';
  child.stdio[3]!.on('data', (c: Buffer) => (said += c.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  assert.notEqual(code, 0);
  assert.match(said, /\/no\/such\/source/);
  assert.ok(!existsSync(marker));
});

interface Started {
  rt: ProcessRuntime;
  handle: ContainerHandle;
  logPath: string;
}

const cgroupParent = `everynode-test-${process.pid}`;
after(() => {
  // What is left of the test cgroups (remove() takes the containers' own; a failed test may not have).
  const rmTree = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    rmdirSync(dir);
  };
  for (const c of ['memory', 'cpu', 'unified', '']) rmTree(join('/sys/fs/cgroup', c, cgroupParent));
});

const runtimes: ProcessRuntime[] = [];
function newRuntime(stateDir = tempDir(), more: Partial<ConstructorParameters<typeof ProcessRuntime>[0]> = {}): ProcessRuntime {
  const rt = new ProcessRuntime({ stateDir, cgroupParent, logPollMs: 50, ...more });
  runtimes.push(rt);
  return rt;
}
after(async () => {
  for (const rt of runtimes) for (const c of await rt.listRunning()) await rt.remove(c.handle.id);
  for (const rt of runtimes) rt.close();
});

async function start(rt: ProcessRuntime, c: Partial<Container>, p: Pod = pod([]), env: Record<string, string> = {}, attempt = 0): Promise<Started> {
  const container: Container = { name: 'main', image: 'busybox:1.36', ...c };
  const logPath = join(tempDir('en-logs-'), `${attempt}.log`);
  const handle = await rt.start({ pod: { ...p, spec: { ...p.spec!, containers: [container] } }, container, env, attempt, logPath });
  return { rt, handle, logPath };
}

/** The CRI log's lines as `stream text`, once `done` holds for them (or the deadline passes). */
async function logLines(path: string, done: (lines: string[]) => boolean = () => true, ms = 5000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    let lines: string[] = [];
    try {
      lines = readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const e = parseCriLine(Buffer.from(l));
          assert.ok(e, `a CRI line: ${l}`);
          return `${e.stream} ${e.content.toString()}`;
        });
    } catch {
      // not written yet
    }
    if (done(lines) || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function processesRunning(cmdline: string): number[] {
  const found: number[] = [];
  for (const p of readdirSync('/proc')) {
    try {
      if (/^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8') === cmdline) found.push(Number(p));
    } catch {
      // gone
    }
  }
  return found;
}

const sh = (script: string, ...args: string[]): Partial<Container> => ({ command: ['sh', '-c', script, 'sh', ...args] });

test('command, args, env and workingDir; stdout and stderr in the CRI log; exit 0 is Completed', asRoot, async () => {
  const rt = newRuntime();
  const { handle, logPath } = await start(rt, { ...sh('echo "$GREETING $1"; pwd; echo oops >&2; env | grep -c ^HOSTNAME=', 'world'), workingDir: '/tmp' }, pod([]), { GREETING: 'hello' });
  assert.match(handle.id, /^process:\/\/[0-9a-f]{64}$/);
  assert.equal(handle.image, 'docker.io/library/busybox:1.36');
  assert.match(handle.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const exit = await rt.wait(handle.id);
  assert.equal(exit.exitCode, 0);
  assert.equal(exit.reason, 'Completed');
  const lines = await logLines(logPath);
  assert.deepEqual(lines.filter((l) => l.startsWith('stdout')), ['stdout hello world', 'stdout /tmp', 'stdout 1']);
  assert.deepEqual(lines.filter((l) => l.startsWith('stderr')), ['stderr oops']);
  await rt.remove(handle.id);
});

test('exit codes and signals as container runtimes report them', asRoot, async () => {
  const rt = newRuntime();
  const cases: [string, number, string, number | undefined][] = [
    ['exit 3', 3, 'Error', undefined],
    ['kill -TERM $$', 143, 'Error', 15],
    ['kill -KILL $$', 137, 'Error', 9],
    ['true', 0, 'Completed', undefined],
  ];
  for (const [script, code, reason, signal] of cases) {
    const { handle } = await start(rt, sh(script));
    const exit = await rt.wait(handle.id);
    assert.deepEqual([exit.exitCode, exit.reason, exit.signal], [code, reason, signal], script);
    assert.match(exit.finishedAt, /Z$/);
    await rt.remove(handle.id);
  }
});

test('a start that cannot work is refused with the reason the kubelet shows', asRoot, async () => {
  const rt = newRuntime();
  const cases: [Partial<Container>, string, RegExp][] = [
    [{}, 'CreateContainerConfigError', /container "main" has none \(its image busybox:1.36 is only shown, not run\)/],
    [{ command: ['no-such-binary-here'] }, 'RunContainerError', /^exec: "no-such-binary-here": executable file not found in \$PATH$/],
    [{ command: ['true'], workingDir: '/no/such/dir' }, 'RunContainerError', /workingDir \/no\/such\/dir does not exist/],
    [{ command: ['true'], securityContext: { runAsNonRoot: true } }, 'CreateContainerConfigError', /^container has runAsNonRoot and image will run as root/],
  ];
  for (const [c, reason, message] of cases) {
    await assert.rejects(start(rt, c), (e: Error & { reason?: string }) => e.reason === reason && message.test(e.message), message.source);
  }
  assert.deepEqual(await rt.listRunning(), []);
});

test('stop: SIGTERM to the group, SIGKILL after the grace period', asRoot, async () => {
  const rt = newRuntime();
  const polite = await start(rt, sh("trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done"));
  await logLines(polite.logPath, (l) => l.includes('stdout ready'));
  let t0 = Date.now();
  await rt.stop(polite.handle.id, 10);
  assert.ok(Date.now() - t0 < 3000, 'it stopped on SIGTERM, well before the grace period');
  assert.deepEqual([(await rt.wait(polite.handle.id)).exitCode, (await rt.wait(polite.handle.id)).reason], [0, 'Completed']);
  assert.ok((await logLines(polite.logPath, (l) => l.includes('stdout bye'))).includes('stdout bye'));

  const stubborn = await start(rt, sh("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
  await logLines(stubborn.logPath, (l) => l.includes('stdout ready'));
  t0 = Date.now();
  await rt.stop(stubborn.handle.id, 1);
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 4000, `killed after the grace period (${took} ms)`);
  const exit = await rt.wait(stubborn.handle.id);
  assert.deepEqual([exit.exitCode, exit.reason, exit.signal], [137, 'Error', 9]);
  for (const s of [polite, stubborn]) await rt.remove(s.handle.id);
});

test('what the main process leaves behind dies with it', asRoot, async () => {
  const rt = newRuntime();
  const { handle, logPath } = await start(rt, sh('sleep 1000 & echo $!; setsid sleep 1001 & sleep 0.2; exit 0'));
  await rt.wait(handle.id);
  const pids = (await logLines(logPath)).map((l) => Number(l.split(' ')[1]));
  assert.equal(pids.length, 1);
  const stat = readStat(pids[0]!);
  assert.ok(!stat || stat.state === 'Z', 'the background child is gone');
  assert.deepEqual(processesRunning('sleep\u00001001\u0000'), [], 'the one that left the process group went with the cgroup');
  await rt.remove(handle.id);
});

test('CRI logs rotate by size while the container writes', asRoot, async () => {
  const rt = newRuntime(tempDir(), { logRotation: { maxBytes: 4096, maxFiles: 2 } });
  const { handle, logPath } = await start(rt, sh('i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done'));
  await rt.wait(handle.id);
  const current = await logLines(logPath);
  const rotated = await logLines(`${logPath}.1`);
  assert.ok(rotated.length > 0, 'a rotated file');
  assert.equal(current[current.length - 1], 'stdout line 299');
  assert.ok(statSync(logPath).size <= 4096 && statSync(`${logPath}.1`).size <= 4096);
  assert.ok(!existsSync(`${logPath}.2`), 'one rotated file kept');
  await rt.remove(handle.id);
});

test('hostPath: the host directory at another mountPath, readOnly enforced, the host unchanged', asRoot, async () => {
  const rt = newRuntime();
  const data = tempDir('en-data-');
  writeFileSync(join(data, 'hello'), 'from the host\n');
  const mountPath = `/data-${process.pid}`;
  const volumes = [{ name: 'data', hostPath: { path: data, type: 'Directory' } }];
  const rw = await start(rt, { ...sh(`cat ${mountPath}/hello; echo written > ${mountPath}/new; pwd; ls /proc/self >/dev/null && echo proc-ok`), workingDir: mountPath, volumeMounts: [{ name: 'data', mountPath }] }, pod([], { volumes }));
  assert.deepEqual(await rt.wait(rw.handle.id).then((e) => e.exitCode), 0);
  assert.deepEqual(await logLines(rw.logPath), ['stdout from the host', `stdout ${mountPath}`, 'stdout proc-ok']);
  assert.equal(readFileSync(join(data, 'new'), 'utf8'), 'written\n', 'writes reach the host directory');
  assert.ok(!existsSync(mountPath), 'the mountPath was not created on the host');

  const ro = await start(rt, { ...sh(`cat ${mountPath}/hello; echo no > ${mountPath}/nope`), volumeMounts: [{ name: 'data', mountPath, readOnly: true }] }, pod([], { volumes }));
  const exit = await rt.wait(ro.handle.id);
  assert.notEqual(exit.exitCode, 0);
  const lines = await logLines(ro.logPath);
  assert.equal(lines[0], 'stdout from the host');
  assert.match(lines[1]!, /^stderr .*Read-only file system/);
  assert.ok(!existsSync(join(data, 'nope')));

  // An existing directory as mountPath: mounted over in the container only.
  const target = tempDir('en-target-');
  writeFileSync(join(target, 'mine'), 'host content');
  const over = await start(rt, { ...sh(`ls ${target}`), volumeMounts: [{ name: 'data', mountPath: target }] }, pod([], { volumes }));
  await rt.wait(over.handle.id);
  assert.deepEqual((await logLines(over.logPath)).sort(), ['stdout hello', 'stdout new']);
  assert.deepEqual(readdirSync(target), ['mine'], 'the host directory is untouched');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(data), 'no mount visible on the host');
  for (const s of [rw, ro, over]) await rt.remove(s.handle.id);
});

test('emptyDir: shared by the pod containers, kept across restarts, removed with the pod', asRoot, async () => {
  const rt = newRuntime();
  const p = pod([], { volumes: [{ name: 'scratch', emptyDir: {} }] });
  const mounts = [{ name: 'scratch', mountPath: '/scratch' }];
  const writer = await start(rt, { ...sh('echo shared > /scratch/f'), volumeMounts: mounts }, p);
  await rt.wait(writer.handle.id);
  const reader = await start(rt, { ...sh('cat /scratch/f'), volumeMounts: mounts, securityContext: { runAsUser: 1000 } }, p, {}, 1);
  await rt.wait(reader.handle.id);
  assert.deepEqual(await logLines(reader.logPath), ['stdout shared']);
  await rt.remove(writer.handle.id);
  await assert.rejects(rt.removePod(p.metadata!.uid!), /still has containers/);
  await rt.remove(reader.handle.id);
  await rt.removePod(p.metadata!.uid!);
  assert.equal(readdirSync(join(runtimesState(rt), 'pods')).length, 0);
});

const runtimesState = (rt: ProcessRuntime): string => (rt as unknown as { o: { stateDir: string } }).o.stateDir;

test('runAsUser and runAsGroup: the process runs as that user', asRoot, async () => {
  const rt = newRuntime();
  const { handle, logPath } = await start(rt, { ...sh('id -u; id -g; id -G; echo $HOME'), securityContext: { runAsUser: 1000, runAsGroup: 2000 } }, pod([], { securityContext: { supplementalGroups: [3000] } }));
  await rt.wait(handle.id);
  const home = parsePasswd(readFileSync('/etc/passwd', 'utf8')).find((u) => u.uid === 1000)?.home || '/';
  assert.deepEqual(await logLines(logPath), ['stdout 1000', 'stdout 2000', 'stdout 2000 3000', `stdout ${home}`]);
  await rt.remove(handle.id);
});

test('a memory limit OOM-kills the container: OOMKilled, 137', asRoot, async () => {
  const rt = newRuntime();
  const { handle } = await start(rt, { ...sh('x=$(head -c 300M /dev/zero | tr "\\0" x); echo survived'), resources: { limits: { memory: '50Mi' } } });
  const exit = await rt.wait(handle.id);
  assert.deepEqual([exit.exitCode, exit.reason], [137, 'OOMKilled']);
  await rt.remove(handle.id);
});

test('cpu limit and request are written to the container cgroup; removed with it', asRoot, async () => {
  const rt = newRuntime();
  const p = pod([]);
  const { handle } = await start(rt, { ...sh('sleep 30'), resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m' } } }, p);
  const leaf = `${cgroupParent}/${p.metadata!.uid}/main-${handle.id.slice('process://'.length, 'process://'.length + 12)}`;
  const v1 = existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const read = (controller: string, file: string): string => readFileSync(v1 ? join('/sys/fs/cgroup', controller, leaf, file) : join('/sys/fs/cgroup', leaf, file), 'utf8').trim();
  if (v1) {
    assert.equal(read('cpu', 'cpu.cfs_quota_us'), '25000');
    assert.equal(read('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(read('cpu', 'cpu.shares'), '102');
    assert.equal(read('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    const pid = Number(readFileSync(join('/sys/fs/cgroup/memory', leaf, 'cgroup.procs'), 'utf8').trim().split('\n')[0]);
    assert.ok(pid > 0, 'the process is in the cgroup');
  } else {
    assert.equal(read('', 'cpu.max'), '25000 100000');
    assert.equal(read('', 'memory.max'), String(64 * 1024 * 1024));
  }
  await rt.stop(handle.id, 1);
  await rt.remove(handle.id);
  assert.ok(!existsSync(v1 ? join('/sys/fs/cgroup/cpu', leaf) : join('/sys/fs/cgroup', leaf)), 'cgroup removed');
});

test('exec runs in the container: its mounts, user, env and workingDir; with a timeout', asRoot, async () => {
  const rt = newRuntime();
  const data = tempDir('en-data-');
  chmodSync(data, 0o755); // readable by the container's user
  writeFileSync(join(data, 'inside'), 'seen\n');
  const mountPath = `/exec-data-${process.pid}`;
  const { handle } = await start(
    rt,
    { ...sh('sleep 30'), workingDir: mountPath, securityContext: { runAsUser: 1000 }, volumeMounts: [{ name: 'd', mountPath, readOnly: true }] },
    pod([], { volumes: [{ name: 'd', hostPath: { path: data } }] }),
    { COLOR: 'blue' },
  );
  const r = await rt.exec(handle.id, ['sh', '-c', 'cat inside; id -u; echo $COLOR; pwd; exit 4'], 5);
  assert.deepEqual(r, { exitCode: 4, output: `seen\n1000\nblue\n${mountPath}\n` });
  assert.deepEqual(await rt.exec(handle.id, ['no-such-cmd'], 5).then((x) => x.exitCode), 127);
  const t0 = Date.now();
  await assert.rejects(rt.exec(handle.id, ['sleep', '30'], 1), /timed out after 1s/);
  assert.ok(Date.now() - t0 < 4000);
  await rt.stop(handle.id, 0);
  await assert.rejects(rt.exec(handle.id, ['true'], 1), /is not running/);
  await rt.remove(handle.id);
});

test('a restarted agent finds the running containers, not the dead ones, and keeps their logs going', asRoot, async () => {
  const stateDir = tempDir();
  const first = newRuntime(stateDir);
  const p = pod([]);
  const daemon = await start(first, sh('i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.1; done'), p, {}, 0);
  const done = await start(first, sh('echo done'), p, {}, 0);
  await first.wait(done.handle.id);
  await logLines(daemon.logPath, (l) => l.length >= 3);
  first.close(); // the agent goes away; its containers do not

  const second = newRuntime(stateDir);
  const found = await second.listRunning();
  assert.deepEqual(found.map((c) => [c.handle.id, c.podUid, c.containerName, c.attempt]), [[daemon.handle.id, p.metadata!.uid, 'main', 0]]);
  assert.equal(found[0]!.handle.startedAt, daemon.handle.startedAt);
  assert.deepEqual(await second.listRunning().then((l) => l.length), 1, 'listing again adopts nothing twice');
  const before = (await logLines(daemon.logPath)).length;
  const lines = await logLines(daemon.logPath, (l) => l.length >= before + 5);
  const ticks = lines.map((l) => Number(l.split(' ')[2]));
  assert.deepEqual(ticks, ticks.map((_, i) => i), 'no line lost or repeated across the restart');
  assert.ok(!existsSync(join(stateDir, 'containers', done.handle.id.slice('process://'.length))), 'the exited one was cleaned up');

  // Its exit code is unknowable to the new agent.
  const pid = Number((JSON.parse(readFileSync(join(stateDir, 'containers', daemon.handle.id.slice('process://'.length), 'state.json'), 'utf8')) as { pid: number }).pid);
  process.kill(-pid, 'SIGKILL');
  const exit = await second.wait(daemon.handle.id);
  assert.deepEqual([exit.exitCode, exit.reason], [137, 'ContainerStatusUnknown']);
  await second.remove(daemon.handle.id);
  assert.deepEqual(await newRuntime(stateDir).listRunning(), []);
});

test('an adopted container is stopped and exec-ed into like one of its own', asRoot, async () => {
  const stateDir = tempDir();
  const first = newRuntime(stateDir);
  const { handle } = await start(first, sh("trap 'exit 0' TERM; while :; do sleep 0.05; done"), pod([]), { WHO: 'adopted' });
  first.close();
  const second = newRuntime(stateDir);
  assert.equal((await second.listRunning()).length, 1);
  assert.deepEqual(await second.exec(handle.id, ['sh', '-c', 'echo $WHO'], 5), { exitCode: 0, output: 'adopted\n' });
  const rec = JSON.parse(readFileSync(join(stateDir, 'containers', handle.id.slice('process://'.length), 'state.json'), 'utf8')) as { pid: number; startTime: string };
  await second.stop(handle.id, 5);
  assert.ok(!isAlive(rec.pid, rec.startTime));
  await second.remove(handle.id);
});
