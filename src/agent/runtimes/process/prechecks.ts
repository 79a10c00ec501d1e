// Checks made before a container's process is started, so that the usual mistakes — a command
// that is not there, a workingDir that does not exist — fail the start with a clear message
// instead of an exit code 127 or 125. Paths are looked up as the container will see them:
// inside a volume's mountPath they are the volume's host path.
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { runError } from './errors.js';
import type { HostMount } from './volumes.js';

/** The host path behind `path` as the container sees it. */
export function hostView(path: string, mounts: HostMount[]): string {
  let best: HostMount | undefined;
  for (const m of mounts) {
    const inside = path === m.target || m.target === '/' || path.startsWith(m.target + '/');
    if (inside && (!best || m.target.length > best.target.length)) best = m;
  }
  return best ? posix.join(best.source, path.slice(best.target.length)) : path;
}

const isExecutableFile = (path: string): boolean => {
  try {
    const s = statSync(path);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
};

export function checkWorkingDir(workingDir: string, mounts: HostMount[]): void {
  let ok = false;
  try {
    ok = statSync(hostView(workingDir, mounts)).isDirectory();
  } catch {
    // missing
  }
  if (!ok) throw runError(`workingDir ${workingDir} does not exist: the process runtime does not create it`);
}

/** Fails like a container runtime when `command` cannot be found or is not executable. */
export function checkCommand(command: string, path: string, workingDir: string, mounts: HostMount[]): void {
  if (command.includes('/')) {
    const full = posix.resolve(workingDir, command);
    if (!isExecutableFile(hostView(full, mounts))) throw runError(`exec: "${command}": stat ${full}: no such executable file`);
    return;
  }
  const dirs = path.split(':').map((d) => posix.resolve(workingDir, d || '.'));
  if (!dirs.some((d) => isExecutableFile(hostView(posix.join(d, command), mounts)))) {
    throw runError(`exec: "${command}": executable file not found in $PATH`);
  }
}
