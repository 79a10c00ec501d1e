// Where container logs live under the agent's log directory, laid out as the kubelet lays out
// /var/log/pods: `<namespace>_<name>_<uid>/<container>/<restartCount>.log` (CRI format). The
// logs endpoint reads the same paths: the current attempt, and the one before for `--previous`.
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';

export function podLogDir(logDir: string, pod: Pod): string {
  const m = pod.metadata ?? {};
  return path.join(logDir, `${m.namespace ?? ''}_${m.name ?? ''}_${m.uid ?? ''}`);
}

export function containerLogPath(logDir: string, pod: Pod, container: string, attempt: number): string {
  return path.join(podLogDir(logDir, pod), container, `${attempt}.log`);
}
