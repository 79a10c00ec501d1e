// The default scheduler: takes unbound pods of `default-scheduler` from a priority queue, picks a
// node (schedule.ts), counts the pod there at once ("assumes" it) and binds it through
// pods/binding in the background, many bindings in flight. A pod that fits nowhere stays Pending
// with PodScheduled=False and a FailedScheduling event saying why per node; it may preempt
// lower-priority pods (preemption.ts) and is retried, after its back-off, whenever a node or a
// bound pod changes.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../api/errors.js';
import { jsonEqual, type KObject } from '../api/object.js';
import { R } from '../client/client.js';
import type { EventRecorder } from '../client/events.js';
import type { Informer } from '../client/informer.js';
import type { Controller, ControllerContext } from '../controllers/context.js';
import { DeferredEvents } from './deferred-events.js';
import { NodeState } from './node-state.js';
import { clearNominationPatch, preemptedPatch, unschedulablePatch, type Nomination, type UnschedulableReason } from './pod-status.js';
import { DEFAULT_SCHEDULER_NAME, isTerminal, needsScheduling, podKey, podPriority } from './pods.js';
import { preempt } from './preemption.js';
import { DEFAULT_QUEUE_OPTIONS, SchedulingQueue, type SchedulingQueueOptions } from './queue.js';
import { schedulePod, unschedulableMessage, type Unschedulable } from './schedule.js';

export interface SchedulerOptions {
  queue?: SchedulingQueueOptions;
  /** [0, 1) source for tie-breaking and the preemption dry-run offset. */
  random?: () => number;
}

/** How long one turn of the scheduling loop may run before it lets I/O through. */
const SLICE_MS = 10;
/** How often unschedulable pods that nothing moved are looked at (upstream: 30 s). */
const LEFTOVER_FLUSH_MS = 30_000;
/** Event messages are cut to this length (upstream's NoteLengthLimit). */
const NOTE_LENGTH_LIMIT = 1024;

function truncate(message: string): string {
  return message.length <= NOTE_LENGTH_LIMIT ? message : `${message.slice(0, NOTE_LENGTH_LIMIT - 4)} ...`;
}

function asObject(pod: Pod): KObject {
  return { ...(pod as KObject), apiVersion: pod.apiVersion ?? 'v1', kind: pod.kind ?? 'Pod' };
}

function errorCode(err: unknown): number | undefined {
  return err instanceof ApiError ? err.code : undefined;
}

/** What about a node decides where pods fit (not heartbeats or conditions). */
function placementChanged(node: Node, old: Node): boolean {
  return (
    !jsonEqual(node.metadata?.labels, old.metadata?.labels) ||
    !jsonEqual(node.spec?.taints, old.spec?.taints) ||
    (node.spec?.unschedulable ?? false) !== (old.spec?.unschedulable ?? false) ||
    !jsonEqual(node.status?.allocatable, old.status?.allocatable)
  );
}

/** The pod itself changed, not only its status (upstream's isPodUpdated). */
function podChanged(pod: Pod, old: Pod): boolean {
  return (
    !jsonEqual(pod.spec, old.spec) ||
    !jsonEqual(pod.metadata?.labels, old.metadata?.labels) ||
    !jsonEqual(pod.metadata?.annotations, old.metadata?.annotations)
  );
}

/** A pod that holds room on a node: bound and not finished. */
function holdsRoom(pod: Pod): boolean {
  return !!pod.spec?.nodeName && !isTerminal(pod);
}

export class Scheduler implements Controller {
  readonly name = 'scheduler';
  private readonly state = new NodeState();
  private readonly queue: SchedulingQueue;
  private readonly pods: Informer;
  private readonly recorder: EventRecorder;
  private readonly scheduledEvents: DeferredEvents;
  private readonly random: () => number;
  private started = false;
  private stopped = false;
  private turnPending = false;
  private nextStartIndex = 0;
  private bindsInFlight = 0;
  private leftoverTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    opts: SchedulerOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
    this.queue = new SchedulingQueue(() => this.wake(), opts.queue ?? DEFAULT_QUEUE_OPTIONS);
    this.recorder = ctx.recorder(DEFAULT_SCHEDULER_NAME);
    this.scheduledEvents = new DeferredEvents(this.recorder, () => this.bindsInFlight > 0);
    this.pods = ctx.informers.for(R.pods);
    this.pods.on({
      add: (obj) => this.onPod(obj as Pod),
      update: (obj, old) => this.onPod(obj as Pod, old as Pod),
      delete: (obj) => this.onPodDeleted(obj as Pod),
    });
    ctx.informers.for(R.nodes).on({
      add: (obj) => {
        this.state.setNode(obj as Node);
        this.queue.moveAll();
      },
      update: (obj, old) => {
        this.state.setNode(obj as Node);
        if (placementChanged(obj as Node, old as Node)) this.queue.moveAll();
      },
      delete: (obj) => this.state.deleteNode(obj.metadata.name!),
    });
  }

  async start(): Promise<void> {
    this.started = true;
    this.leftoverTimer = setInterval(() => this.queue.flushLeftovers(), LEFTOVER_FLUSH_MS);
    this.leftoverTimer.unref?.();
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.leftoverTimer);
    this.queue.stop();
    this.scheduledEvents.stop();
  }

  // --- informer events ---------------------------------------------------------------------

  private onPod(pod: Pod, old?: Pod): void {
    if (this.stopped) return;
    this.state.setPod(pod);
    const key = podKey(pod);
    if (!needsScheduling(pod)) this.queue.remove(key);
    else if (old && podChanged(pod, old)) this.queue.podChanged(key, podPriority(pod));
    else this.queue.add(key, podPriority(pod));
    // A pod that finished frees its room.
    if (old && holdsRoom(old) && !holdsRoom(pod)) this.queue.moveAll();
  }

  private onPodDeleted(pod: Pod): void {
    if (this.stopped) return;
    this.state.deletePod(pod);
    this.queue.remove(podKey(pod));
    if (holdsRoom(pod)) this.queue.moveAll();
  }

  // --- the scheduling loop -----------------------------------------------------------------

  private wake(): void {
    if (!this.started || this.stopped || this.turnPending) return;
    this.turnPending = true;
    setImmediate(() => this.turn());
  }

  /** Schedules pods for one time slice; decisions are synchronous, bindings are not awaited. */
  private turn(): void {
    this.turnPending = false;
    const deadline = performance.now() + SLICE_MS;
    while (!this.stopped) {
      const key = this.queue.pop();
      if (key === undefined) return;
      this.scheduleOne(key);
      if (performance.now() >= deadline) return this.wake();
    }
  }

  private scheduleOne(key: string): void {
    const pod = this.pods.get(key) as Pod | undefined;
    if (!pod || !needsScheduling(pod) || this.state.isAssumed(key)) return this.queue.done(key);
    const result = schedulePod(pod, this.state, { startIndex: this.nextStartIndex, random: this.random });
    const numNodes = this.state.nodeNames.length;
    if (numNodes) this.nextStartIndex = (this.nextStartIndex + result.evaluated) % numNodes;
    if (result.kind === 'scheduled') {
      this.state.assume(pod, result.node);
      this.queue.done(key);
      void this.bind(pod, result.node);
      return;
    }
    this.queue.unschedulable(key, podPriority(pod));
    this.onUnschedulable(pod, result);
  }

  /** Tries preemption, then says why the pod stays Pending. */
  private onUnschedulable(pod: Pod, failure: Unschedulable): void {
    let nomination: Nomination;
    let postFilterMessage: string | undefined;
    if (failure.numAllNodes === 0) {
      nomination = null;
    } else {
      const outcome = preempt(pod, this.state, failure, { offset: Math.floor(this.random() * failure.numAllNodes) });
      if (outcome.kind === 'preempt') {
        nomination = outcome.node;
        this.state.nominate(pod, outcome.node);
        for (const p of outcome.demoted) this.state.unnominate(podKey(p));
        void this.evict(pod, outcome.node, outcome.victims, outcome.demoted);
      } else {
        postFilterMessage = `preemption: ${outcome.message}`;
        if (outcome.kind === 'failed') {
          nomination = null;
          this.state.unnominate(podKey(pod));
        }
      }
    }
    this.reportFailure(pod, 'Unschedulable', unschedulableMessage(failure, postFilterMessage), nomination);
  }

  // --- side effects ------------------------------------------------------------------------

  private async bind(pod: Pod, node: string): Promise<void> {
    const namespace = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    this.bindsInFlight++;
    try {
      await this.ctx.client.createSubresource(R.pods, namespace, name, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      this.scheduledEvents.event(asObject(pod), 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (err) {
      this.state.forget(pod);
      if (this.stopped) return;
      // The room it held is free again.
      this.queue.moveAll();
      const key = podKey(pod);
      const code = errorCode(err);
      if (code === 404) return this.queue.remove(key);
      // 409: bound already or being deleted; the informer will tell whether it still needs a node.
      this.queue.backoff(key, podPriority(pod));
      if (code === 409) return;
      this.ctx.log.warn({ err, pod: key, node }, 'binding failed');
      this.reportFailure(pod, 'SchedulerError', err instanceof Error ? err.message : String(err), null);
    } finally {
      this.bindsInFlight--;
    }
  }

  /** FailedScheduling event and PodScheduled=False condition (with the nominated node). */
  private reportFailure(pod: Pod, reason: UnschedulableReason, message: string, nomination: Nomination): void {
    this.recorder.event(asObject(pod), 'Warning', 'FailedScheduling', truncate(message));
    const patch = unschedulablePatch(pod, reason, message, nomination, this.ctx.now());
    if (patch) void this.patchStatus(pod, patch);
  }

  private async patchStatus(pod: Pod, patch: object): Promise<void> {
    try {
      await this.ctx.client.patch(R.pods, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', patch, 'status');
    } catch (err) {
      if (errorCode(err) !== 404) this.ctx.log.warn({ err, pod: podKey(pod) }, 'could not update pod status');
    }
  }

  /** Deletes the victims (gracefully) and takes the nomination from lower-priority pods on the node. */
  private async evict(preemptor: Pod, node: string, victims: Pod[], demoted: Pod[]): Promise<void> {
    const results = await Promise.all(victims.map((v) => this.evictOne(preemptor, node, v)));
    await Promise.all(demoted.map((p) => this.patchStatus(p, clearNominationPatch)));
    // Could not evict everything: try again (after the back-off) rather than wait for a change.
    if (results.includes(false) && !this.stopped) this.queue.podChanged(podKey(preemptor), podPriority(preemptor));
  }

  private async evictOne(preemptor: Pod, node: string, victim: Pod): Promise<boolean> {
    // Already terminating: nothing to ask for.
    if (victim.metadata?.deletionTimestamp) return true;
    const namespace = victim.metadata!.namespace!;
    const name = victim.metadata!.name!;
    try {
      await this.ctx.client.patch(R.pods, namespace, name, 'strategic', preemptedPatch(DEFAULT_SCHEDULER_NAME, this.ctx.now()), 'status');
      await this.ctx.client.delete(R.pods, namespace, name, { preconditions: { uid: victim.metadata!.uid } });
    } catch (err) {
      if (errorCode(err) === 404) return true;
      this.ctx.log.warn({ err, pod: podKey(victim), preemptor: podKey(preemptor) }, 'could not preempt pod');
      return false;
    }
    this.recorder.event(asObject(victim), 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid ?? ''} on node ${node}`);
    return true;
  }
}
