// Looking at the host's real processes from a test: the daemons an agent runs are found in /proc
// by a marker the test puts in their command line.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Pids whose command line contains `marker` (the daemon itself, not the children it forks). */
export function findProcesses(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids.filter((p) => p !== process.pid).sort((a, b) => a - b);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The network namespace of a process, as the kernel names it (`net:[4026532...]`). */
export function netnsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** A value of the process's environment. */
export function envOf(pid: number, name: string): string | undefined {
  try {
    const vars = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return vars.find((v) => v.startsWith(`${name}=`))?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

/** SIGKILLs what is left of a test's daemons (each by pid, found by the test's marker). */
export function killLeftovers(marker: string): number {
  const pids = findProcesses(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids.length;
}
