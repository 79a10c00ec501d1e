// A registered node's heartbeats, as the kubelet sends them: the node Lease renewed every 10 s
// (the cheap heartbeat node lifecycle watches), and the conditions' lastHeartbeatTime refreshed
// in the Node status every minute. Many nodes in one process spread their writes: each starts
// its cycles at a random point of the interval. Failed writes are retried with back-off
// (200 ms doubling to 7 s, as upstream), and after a failure the Node is read again before its
// status is written, since node lifecycle may have marked it Unknown meanwhile. A real host
// reports its pressure conditions from measurements; `refresh()` writes them at once when they
// change.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R, type Client } from '../client/client.js';
import { microTime, NODE_LEASE_NAMESPACE, newNodeLease, renewedNodeLease } from './node-lease.js';
import { NO_PRESSURE, nodeConditions, rfc3339, type NodePressure } from './node-status.js';

export interface HeartbeatOptions {
  client: Client;
  log: Logger;
  renewIntervalMs?: number;
  statusIntervalMs?: number;
  /** Start each cycle at a random point of its interval (many nodes in one process). */
  spread?: boolean;
  /** What the node is short of now (default: nothing, as a simulated node). */
  pressure?: () => NodePressure;
}

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 7000;

function retryDelay(failures: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** (failures - 1), RETRY_MAX_MS);
}

function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export class NodeHeartbeat {
  private lease: Lease | undefined;
  private leaseFailures = 0;
  private statusFailures = 0;
  /** The Node must be read again before its status is written. */
  private nodeStale = false;
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private statusInFlight = false;
  /** A refresh was asked for while one was in flight. */
  private statusAgain = false;
  private stopped = false;
  private readonly renewMs: number;
  private readonly statusMs: number;
  private readonly name: string;
  private readonly owner: { name: string; uid: string };
  /** Only the conditions of the Node are kept (thousands of nodes share one process). */
  private conditions: NodeCondition[];

  constructor(node: Node, private readonly o: HeartbeatOptions) {
    this.renewMs = o.renewIntervalMs ?? 10_000;
    this.statusMs = o.statusIntervalMs ?? 60_000;
    this.name = node.metadata!.name!;
    this.owner = { name: this.name, uid: node.metadata!.uid! };
    this.conditions = node.status?.conditions ?? [];
  }

  /** The lease is written at once; later renewals and status refreshes follow their intervals. */
  start(): void {
    void this.renewLease(true);
    this.scheduleStatus(this.o.spread ? Math.random() * this.statusMs : this.statusMs);
  }

  /** Writes the node status now (e.g. a pressure condition changed), then every interval from then on. */
  refresh(): void {
    this.scheduleStatus(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.leaseTimer);
    clearTimeout(this.statusTimer);
  }

  private scheduleLease(ms: number): void {
    if (this.stopped) return;
    this.leaseTimer = setTimeout(() => void this.renewLease(false), ms);
  }

  private scheduleStatus(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => void this.refreshStatus(), ms);
  }

  private async renewLease(first: boolean): Promise<void> {
    const renewTime = microTime(preciseNow());
    const { client } = this.o;
    try {
      if (this.lease) {
        this.lease = (await client.update(R.leases, NODE_LEASE_NAMESPACE, renewedNodeLease(this.lease, this.owner, renewTime) as KObject)) as Lease;
      } else {
        this.lease = await this.ensureLease(renewTime);
      }
      if (this.leaseFailures > 0) {
        this.leaseFailures = 0;
        // Back after a gap: node lifecycle may have marked the node Unknown; say Ready again now.
        this.nodeStale = true;
        this.scheduleStatus(0);
      }
    } catch (err) {
      // Someone else wrote or removed the lease: read it again next time.
      if (err instanceof ApiError && (err.code === 409 || err.code === 404)) this.lease = undefined;
      this.leaseFailures++;
      this.o.log.debug({ err, node: this.name, failures: this.leaseFailures }, 'failed to renew node lease');
    }
    if (this.stopped) return;
    if (this.leaseFailures > 0) this.scheduleLease(retryDelay(this.leaseFailures));
    else this.scheduleLease(first && this.o.spread ? Math.random() * this.renewMs : this.renewMs);
  }

  /** Creates the lease, or renews the one left by an earlier run of this agent. */
  private async ensureLease(renewTime: string): Promise<Lease> {
    const { client } = this.o;
    try {
      return (await client.create(R.leases, NODE_LEASE_NAMESPACE, newNodeLease(this.owner, renewTime) as KObject)) as Lease;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
    const existing = (await client.get(R.leases, NODE_LEASE_NAMESPACE, this.name)) as Lease;
    return (await client.update(R.leases, NODE_LEASE_NAMESPACE, renewedNodeLease(existing, this.owner, renewTime) as KObject)) as Lease;
  }

  private async refreshStatus(): Promise<void> {
    if (this.statusInFlight) {
      this.statusAgain = true;
      return;
    }
    this.statusInFlight = true;
    const { client } = this.o;
    try {
      if (this.nodeStale) this.conditions = ((await client.get(R.nodes, undefined, this.name)) as Node).status?.conditions ?? [];
      const conditions = nodeConditions(rfc3339(new Date()), this.conditions, this.o.pressure?.() ?? NO_PRESSURE);
      this.conditions = ((await client.patch(R.nodes, undefined, this.name, 'strategic', { status: { conditions } }, 'status')) as Node).status?.conditions ?? [];
      this.nodeStale = false;
      this.statusFailures = 0;
    } catch (err) {
      this.nodeStale = true;
      this.statusFailures++;
      this.o.log.debug({ err, node: this.name, failures: this.statusFailures }, 'failed to update node status');
    }
    this.statusInFlight = false;
    const again = this.statusAgain;
    this.statusAgain = false;
    this.scheduleStatus(again ? 0 : this.statusFailures > 0 ? retryDelay(this.statusFailures) : this.statusMs);
  }
}
