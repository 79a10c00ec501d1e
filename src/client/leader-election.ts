// Leader election through a coordination.k8s.io Lease, as upstream's controllers do it: the
// holder renews; others take over once renewTime + leaseDurationSeconds has passed. A server
// restarted with the same identity (same host and data dir) takes its own lease back at once.
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R, type Client } from './client.js';

export interface LeaderElectionOptions {
  client: Client;
  name: string;
  namespace: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewEveryMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

function microTime(d = new Date()): string {
  return d.toISOString().replace('Z', '000Z');
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopped = false;

  constructor(private readonly o: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops renewing; a leader releases the lease so another server can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.o.client.get(R.leases, this.o.namespace, this.o.name);
      const spec = lease.spec as Record<string, unknown>;
      if (spec.holderIdentity === this.o.identity) {
        await this.o.client.update(R.leases, this.o.namespace, { ...lease, spec: { ...spec, holderIdentity: '', renewTime: microTime(new Date(0)) } });
      }
    } catch {
      // the lease expires by itself
    }
  }

  private get duration(): number {
    return this.o.leaseDurationSeconds ?? 15;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch {
      ok = false;
    }
    if (this.stopped) return;
    if (ok && !this.leading) {
      this.leading = true;
      this.o.onStartedLeading();
    } else if (!ok && this.leading) {
      this.leading = false;
      this.o.onStoppedLeading();
    }
    this.timer = setTimeout(() => void this.tick(), this.o.renewEveryMs ?? 2000);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const mine = { holderIdentity: this.o.identity, leaseDurationSeconds: this.duration, renewTime: microTime(now) };
    let lease: KObject;
    try {
      lease = await this.o.client.get(R.leases, this.o.namespace, this.o.name);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
      await this.o.client.create(R.leases, this.o.namespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.name, namespace: this.o.namespace },
        spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
      });
      return true;
    }
    const spec = (lease.spec ?? {}) as { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number; leaseTransitions?: number; acquireTime?: string };
    const held = spec.holderIdentity && spec.holderIdentity !== this.o.identity;
    const expires = Date.parse(spec.renewTime ?? '') + (spec.leaseDurationSeconds ?? this.duration) * 1000;
    if (held && expires > now.getTime()) return false;
    const takeover = spec.holderIdentity !== this.o.identity;
    await this.o.client.update(R.leases, this.o.namespace, {
      ...lease,
      spec: {
        ...spec,
        ...mine,
        acquireTime: takeover ? microTime(now) : spec.acquireTime,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover && spec.holderIdentity ? 1 : 0),
      },
    });
    return true;
  }
}
