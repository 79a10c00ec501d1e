// A container's volumeMounts as host paths: which host directory or file it must see at each
// mountPath. hostPath volumes are checked (and created) by their `type` as upstream's kubelet
// does; emptyDir volumes are directories the pod keeps under the runtime's state directory.
// Other volume types need an API client to materialise and are refused.
import { chmodSync, closeSync, mkdirSync, openSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { configError } from './errors.js';

export interface HostMount {
  volume: string;
  kind: 'hostPath' | 'emptyDir';
  /** What the container sees: a host path. */
  source: string;
  /** Where it sees it (normalised, absolute). */
  target: string;
  readOnly: boolean;
  /** The source is a directory (bind mounts need a directory target then, a file otherwise). */
  directory: boolean;
}

const statOf = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
};

const HOSTPATH_CHECKS: Record<string, [test: (s: Stats) => boolean, what: string]> = {
  Directory: [(s) => s.isDirectory(), 'a directory'],
  File: [(s) => s.isFile(), 'a file'],
  Socket: [(s) => s.isSocket(), 'a socket file'],
  CharDevice: [(s) => s.isCharacterDevice(), 'a character device'],
  BlockDevice: [(s) => s.isBlockDevice(), 'a block device'],
};

/** The host path of a hostPath volume, created or checked according to its type. */
function hostPathSource(path: string, type: string): string {
  const found = statOf(path);
  if (type === 'DirectoryOrCreate' || (type === '' && !found)) {
    // An untyped hostPath that does not exist becomes a directory, as container runtimes do.
    if (!found) mkdirSync(path, { recursive: true, mode: 0o755 });
    else if (!found.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
  } else if (type === 'FileOrCreate') {
    // Like upstream, the parent directory must already exist.
    if (!found) closeSync(openSync(path, 'a', 0o644));
    else if (!found.isFile()) throw new Error(`hostPath type check failed: ${path} is not a file`);
  } else if (type in HOSTPATH_CHECKS) {
    const [ok, what] = HOSTPATH_CHECKS[type]!;
    if (!found || !ok(found)) throw new Error(`hostPath type check failed: ${path} is not ${what}`);
  }
  return path;
}

/** An absolute path without `.`, `..`, doubled or trailing slashes. */
const clean = (p: string): string => posix.normalize(p).replace(/(.)\/$/, '$1');

function volumeSource(v: Volume, emptyDirRoot: string): string {
  if (v.hostPath) return hostPathSource(clean(v.hostPath.path), v.hostPath.type ?? '');
  if (v.emptyDir) {
    const dir = join(emptyDirRoot, v.name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777); // as upstream: any container user may write to it
    return dir;
  }
  const type = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  throw new Error(`${type} volumes are not supported by the process runtime (only hostPath and emptyDir)`);
}

/** `$(VAR)` references in a subPathExpr, expanded from the container's environment. */
const expand = (expr: string, env: Record<string, string>): string => expr.replace(/\$\(([^)]*)\)/g, (_, name: string) => env[name] ?? '');

/** A subPath inside `source`, created if missing, refused if it leads outside (through a symlink). */
function subPathSource(source: string, subPath: string): string {
  const path = join(source, subPath);
  if (!statOf(path)) mkdirSync(path, { recursive: true, mode: 0o755 });
  const real = realpathSync(path);
  const base = realpathSync(source);
  if (real !== base && !real.startsWith(base + '/')) throw new Error(`subpath "${subPath}" leads outside of the volume`);
  return real;
}

/**
 * The host mounts for `container` of `pod`, emptyDir volumes under `emptyDirRoot`. Throws a
 * CreateContainerConfigError saying which volume could not be set up and why.
 */
export function resolveMounts(pod: Pod, container: Container, env: Record<string, string>, emptyDirRoot: string): HostMount[] {
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  return (container.volumeMounts ?? []).map((m) => {
    try {
      const v = volumes.get(m.name);
      if (!v) throw new Error(`no volume named "${m.name}" in the pod`);
      let source = volumeSource(v, emptyDirRoot);
      const subPath = m.subPathExpr !== undefined ? expand(m.subPathExpr, env) : m.subPath;
      if (subPath) source = subPathSource(source, subPath);
      const directory = statOf(source)?.isDirectory() ?? true;
      return { volume: m.name, kind: v.hostPath ? 'hostPath' : 'emptyDir', source, target: clean(m.mountPath), readOnly: m.readOnly === true, directory };
    } catch (e) {
      throw configError(`MountVolume.SetUp failed for volume "${m.name}" : ${(e as Error).message}`);
    }
  });
}
