// How an exited container is reported: exit code and reason (Completed / Error / OOMKilled, or
// StartError when the init could not exec the command), the finish time, and the termination
// message.
import type { ContainerExit } from '../../container-runtime.js';
import { LABEL } from './container-identity.js';
import { initExecFailure } from './init-exec-failure.js';
import type { ContainerInfo } from './inspect.js';
import { logTail, readTail, terminationMessage } from './termination-message.js';

/** A container that is gone without trace (removed behind our back): what the kubelet reports then. */
export function unknownExit(): ContainerExit {
  return {
    exitCode: 137,
    reason: 'ContainerStatusUnknown',
    message: 'The container could not be located when the pod was terminated',
    finishedAt: new Date().toISOString(),
  };
}

export async function containerExit(info: ContainerInfo): Promise<ContainerExit> {
  const finishedAt = isoTime(info.finishedAt) ?? new Date().toISOString();
  const logPath = info.labels[LABEL.logPath];
  if (info.exitCode !== 0 && !info.oomKilled && logPath) {
    const failure = initExecFailure(logTail(await readTail(logPath, 4096), 3, 4096));
    if (failure) return { exitCode: 128, reason: 'StartError', message: failure, finishedAt };
  }
  const message =
    (await terminationMessage({
      file: info.labels[LABEL.terminationMessageFile],
      policy: info.labels[LABEL.terminationMessagePolicy] ?? 'File',
      exitCode: info.exitCode,
      logPath,
    })) ?? (info.error || undefined);
  return {
    exitCode: info.exitCode,
    reason: info.oomKilled ? 'OOMKilled' : info.exitCode === 0 ? 'Completed' : 'Error',
    finishedAt,
    ...(message !== undefined ? { message } : {}),
  };
}

/** An ISO time from the CLI's, undefined for the zero time ("0001-01-01...") or garbage. */
export function isoTime(s: string): string | undefined {
  if (s === '' || s.startsWith('0001-')) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
