// What the process runtime remembers about each container, on disk, so that a restarted agent
// finds the containers still running (and cleans up after the others):
//   <stateDir>/containers/<id>/state.json    this record
//   <stateDir>/containers/<id>/stdout|stderr  the raw output the container writes (log-tailer.ts)
//   <stateDir>/containers/<id>/root           mount point of the container's own root, if any
//   <stateDir>/pods/<uid>/volumes/<name>      emptyDir volumes
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupRecord } from './cgroups.js';
import type { RunAs } from './identity.js';

export interface ContainerRecord {
  /** Without the `process://` prefix. */
  id: string;
  podUid: string;
  podNamespace: string;
  podName: string;
  containerName: string;
  attempt: number;
  image: string;
  logPath: string;
  startedAt: string;
  /** 0 until the process is spawned (a record without one is a start that did not finish). */
  pid: number;
  /** /proc/<pid>/stat field 22: with the pid, identifies the process (pids are reused). */
  startTime: string;
  cgroup?: CgroupRecord;
  /** What exec needs to run a command the way the container runs. */
  namespaced: boolean;
  workingDir: string;
  env: Record<string, string>;
  runAs: RunAs;
}

export const containersDir = (stateDir: string): string => join(stateDir, 'containers');
export const containerDir = (stateDir: string, id: string): string => join(containersDir(stateDir), id);
export const podVolumesDir = (stateDir: string, podUid: string): string => join(stateDir, 'pods', podUid, 'volumes');
export const podDir = (stateDir: string, podUid: string): string => join(stateDir, 'pods', podUid);

/** Saves the record atomically (readable by root only: it holds the container's environment). */
export function saveRecord(stateDir: string, r: ContainerRecord): void {
  const dir = containerDir(stateDir, r.id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, 'state.json.tmp');
  writeFileSync(tmp, JSON.stringify(r), { mode: 0o600 });
  renameSync(tmp, join(dir, 'state.json'));
}

export function loadRecord(stateDir: string, id: string): ContainerRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(containerDir(stateDir, id), 'state.json'), 'utf8')) as ContainerRecord;
  } catch {
    return undefined;
  }
}

/** Every recorded container, and the ids of directories without a record (nothing was started for them). */
export function loadRecords(stateDir: string): { records: ContainerRecord[]; strays: string[] } {
  let ids: string[];
  try {
    ids = readdirSync(containersDir(stateDir));
  } catch {
    return { records: [], strays: [] };
  }
  const records: ContainerRecord[] = [];
  const strays: string[] = [];
  for (const id of ids) {
    const r = loadRecord(stateDir, id);
    if (r) records.push(r);
    else strays.push(id);
  }
  return { records, strays };
}

export function removeContainerDir(stateDir: string, id: string): void {
  rmSync(containerDir(stateDir, id), { recursive: true, force: true });
}
