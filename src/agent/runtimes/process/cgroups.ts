// Containers' cgroups, v1 (a hierarchy per controller, as on this machine) or v2 (one unified
// hierarchy, as on most hosts). Each container gets its own leaf — never reused, so its OOM-kill
// counter is its own — with the memory and cpu limits written before its process joins it.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type CgroupLimits, type CgroupSetting, v1Settings, v2Settings } from './cgroup-limits.js';
import { signalAll, sleep } from './proc.js';

export type CgroupHost = { version: 1; memory?: string; cpu?: string } | { version: 2; root: string };

/** A container's cgroups, as its state file records them. */
export interface CgroupRecord {
  version: 1 | 2;
  /** Every directory the container's processes belong to (v1: one per controller). */
  dirs: string[];
  /** The directory whose memory files tell about OOM kills. */
  memoryDir?: string;
}

const unescapeMountPath = (p: string): string => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Where the cgroup controllers are mounted, from /proc/self/mountinfo. v1 wins on hybrid hosts. */
export function parseCgroupMounts(mountinfo: string): CgroupHost | undefined {
  let memory: string | undefined;
  let cpu: string | undefined;
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = unescapeMountPath(pre.split(' ')[4] ?? '');
    const [fsType, , superOptions = ''] = post.split(' ');
    const options = superOptions.split(',');
    if (fsType === 'cgroup') {
      if (options.includes('memory')) memory ??= mountPoint;
      if (options.includes('cpu')) cpu ??= mountPoint;
    } else if (fsType === 'cgroup2') {
      // The fully unified host mounts it at /sys/fs/cgroup; a hybrid one somewhere below.
      if (unified === undefined || mountPoint === '/sys/fs/cgroup') unified = mountPoint;
    }
  }
  if (memory !== undefined || cpu !== undefined) return { version: 1, ...(memory ? { memory } : {}), ...(cpu ? { cpu } : {}) };
  if (unified !== undefined) return { version: 2, root: unified };
  return undefined;
}

export function detectCgroupHost(): CgroupHost | undefined {
  try {
    return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

const wants = (l: CgroupLimits): { memory: boolean; cpu: boolean } => ({
  memory: l.memoryBytes !== undefined,
  cpu: l.cpuQuotaUs !== undefined || l.cpuShares !== undefined,
});

function apply(dir: string, settings: CgroupSetting[]): void {
  for (const s of settings) {
    try {
      writeFileSync(join(dir, s.file), s.value);
    } catch (e) {
      if (!s.optional) throw e;
    }
  }
}

/** Turns on `controllers` for the children of root and of each directory down to `dir` (v2). */
function enableControllers(root: string, dir: string, controllers: string[]): void {
  const chain = [root];
  for (let d = dir; d !== root && d.startsWith(root); d = dirname(d)) chain.splice(1, 0, d);
  chain.pop(); // the leaf itself must not delegate (it holds the processes)
  for (const d of chain) {
    const available = readFileSync(join(d, 'cgroup.controllers'), 'utf8').split(/\s+/);
    const wanted = controllers.filter((c) => available.includes(c)).map((c) => `+${c}`);
    if (wanted.length > 0) writeFileSync(join(d, 'cgroup.subtree_control'), wanted.join(' '));
  }
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface CreatedCgroup {
  record?: CgroupRecord;
  /** Limits that could not be enforced, and why. */
  warnings: string[];
}

/** Makes the container's leaf cgroup(s) at `relPath` below each hierarchy and writes its limits. */
export function createContainerCgroup(host: CgroupHost | undefined, relPath: string, limits: CgroupLimits): CreatedCgroup {
  const want = wants(limits);
  const warnings: string[] = [];
  const unenforced = (asked: boolean, what: string, why: string): void => {
    if (asked) warnings.push(`${what} not enforced: ${why}`);
  };
  if (!host) {
    unenforced(want.memory || want.cpu, 'resources.limits', 'this host has no cgroups the agent can use');
    return { warnings };
  }
  const record: CgroupRecord = { version: host.version, dirs: [] };
  const setUp = (controller: 'memory' | 'cpu', dir: string, settings: CgroupSetting[], prepare?: () => void): void => {
    try {
      mkdirSync(dir, { recursive: true });
      if (!record.dirs.includes(dir)) record.dirs.push(dir);
      if (controller === 'memory') record.memoryDir = dir;
      prepare?.();
      apply(dir, settings);
    } catch (e) {
      unenforced(want[controller], `${controller} resources`, `cgroup ${dir}: ${reason(e)}`);
    }
  };
  if (host.version === 2) {
    const dir = join(host.root, relPath);
    const all = v2Settings(limits);
    setUp('memory', dir, all.filter((s) => s.file.startsWith('memory.')), () => enableControllers(host.root, dir, ['cpu', 'memory']));
    setUp('cpu', dir, all.filter((s) => s.file.startsWith('cpu.')));
  } else {
    const settings = v1Settings(limits);
    for (const controller of ['memory', 'cpu'] as const) {
      const mount = host[controller];
      if (mount) setUp(controller, join(mount, relPath), settings[controller]);
      else unenforced(want[controller], `${controller} resources`, `no cgroup v1 ${controller} controller on this host`);
    }
  }
  return { ...(record.dirs.length > 0 ? { record } : {}), warnings };
}

/** The files a process writes its pid to, to join the container's cgroups. */
export const procsFiles = (r: CgroupRecord): string[] => r.dirs.map((d) => join(d, 'cgroup.procs'));

/** Every process in the container's cgroups (including ones that left its process group). */
export function cgroupPids(r: CgroupRecord): number[] {
  const pids = new Set<number>();
  for (const file of procsFiles(r)) {
    try {
      for (const l of readFileSync(file, 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch {
      // removed already
    }
  }
  return [...pids];
}

/** How many processes the kernel OOM-killed in this container (v1 `memory.oom_control`, v2 `memory.events`). */
export function oomKillCount(r: CgroupRecord): number {
  if (!r.memoryDir) return 0;
  try {
    const text = readFileSync(join(r.memoryDir, r.version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Kills what is left in the container's cgroups and removes them (and the pod's, once empty). */
export async function removeCgroup(r: CgroupRecord): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    signalAll(cgroupPids(r), 'SIGKILL');
    const busy = r.dirs.filter((d) => !rmdirQuietly(d));
    if (busy.length === 0 || attempt >= 60) break;
    await sleep(50);
  }
  for (const d of r.dirs) rmdirQuietly(dirname(d)); // the pod's directory, when its last container goes
}

/** rmdir; true when the directory is gone (or was), false while it is busy or not empty. */
function rmdirQuietly(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
