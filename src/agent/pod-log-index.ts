// Which log file `kubectl logs` means. The agent's PodRuntime is wrapped by this index, which
// remembers every pod it runs (API pods and static pods alike) with the latest container reports,
// and answers the log server (log-server.ts) the way the kubelet picks a container's log from
// the pod's status: the current run (`restartCount`), or for a container waiting to be
// restarted the run that just ended; `--previous` is the run before the current one, and for a
// crash-looping container the one that just ended. Files are laid out by log-paths.ts.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { containerLogPath } from './kubelet/log-paths.js';
import { logMessages, type LogLocator, type LogSource } from './log-server.js';
import type { ContainerReport, PodRuntime, PodRuntimeStatus, PodSink } from './runtime.js';

interface Tracked {
  pod: Pod;
  status?: PodRuntimeStatus;
  stopping: boolean;
  /** Start order, so that of two pods with one name (one stopping) the newer wins. */
  seq: number;
}

export class PodLogIndex implements PodRuntime, LogLocator {
  readonly name: string;
  readonly version: string;
  private readonly pods = new Map<string, Tracked>();
  /** Log files a running container is writing. */
  private readonly live = new Set<string>();
  private seq = 0;

  constructor(
    private readonly inner: PodRuntime,
    private readonly logDir: string,
  ) {
    this.name = inner.name;
    this.version = inner.version;
  }

  /** The pods being run (or stopped). */
  running(): Pod[] {
    return [...this.pods.values()].map((t) => t.pod);
  }

  startPod(pod: Pod, sink: PodSink): void {
    const uid = pod.metadata!.uid!;
    if (!this.pods.has(uid)) this.pods.set(uid, { pod, stopping: false, seq: this.seq++ });
    const t = this.pods.get(uid)!;
    this.inner.startPod(pod, {
      status: (s) => {
        this.forgetLive(t);
        t.status = s;
        for (const path of this.livePaths(t)) this.live.add(path);
        sink.status(s);
      },
      event: (type, reason, message) => sink.event(type, reason, message),
    });
  }

  async stopPod(uid: string, graceSeconds: number): Promise<PodRuntimeStatus> {
    const t = this.pods.get(uid);
    if (t) t.stopping = true;
    try {
      return await this.inner.stopPod(uid, graceSeconds);
    } finally {
      if (t && this.pods.get(uid) === t) {
        this.forgetLive(t);
        this.pods.delete(uid);
      }
    }
  }

  find(namespace: string, podName: string, container: string, previous: boolean): LogSource {
    let t: Tracked | undefined;
    for (const c of this.pods.values()) {
      const m = c.pod.metadata!;
      if (m.namespace !== namespace || m.name !== podName) continue;
      if (!t || (t.stopping && !c.stopping) || (t.stopping === c.stopping && c.seq > t.seq)) t = c;
    }
    if (!t) return { notFound: logMessages.podNotFound(podName) };
    const spec = t.pod.spec!;
    const known = [...(spec.initContainers ?? []), ...spec.containers, ...(spec.ephemeralContainers ?? [])].some((c) => c.name === container);
    if (!known) return { notFound: logMessages.containerNotFound(container, podName) };
    const report = [...(t.status?.initContainers ?? []), ...(t.status?.containers ?? [])].find((r) => r.name === container);
    const attempt = logAttempt(report, previous);
    if (typeof attempt === 'string') {
      return { unavailable: attempt === 'no-previous' ? logMessages.noPrevious(container, podName) : logMessages.waiting(container, podName, attempt) };
    }
    return { path: containerLogPath(this.logDir, t.pod, container, attempt) };
  }

  writing(path: string): boolean {
    return this.live.has(path);
  }

  private livePaths(t: Tracked): string[] {
    const reports = [...(t.status?.initContainers ?? []), ...(t.status?.containers ?? [])];
    return reports.filter((r) => r.state.running).map((r) => containerLogPath(this.logDir, t.pod, r.name, r.restartCount));
  }

  private forgetLive(t: Tracked): void {
    for (const path of this.livePaths(t)) this.live.delete(path);
  }
}

/**
 * The run (attempt number) whose log to show, from the container's report; or why there is none:
 * `no-previous`, or the waiting reason of a container that never ran.
 */
export function logAttempt(report: ContainerReport | undefined, previous: boolean): number | string {
  if (!report) return previous ? 'no-previous' : 'ContainerCreating';
  const n = report.restartCount;
  const waiting = report.state.waiting;
  const lastRun = report.lastState?.terminated?.containerID ? report.lastState.terminated : undefined;
  if (previous) {
    if (!lastRun) return 'no-previous';
    // Waiting to be restarted: the run that just ended is both the current and the previous one.
    return waiting ? n : Math.max(0, n - 1);
  }
  if (report.state.running) return n;
  if (report.state.terminated) return report.state.terminated.containerID ? n : lastRun ? Math.max(0, n - 1) : 'ContainerCreating';
  if (lastRun) return n;
  return waiting?.reason || 'ContainerCreating';
}
