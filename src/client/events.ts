// Records core/v1 Events about objects, as upstream's event recorder does: repeats of the same
// event (same object, type, reason and message) bump `count` and `lastTimestamp` on the
// existing Event instead of creating a new one. Recording never blocks or fails the caller.
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R, type Client } from './client.js';

const REMEMBERED = 4096;

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder {
  private readonly seen = new Map<string, { namespace: string; name: string; count: number }>();

  constructor(
    private readonly client: Client,
    private readonly component: string,
    private readonly host?: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.record(obj, type, reason, message).catch(this.onError);
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
      involvedObject: { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion },
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
