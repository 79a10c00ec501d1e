// A scripted ContainerRuntime for testing the kubelet logic (src/agent/kubelet/) without real
// processes: every call is recorded, containers exit when a test says so (or after a scripted
// delay), exec answers come from a handler, and `preexisting` containers are what listRunning
// reports (as after an agent restart).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type {
  ContainerExit,
  ContainerHandle,
  ContainerRequest,
  ContainerRuntime,
  ExecResult,
  RunningContainer,
} from '../../src/agent/container-runtime.js';
import type { PodRuntimeStatus, PodSink } from '../../src/agent/runtime.js';

export interface FakeContainer {
  id: string;
  req: ContainerRequest;
  name: string;
  podUid: string;
  attempt: number;
  startedAtMs: number;
  exit?: ContainerExit;
  exited: Promise<ContainerExit>;
  finish(exit: Partial<ContainerExit> & { exitCode: number }): void;
}

/** What a started container does: exit after `exitAfterMs` with `exitCode` (default: runs until stopped). */
export interface Behaviour {
  exitAfterMs?: number;
  exitCode?: number;
  reason?: string;
  /** `start` rejects with this. */
  startError?: Error;
  /** What the runtime could not honour. */
  warnings?: string[];
}

export class FakeContainerRuntime implements ContainerRuntime {
  readonly name = 'fake';
  readonly version = '0.1.0';
  readonly containers: FakeContainer[] = [];
  readonly stops: Array<{ id: string; name: string; grace: number; at: number }> = [];
  readonly removed: string[] = [];
  readonly removedPods: string[] = [];
  readonly execs: Array<{ id: string; command: string[]; timeoutSeconds: number }> = [];
  preexisting: RunningContainer[] = [];
  listCalls = 0;
  /** Per container: what the next start does. */
  behaviour: (req: ContainerRequest) => Behaviour = () => ({});
  exec_: (c: FakeContainer | undefined, command: string[]) => Promise<ExecResult> | ExecResult = () => ({ exitCode: 0, output: '' });
  /** How long a stopped container takes to exit (ms). */
  stopDelayMs = 0;
  private seq = 0;
  private readonly adoptedExits = new Map<string, FakeContainer>();

  async check(): Promise<void> {}

  async start(req: ContainerRequest): Promise<ContainerHandle> {
    const b = this.behaviour(req);
    if (b.startError) throw b.startError;
    const id = `fake://${++this.seq}`;
    const c = this.track(id, req, req.container.name, req.pod.metadata!.uid!, req.attempt);
    if (b.exitAfterMs !== undefined) {
      setTimeout(() => c.finish({ exitCode: b.exitCode ?? 0, ...(b.reason ? { reason: b.reason } : {}) }), b.exitAfterMs);
    }
    return {
      id,
      startedAt: new Date().toISOString(),
      image: `docker.io/library/${req.container.image ?? 'none'}`,
      imageID: `sha256:${req.container.name}`,
      ...(b.warnings ? { warnings: b.warnings } : {}),
    };
  }

  wait(id: string): Promise<ContainerExit> {
    const c = this.find(id) ?? this.adoptedExits.get(id);
    if (!c) return Promise.reject(new Error(`no container ${id}`));
    return c.exited;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const c = this.find(id) ?? this.adoptedExits.get(id);
    this.stops.push({ id, name: c?.name ?? '?', grace: graceSeconds, at: Date.now() });
    if (!c || c.exit) return;
    await new Promise((r) => setTimeout(r, this.stopDelayMs));
    c.finish({ exitCode: 143, reason: 'Error' });
    await c.exited;
  }

  async exec(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult> {
    this.execs.push({ id, command, timeoutSeconds });
    return this.exec_(this.find(id), command);
  }

  async remove(id: string): Promise<void> {
    this.removed.push(id);
  }

  async removePod(podUid: string): Promise<void> {
    this.removedPods.push(podUid);
  }

  async listRunning(): Promise<RunningContainer[]> {
    this.listCalls++;
    for (const r of this.preexisting) {
      if (!this.adoptedExits.has(r.handle.id)) {
        const c = this.track(r.handle.id, undefined as never, r.containerName, r.podUid, r.attempt);
        this.adoptedExits.set(r.handle.id, c);
      }
    }
    return this.preexisting;
  }

  /** Containers of a container name, in start order (adopted ones included). */
  named(name: string): FakeContainer[] {
    return [...this.adoptedExits.values(), ...this.containers].filter((c) => c.name === name);
  }

  latest(name: string): FakeContainer | undefined {
    return this.named(name).at(-1);
  }

  running(): FakeContainer[] {
    return [...this.adoptedExits.values(), ...this.containers].filter((c) => !c.exit);
  }

  private find(id: string): FakeContainer | undefined {
    return this.containers.find((c) => c.id === id);
  }

  private track(id: string, req: ContainerRequest, name: string, podUid: string, attempt: number): FakeContainer {
    let resolve!: (e: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((r) => (resolve = r));
    const c: FakeContainer = {
      id,
      req,
      name,
      podUid,
      attempt,
      startedAtMs: Date.now(),
      exited,
      finish: (e) => {
        if (c.exit) return;
        c.exit = { reason: e.exitCode === 0 ? 'Completed' : 'Error', finishedAt: new Date().toISOString(), ...e };
        resolve(c.exit);
      },
    };
    if (req) this.containers.push(c);
    return c;
  }
}

/** A PodSink that keeps everything it is told. */
export class RecordingSink implements PodSink {
  readonly statuses: PodRuntimeStatus[] = [];
  readonly events: Array<{ type: string; reason: string; message: string }> = [];
  status(s: PodRuntimeStatus): void {
    this.statuses.push(structuredClone(s));
  }
  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
  get last(): PodRuntimeStatus | undefined {
    return this.statuses.at(-1);
  }
  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 3));
  }
}

export function testPod(spec: Partial<NonNullable<Pod['spec']>>, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', creationTimestamp: '2026-01-01T00:00:00Z', ...meta },
    spec: { nodeName: 'node-a', restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '1000'] }], ...spec },
    status: { phase: 'Pending' },
  };
}
