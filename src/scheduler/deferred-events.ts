// Events that matter less than the work they report (a `Scheduled` event per pod: 5,000 in a
// rollout) are held back while that work is busy and written once the burst settles, or at most
// maxDelayMs later, so that they never compete with the bindings for the store.
import type { KObject } from '../api/object.js';
import type { EventRecorder } from '../client/events.js';

interface PendingEvent {
  obj: KObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DeferredEventsOptions {
  /** How often to look whether the burst is over. */
  checkMs: number;
  /** The longest an event waits. */
  maxDelayMs: number;
}

export class DeferredEvents {
  private pending: PendingEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private oldest = 0;

  constructor(
    private readonly recorder: EventRecorder,
    private readonly busy: () => boolean,
    private readonly opts: DeferredEventsOptions = { checkMs: 50, maxDelayMs: 1000 },
  ) {}

  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.pending.push({ obj, type, reason, message });
    if (this.timer) return;
    this.oldest = Date.now();
    this.arm();
  }

  /** Drops what has not been written (the component is stopping). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  private arm(): void {
    this.timer = setTimeout(() => this.tick(), this.opts.checkMs);
    this.timer.unref?.();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.busy() && Date.now() - this.oldest < this.opts.maxDelayMs) return this.arm();
    const batch = this.pending;
    this.pending = [];
    for (const e of batch) this.recorder.event(e.obj, e.type, e.reason, e.message);
  }
}
