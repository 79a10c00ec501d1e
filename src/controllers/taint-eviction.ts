// Taint-based eviction (upstream pkg/controller/tainteviction, daemonset-semantics.md §7.3): a pod
// bound to a node with NoExecute taints is deleted at once when it does not tolerate one of
// them, after its tolerationSeconds when it does, and never when its tolerations have no
// seconds (DaemonSet pods and not-ready/unreachable). Deadlines count from each taint's
// timeAdded, so a restarted controller keeps the same schedule.
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R } from '../client/client.js';
import type { EventRecorder } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { WorkQueue } from '../client/workqueue.js';
import { noExecute, tolerationSecondsFor } from '../placement/taints.js';
import type { Controller, ControllerContext } from './context.js';

const COMPONENT = 'taint-eviction-controller';
const WORKERS = 8;
const POD_NODE_INDEX = 'taint-eviction:nodeName';
/** Longer waits re-check the pod after a day (setTimeout cannot wait longer than ~24.8 days). */
const MAX_TIMER_MS = 24 * 3600 * 1000;

export function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter(noExecute);
}

function taintId(t: Taint): string {
  return `${t.key}\u0000${t.value ?? ''}`;
}

/**
 * When (epoch ms) a pod with these tolerations must leave a node with these NoExecute taints:
 * -Infinity when a taint is not tolerated or a used toleration allows 0 s; Infinity when no used
 * toleration has tolerationSeconds; else the earliest timeAdded + tolerationSeconds over the
 * taints. A taint without timeAdded counts from `firstSeen(taint)`.
 */
export function evictionTime(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined, firstSeen: (t: Taint) => number): number {
  let at = Infinity;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const seconds = tolerationSecondsFor([taint], tolerations);
    if (seconds === 0) return -Infinity;
    if (seconds === Infinity) continue;
    const added = Date.parse(taint.timeAdded ?? '');
    at = Math.min(at, (Number.isNaN(added) ? firstSeen(taint) : added) + seconds * 1000);
  }
  return at;
}

function isGone(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 404 || err.code === 409);
}

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction';
  private readonly nodes: Informer;
  private readonly pods: Informer;
  private readonly recorder: EventRecorder;
  private readonly queue: WorkQueue;
  /** Pending evictions by pod key: when, and the timer that will re-check the pod then. */
  private readonly scheduled = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  /** For NoExecute taints that carry no timeAdded: when this controller first saw them, per node. */
  private readonly firstSeen = new Map<string, Map<string, number>>();
  private started = false;

  constructor(private readonly ctx: ControllerContext) {
    this.recorder = ctx.recorder(COMPONENT);
    this.nodes = ctx.informers.for(R.nodes);
    this.pods = ctx.informers.for(R.pods);
    this.pods.addIndex(POD_NODE_INDEX, (p) => {
      const n = (p.spec as Pod['spec'])?.nodeName;
      return n ? [n] : [];
    });
    this.queue = new WorkQueue((key) => this.syncPod(key), { workers: WORKERS }, (key, err) =>
      ctx.log.warn({ err, pod: key }, 'taint eviction failed; retrying'),
    );
    this.nodes.on({
      add: (obj) => this.nodeChanged(obj as Node, undefined),
      update: (obj, old) => this.nodeChanged(obj as Node, old as Node),
      delete: (obj) => this.nodeChanged(undefined, obj as Node),
    });
    this.pods.on({
      add: (obj) => this.podChanged(obj, undefined),
      update: (obj, old) => this.podChanged(obj, old),
      delete: (obj) => {
        if (this.started && this.scheduled.has(keyOf(obj))) this.queue.add(keyOf(obj));
      },
    });
  }

  async start(): Promise<void> {
    this.started = true;
    for (const node of this.nodes.list()) this.nodeChanged(node as Node, undefined);
  }

  stop(): void {
    this.started = false;
    this.queue.stop();
    for (const s of this.scheduled.values()) clearTimeout(s.timer);
    this.scheduled.clear();
  }

  private nodeChanged(node: Node | undefined, old: Node | undefined): void {
    const name = (node ?? old)!.metadata!.name!;
    const taints = noExecuteTaints(node);
    this.rememberFirstSeen(name, taints);
    if (!this.started) return;
    const before = noExecuteTaints(old);
    if (JSON.stringify(taints) === JSON.stringify(before)) return;
    for (const pod of this.pods.byIndex(POD_NODE_INDEX, name)) this.queue.add(keyOf(pod));
  }

  private rememberFirstSeen(nodeName: string, taints: Taint[]): void {
    const untimed = taints.filter((t) => !t.timeAdded);
    if (untimed.length === 0) {
      this.firstSeen.delete(nodeName);
      return;
    }
    const before = this.firstSeen.get(nodeName);
    const now = this.ctx.now().getTime();
    this.firstSeen.set(nodeName, new Map(untimed.map((t) => [taintId(t), before?.get(taintId(t)) ?? now])));
  }

  private podChanged(obj: KObject, old: KObject | undefined): void {
    if (!this.started) return;
    const spec = obj.spec as Pod['spec'];
    if (!spec?.nodeName) return;
    const oldSpec = old?.spec as Pod['spec'];
    if (old && oldSpec?.nodeName === spec.nodeName && JSON.stringify(oldSpec?.tolerations) === JSON.stringify(spec.tolerations)) return;
    const key = keyOf(obj);
    // The common case (a pod bound to a healthy node) needs no work.
    if (noExecuteTaints(this.nodes.get(spec.nodeName) as Node | undefined).length === 0 && !this.scheduled.has(key)) return;
    this.queue.add(key);
  }

  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.get(key) as Pod | undefined;
    const nodeName = pod?.spec?.nodeName;
    // Already terminating pods are left to finish.
    if (!pod || !nodeName || pod.metadata?.deletionTimestamp) return this.cancel(key, !pod?.metadata?.deletionTimestamp);
    const taints = noExecuteTaints(this.nodes.get(nodeName) as Node | undefined);
    const firstSeen = this.firstSeen.get(nodeName);
    const now = this.ctx.now().getTime();
    const at = evictionTime(taints, pod.spec?.tolerations, (t) => firstSeen?.get(taintId(t)) ?? now);
    if (at === Infinity) return this.cancel(key, true);
    if (at <= now) {
      this.cancel(key, false);
      return this.evict(pod);
    }
    const current = this.scheduled.get(key);
    if (current?.at === at) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      this.queue.add(key);
    }, Math.min(at - now, MAX_TIMER_MS));
    this.scheduled.set(key, { at, timer });
  }

  /** Drops a pending eviction; says so on the pod when asked and one was pending. */
  private cancel(key: string, withEvent: boolean): void {
    const s = this.scheduled.get(key);
    if (!s) return;
    clearTimeout(s.timer);
    this.scheduled.delete(key);
    if (!withEvent) return;
    const [namespace, name] = key.split('/');
    this.recorder.event(
      { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, uid: this.pods.get(key)?.metadata.uid } },
      'Normal',
      'TaintManagerEviction',
      `Cancelling deletion of Pod ${key}`,
    );
  }

  /** Marks the pod as a disruption target, then deletes it (with its own grace period). */
  private async evict(pod: Pod): Promise<void> {
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    this.recorder.event({ ...(pod as KObject), apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
    try {
      const target = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
      if (target?.status !== 'True' || target.reason !== 'DeletionByTaintManager') {
        const condition = {
          type: 'DisruptionTarget',
          status: 'True',
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
          lastTransitionTime: this.ctx.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        };
        await this.ctx.client.patch(R.pods, namespace, name, 'strategic', { status: { conditions: [condition] } }, 'status');
      }
      await this.ctx.client.delete(R.pods, namespace, name, { preconditions: { uid: pod.metadata!.uid } });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
}
