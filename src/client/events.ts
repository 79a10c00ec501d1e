// Records core/v1 Events about objects, as upstream's event recorder does: repeats of the same
// event (same object, type, reason and message) bump `count` and `lastTimestamp` on the
// existing Event instead of creating a new one. Recording never blocks or fails the caller.
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R, type Client } from './client.js';

const REMEMBERED = 4096;
/** Upstream's spam filter: 25 events per source and object at once, then one per 5 minutes. */
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 5 * 60 * 1000;

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder {
  private readonly seen = new Map<string, { namespace: string; name: string; count: number }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly client: Client,
    private readonly component: string,
    private readonly host?: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (!this.allowed(obj)) return;
    void this.record(obj, type, reason, message).catch(this.onError);
  }

  /** Takes a token from the object's bucket; a 5,000-pod rollout must not write 5,000 events. */
  private allowed(obj: KObject): boolean {
    const key = obj.metadata.uid ?? `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: SPAM_BURST, at: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (now - b.at) / SPAM_REFILL_MS);
    b.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > REMEMBERED) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async record(obj: KObject, type: string, reason: string, message: string): Promise<void> {
    const m = obj.metadata;
    const key = `${m.uid}|${type}|${reason}|${message}`;
    const namespace = m.namespace || 'default';
    const prior = this.seen.get(key);
    const ts = now();
    if (prior) {
      prior.count++;
      this.seen.delete(key);
      this.seen.set(key, prior); // most recently used last
      try {
        await this.client.patch(R.events, prior.namespace, prior.name, 'merge', { count: prior.count, lastTimestamp: ts });
        return;
      } catch (err) {
        // The Event expired (events live an hour): record it afresh.
        if (!(err instanceof ApiError && err.code === 404)) throw err;
        this.seen.delete(key);
      }
    }
    const name = `${m.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
    this.seen.set(key, { namespace, name, count: 1 });
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    await this.client.create(R.events, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: Object.fromEntries(
        Object.entries({ kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion }).filter(
          ([, v]) => v !== undefined,
        ),
      ),
      reason,
      message,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
    });
  }
}
