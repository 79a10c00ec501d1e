// The simulated runtime: nothing runs, but pods go through the states a container runtime would
// report. After `readyDelayMs` the sandbox exists, init containers have completed and the
// containers run and are ready. An image whose tag is `non-existent` cannot be pulled: its
// container waits in ErrImagePull, then ImagePullBackOff, retried with the kubelet's image
// back-off (10 s doubling to 5 min), so the pod stays Pending and never Ready. Stopping takes
// `stopDelayMs` (at most the grace period) and the containers exit 0.
import { createHash, randomBytes } from 'node:crypto';
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { normalizeImage, parseImageRef } from '../image-ref.js';
import { rfc3339 } from '../node-status.js';
import type { ContainerReport, PodRuntime, PodRuntimeStatus, PodSink } from '../runtime.js';

export const UNPULLABLE_TAG = 'non-existent';

export interface SimulatedRuntimeOptions {
  readyDelayMs: number;
  /** How long stopping a pod takes, capped by its grace period (default 100 ms). */
  stopDelayMs?: number;
  /** The pod's address once its sandbox exists (not asked for host-network pods). */
  podIP(pod: Pod): string;
}

/** ErrImagePull turns into ImagePullBackOff this long after the failed pull. */
const BACKOFF_REPORT_MS = 1000;
const IMAGE_BACKOFF_BASE_MS = 10_000;
const IMAGE_BACKOFF_MAX_MS = 300_000;

interface SimPod {
  pod: Pod;
  sink: PodSink;
  status: PodRuntimeStatus;
  timer: NodeJS.Timeout | undefined;
  pullFailures: number;
}

function isUnpullable(image: string | undefined): boolean {
  return parseImageRef(image ?? '').tag === UNPULLABLE_TAG;
}

function imageID(image: string): string {
  const ref = parseImageRef(image);
  const digest = ref.digest ?? `sha256:${createHash('sha256').update(normalizeImage(image)).digest('hex')}`;
  return `${ref.repository}@${digest}`;
}

function pullError(image: string): string {
  const full = normalizeImage(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found`;
}

function running(c: Container, startedAt: string): ContainerReport {
  const image = c.image ?? '';
  return {
    name: c.name,
    state: { running: { startedAt } },
    ready: true,
    started: true,
    restartCount: 0,
    image: normalizeImage(image),
    imageID: imageID(image),
    containerID: `simulated://${randomBytes(32).toString('hex')}`,
  };
}

function completed(c: Container, at: string): ContainerReport {
  const r = running(c, at);
  return { ...r, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: r.containerID } }, ready: true, started: false };
}

function waiting(c: Container, reason: string, message: string): ContainerReport {
  return { name: c.name, state: { waiting: { reason, message } }, ready: false, started: false, restartCount: 0, image: c.image ?? '', imageID: '' };
}

function stopped(r: ContainerReport, at: string): ContainerReport {
  const run = r.state.running;
  if (!run) return r;
  return {
    ...r,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: run.startedAt, finishedAt: at, containerID: r.containerID } },
    ready: false,
    started: false,
  };
}

function fromStatus(s: ContainerStatus): ContainerReport {
  return { name: s.name, state: s.state ?? {}, ready: s.ready, started: s.started ?? false, restartCount: s.restartCount, image: s.image, imageID: s.imageID, containerID: s.containerID };
}

/** A pod this runtime already ran (before an agent restart): every container running under it. */
function adoptable(pod: Pod): PodRuntimeStatus | undefined {
  const st = pod.status;
  const statuses = st?.containerStatuses ?? [];
  const ours = (s: ContainerStatus): boolean => !!s.containerID?.startsWith('simulated://');
  const all = pod.spec!.containers.every((c) => statuses.some((s) => s.name === c.name && s.state?.running && ours(s)));
  if (st?.phase !== 'Running' || !all) return undefined;
  return {
    sandboxReady: true,
    ...(st.podIP && !pod.spec!.hostNetwork ? { podIP: st.podIP } : {}),
    initContainers: (st.initContainerStatuses ?? []).filter((s) => !s.state?.waiting).map(fromStatus),
    containers: statuses.map(fromStatus),
  };
}

export class SimulatedRuntime implements PodRuntime {
  readonly name = 'simulated';
  readonly version = '1.0';
  private readonly pods = new Map<string, SimPod>();

  constructor(private readonly o: SimulatedRuntimeOptions) {}

  get size(): number {
    return this.pods.size;
  }

  startPod(pod: Pod, sink: PodSink): void {
    const uid = pod.metadata!.uid!;
    if (this.pods.has(uid)) return;
    const adopted = adoptable(pod);
    const p: SimPod = { pod, sink, status: adopted ?? { sandboxReady: false, initContainers: [], containers: [] }, timer: undefined, pullFailures: 0 };
    this.pods.set(uid, p);
    sink.status(p.status);
    if (!adopted) p.timer = setTimeout(() => this.createContainers(p), this.o.readyDelayMs);
  }

  stopPod(uid: string, graceSeconds: number): Promise<PodRuntimeStatus> {
    const p = this.pods.get(uid);
    if (!p) return Promise.resolve({ sandboxReady: false, initContainers: [], containers: [] });
    clearTimeout(p.timer);
    this.pods.delete(uid);
    const delay = Math.min(Math.max(graceSeconds, 0) * 1000, this.o.stopDelayMs ?? 100);
    return new Promise((resolve) => {
      const finish = (): void => {
        const at = rfc3339(new Date());
        resolve({
          sandboxReady: false,
          ...(p.status.podIP ? { podIP: p.status.podIP } : {}),
          initContainers: p.status.initContainers.map((r) => stopped(r, at)),
          containers: p.status.containers.map((r) => stopped(r, at)),
        });
      };
      if (delay <= 0) finish();
      else setTimeout(finish, delay);
    });
  }

  /** Sandbox, then init containers in order, then the containers; the first unpullable image stops the way. */
  private createContainers(p: SimPod): void {
    p.timer = undefined;
    const spec = p.pod.spec!;
    const at = rfc3339(new Date());
    const init: ContainerReport[] = [];
    const containers: ContainerReport[] = [];
    let blockedIn: 'init' | 'containers' | undefined;
    for (const c of spec.initContainers ?? []) {
      if (isUnpullable(c.image)) {
        blockedIn = 'init';
        break;
      }
      init.push(c.restartPolicy === 'Always' ? running(c, at) : completed(c, at));
    }
    if (!blockedIn) {
      for (const c of spec.containers) {
        if (isUnpullable(c.image)) blockedIn = 'containers';
        else containers.push(running(c, at));
      }
    }
    p.status = {
      sandboxReady: true,
      ...(spec.hostNetwork ? {} : { podIP: this.o.podIP(p.pod) }),
      initContainers: init,
      containers,
    };
    if (blockedIn) this.failPulls(p, blockedIn === 'init');
    else p.sink.status(p.status);
  }

  /** One failed pull of every unpullable image that is in the way, then back-off until the next try. */
  private failPulls(p: SimPod, init: boolean): void {
    if (!this.pods.has(p.pod.metadata!.uid!)) return;
    const specs = init ? (p.pod.spec!.initContainers ?? []) : p.pod.spec!.containers;
    // Init containers start one at a time: only the first unpullable one is tried.
    const failing = specs.filter((c) => isUnpullable(c.image)).slice(0, init ? 1 : undefined);
    const names = new Set(failing.map((c) => c.name));
    const report = (reason: string, message: (c: Container) => string): void => {
      const replace = (rs: ContainerReport[]): ContainerReport[] => [...rs.filter((r) => !names.has(r.name)), ...failing.map((c) => waiting(c, reason, message(c)))];
      p.status = init ? { ...p.status, initContainers: replace(p.status.initContainers) } : { ...p.status, containers: replace(p.status.containers) };
      p.sink.status(p.status);
    };
    for (const c of failing) {
      p.sink.event('Normal', 'Pulling', `Pulling image "${c.image}"`);
      p.sink.event('Warning', 'Failed', `Failed to pull image "${c.image}": ${pullError(c.image!)}`);
      p.sink.event('Warning', 'Failed', 'Error: ErrImagePull');
    }
    report('ErrImagePull', (c) => pullError(c.image!));
    const backoff = Math.min(IMAGE_BACKOFF_BASE_MS * 2 ** p.pullFailures, IMAGE_BACKOFF_MAX_MS);
    p.pullFailures++;
    p.timer = setTimeout(() => {
      for (const c of failing) {
        p.sink.event('Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        p.sink.event('Warning', 'Failed', 'Error: ImagePullBackOff');
      }
      report('ImagePullBackOff', (c) => `Back-off pulling image "${c.image}": ErrImagePull: ${pullError(c.image!)}`);
      p.timer = setTimeout(() => this.failPulls(p, init), Math.max(backoff - BACKOFF_REPORT_MS, 0));
    }, BACKOFF_REPORT_MS);
  }
}
