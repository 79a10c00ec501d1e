// What /proc says about processes: a process is identified by its pid AND its start time (pids
// get reused), and a container's process group is alive while any non-zombie member remains.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  /** R, S, D, Z (zombie), X (dead)... */
  state: string;
  pgrp: number;
  /** Field 22, clock ticks since boot: with the pid, a process's identity. */
  startTime: string;
}

export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3; field n is rest[n - 3].
  return { state: rest[0]!, pgrp: Number(rest[2]), startTime: rest[19]! };
}

const running = (s: ProcStat | undefined): s is ProcStat => !!s && s.state !== 'Z' && s.state !== 'X';

/** The process `pid` still runs and is the one that started at `startTime`. */
export function isAlive(pid: number, startTime: string): boolean {
  const s = readStat(pid);
  return running(s) && s.startTime === startTime;
}

/** Pids of the living members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const s = readStat(pid);
    if (running(s) && s.pgrp === pgid) members.push(pid);
  }
  return members;
}

/** Sends `signal` to each pid, ignoring the ones already gone. */
export function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Sends `signal` to a whole process group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
