// What this host lets the process runtime do: the programs it chains (launch.ts), whether it may
// make mount namespaces (root, and a kernel that allows them), and the cgroups it can use.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { detectCgroupHost, type CgroupHost } from './cgroups.js';
import type { Tools } from './launch.js';

export interface HostSupport {
  uid: number;
  gid: number;
  tools: Tools;
  /** For freeing converted raw log output; absent: raw logs are truncated instead. */
  fallocate?: string;
  cgroups?: CgroupHost;
  /** Why volumes cannot be mounted for containers; undefined when they can. */
  mountsUnavailable?: string;
  /** Programs the runtime cannot work without, not found. */
  missing: string[];
}

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function which(name: string): string | undefined {
  for (const dir of SEARCH) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Always needed: the chain's shell, `env -C` (GNU coreutils 8.28+) and setpriv (util-linux). */
const REQUIRED = ['sh', 'env', 'setpriv'] as const;
/** Needed for volumes: util-linux and coreutils. */
const FOR_MOUNTS = ['unshare', 'nsenter', 'mount', 'chroot', 'mkdir', 'ln', 'chown', 'chmod'] as const;

export function probeHost(): HostSupport {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const found = new Map([...REQUIRED, ...FOR_MOUNTS].map((n) => [n, which(n)]));
  const missing: string[] = REQUIRED.filter((n) => !found.get(n));
  if (found.get('env') && spawnSync(found.get('env')!, ['-C', '/', found.get('sh') ?? '/bin/sh', '-c', 'exit 0']).status !== 0) {
    missing.push('env with -C (GNU coreutils 8.28 or later)');
  }
  const tools = Object.fromEntries([...found].map(([n, p]) => [n, p ?? n])) as unknown as Tools;
  let mountsUnavailable: string | undefined;
  const missingForMounts = FOR_MOUNTS.filter((n) => !found.get(n));
  if (uid !== 0) mountsUnavailable = `the agent runs as uid ${uid}, not as root`;
  else if (missingForMounts.length > 0) mountsUnavailable = `${missingForMounts.join(', ')} not found (install util-linux and coreutils)`;
  else {
    const r = spawnSync(tools.unshare, ['--mount', '--propagation', 'private', tools.sh, '-c', 'exit 0'], { encoding: 'utf8' });
    if (r.status !== 0) mountsUnavailable = `mount namespaces are not available: ${(r.stderr || r.error?.message || '').trim()}`;
  }
  const fallocate = which('fallocate');
  const cgroups = detectCgroupHost();
  return { uid, gid, tools, missing, ...(fallocate ? { fallocate } : {}), ...(cgroups ? { cgroups } : {}), ...(mountsUnavailable ? { mountsUnavailable } : {}) };
}
