// Node lifecycle (upstream pkg/controller/nodelifecycle, daemonset-semantics.md §7.1–7.2): decides
// from the node's Lease renewals and status heartbeats whether its agent is alive; marks the
// kubelet conditions Unknown when it is not; keeps the condition taints (NoSchedule, at once) and
// the not-ready / unreachable NoExecute taints (rate-limited per zone, stopped when every zone is
// down) in line with the node's state. A healthy fleet costs one pass over the node cache per
// period and no writes.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R } from '../client/client.js';
import type { EventRecorder } from '../client/events.js';
import type { Informer } from '../client/informer.js';
import { WorkQueue } from '../client/workqueue.js';
import { NodeTaintKey } from '../placement/taints.js';
import type { Controller, ControllerContext } from './context.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Nodes with this label do not count toward zone disruption. */
export const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

export interface NodeLifecycleOptions {
  /** Grace for a node that has never reported Ready (upstream --node-startup-grace-period). */
  nodeStartupGracePeriodSeconds: number;
  /** NoExecute tainting rate per healthy zone, nodes/s (upstream --node-eviction-rate). */
  nodeEvictionRate: number;
  /** Rate in a partially disrupted large zone (upstream --secondary-node-eviction-rate). */
  secondaryNodeEvictionRate: number;
  /** Share of not-Ready nodes from which a zone is partially disrupted (--unhealthy-zone-threshold). */
  unhealthyZoneThreshold: number;
  /** Zones up to this size stop tainting when partially disrupted (--large-cluster-size-threshold). */
  largeClusterSizeThreshold: number;
}

export const DEFAULT_NODE_LIFECYCLE_OPTIONS: NodeLifecycleOptions = {
  nodeStartupGracePeriodSeconds: 60,
  nodeEvictionRate: 0.1,
  secondaryNodeEvictionRate: 0.01,
  unhealthyZoneThreshold: 0.55,
  largeClusterSizeThreshold: 50,
};

const COMPONENT = 'node-controller';
const WORKERS = 8;
const TAINT_PASS_MS = 100;

/** The conditions a kubelet reports; NetworkUnavailable belongs to the network plugin. */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** Condition status → the NoSchedule taint it implies (§7.2). */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: NodeTaintKey.notReady, Unknown: NodeTaintKey.unreachable },
  MemoryPressure: { True: NodeTaintKey.memoryPressure },
  DiskPressure: { True: NodeTaintKey.diskPressure },
  PIDPressure: { True: NodeTaintKey.pidPressure },
  NetworkUnavailable: { True: NodeTaintKey.networkUnavailable },
};

/** NoSchedule taint keys this controller owns: it adds and removes them, and nobody else should. */
const MANAGED_NO_SCHEDULE_KEYS = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), NodeTaintKey.unschedulable]);
const NO_EXECUTE_KEYS: readonly string[] = [NodeTaintKey.notReady, NodeTaintKey.unreachable];

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function nodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

export function readyStatus(node: Node): ConditionStatus | undefined {
  return nodeCondition(node, 'Ready')?.status as ConditionStatus | undefined;
}

/**
 * The controller-owned NoSchedule taint keys a node should carry: one per condition in a bad
 * state, `unschedulable` for a cordoned node, and `not-ready` for a node that has not reported
 * Ready yet (upstream's admission plugin puts that one on new nodes).
 */
export function wantedNoScheduleTaintKeys(node: Node): string[] {
  const keys: string[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key && !keys.includes(key)) keys.push(key);
  }
  if (!nodeCondition(node, 'Ready')) keys.push(NodeTaintKey.notReady);
  if (node.spec?.unschedulable) keys.push(NodeTaintKey.unschedulable);
  return keys;
}

/** The NoExecute taint key for a Ready status: not-ready for False, unreachable for Unknown. */
export function wantedNoExecuteTaintKey(ready: ConditionStatus | undefined): string | undefined {
  if (ready === 'False') return NodeTaintKey.notReady;
  if (ready === 'Unknown') return NodeTaintKey.unreachable;
  return undefined;
}

function hasTaint(taints: readonly Taint[] | undefined, key: string, effect: string): boolean {
  return (taints ?? []).some((t) => t.key === key && t.effect === effect);
}

/**
 * The taints with the controller-owned NoSchedule ones made equal to `wantedKeys` (new ones
 * stamped with `timeAdded`); taints of other keys or effects are left alone. Undefined when
 * nothing changes.
 */
export function syncNoScheduleTaints(taints: readonly Taint[] | undefined, wantedKeys: readonly string[], timeAdded: string): Taint[] | undefined {
  const current = taints ?? [];
  const kept = current.filter((t) => t.effect !== 'NoSchedule' || !MANAGED_NO_SCHEDULE_KEYS.has(t.key) || wantedKeys.includes(t.key));
  const added = wantedKeys.filter((k) => !hasTaint(current, k, 'NoSchedule')).map((key): Taint => ({ key, effect: 'NoSchedule', timeAdded }));
  if (kept.length === current.length && added.length === 0) return undefined;
  return [...kept, ...added];
}

/**
 * The taints with exactly `key` among the not-ready/unreachable NoExecute taints (none when key
 * is undefined): the two are swapped in one write, never both present. Undefined when unchanged.
 */
export function setNoExecuteTaint(taints: readonly Taint[] | undefined, key: string | undefined, timeAdded: string): Taint[] | undefined {
  const current = taints ?? [];
  const kept = current.filter((t) => t.effect !== 'NoExecute' || !NO_EXECUTE_KEYS.includes(t.key) || t.key === key);
  const add = key !== undefined && !hasTaint(current, key, 'NoExecute');
  if (kept.length === current.length && !add) return undefined;
  return add ? [...kept, { key: key!, effect: 'NoExecute', timeAdded }] : kept;
}

/**
 * The node's conditions once its agent is declared silent: the kubelet conditions become Unknown
 * ("Kubelet stopped posting node status."), those never reported are added as Unknown ("Kubelet
 * never posted node status."). NetworkUnavailable is left alone. Undefined when nothing changes.
 */
export function unknownConditions(node: Node, now: string): NodeCondition[] | undefined {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of KUBELET_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata?.creationTimestamp,
        lastTransitionTime: now,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now });
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

/** ComputeZoneState: no Ready node → full disruption; > 2 and ≥ threshold not Ready → partial. */
export function computeZoneState(readyStatuses: readonly (ConditionStatus | undefined)[], unhealthyThreshold: number): ZoneState {
  const ready = readyStatuses.filter((s) => s === 'True').length;
  const notReady = readyStatuses.length - ready;
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / readyStatuses.length >= unhealthyThreshold) return 'PartialDisruption';
  return 'Normal';
}

/** Zone of a node, from the region and zone topology labels (upstream's GetZoneKey). */
export function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\u0000:${zone}`;
}

/** The NoExecute tainting rate (nodes/s) for a zone in `state` holding `size` nodes. */
export function zoneTaintRate(state: ZoneState, size: number, o: NodeLifecycleOptions): number {
  if (state === 'PartialDisruption') return size > o.largeClusterSizeThreshold ? o.secondaryNodeEvictionRate : 0;
  return o.nodeEvictionRate;
}

/** What the controller last saw of a node's signs of life, and when (its own clock). */
interface Health {
  heartbeat: string | undefined;
  renewTime: string | undefined;
  probeMs: number;
}

/** Nodes waiting for their NoExecute taint in one zone, released by a token bucket (burst 1). */
interface ZoneTainter {
  queue: string[];
  /** Queued or already tainted in this episode: not queued again until the node is Ready. */
  marked: Set<string>;
  rate: number;
  tokens: number;
  refilledMs: number;
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

/**
 * A JSON patch setting `obj[parent][field]`, guarded by a test of the value it replaces (or, when
 * there is none, of the whole object's resourceVersion): a concurrent change of the field fails
 * the patch (422) instead of being lost, while changes elsewhere (heartbeats) do not get in the way.
 */
function setField(obj: KObject, parent: 'spec' | 'status', field: string, value: unknown): unknown[] {
  const container = obj[parent] as Record<string, unknown> | undefined;
  const old = container?.[field];
  if (old !== undefined) return [{ op: 'test', path: `/${parent}/${field}`, value: old }, { op: 'replace', path: `/${parent}/${field}`, value }];
  const guard = { op: 'test', path: '/metadata/resourceVersion', value: obj.metadata.resourceVersion };
  if (container === undefined) return [guard, { op: 'add', path: `/${parent}`, value: { [field]: value } }];
  return [guard, { op: 'add', path: `/${parent}/${field}`, value }];
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly nodes: Informer;
  private readonly leases: Informer;
  private readonly pods: Informer;
  private readonly recorder: EventRecorder;
  private readonly queue: WorkQueue;
  private readonly opts: NodeLifecycleOptions;
  private readonly health = new Map<string, Health>();
  private readonly tainters = new Map<string, ZoneTainter>();
  private readonly zoneStates = new Map<string, ZoneState>();
  /** Nodes whose pods still have to be marked not Ready after the node went silent. */
  private readonly podsToMarkNotReady = new Set<string>();
  private started = false;
  private monitorTimer: NodeJS.Timeout | undefined;
  private taintPassTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    options: Partial<NodeLifecycleOptions> = {},
  ) {
    this.opts = { ...DEFAULT_NODE_LIFECYCLE_OPTIONS, ...options };
    this.recorder = ctx.recorder(COMPONENT);
    this.nodes = ctx.informers.for(R.nodes);
    this.leases = ctx.informers.for(R.leases);
    this.pods = ctx.informers.for(R.pods);
    this.pods.addIndex('node-lifecycle:nodeName', (p) => {
      const n = (p.spec as Pod['spec'])?.nodeName;
      return n ? [n] : [];
    });
    this.queue = new WorkQueue((name) => this.syncNode(name), { workers: WORKERS }, (name, err) => {
      // A write raced with the node's agent (conflict, or a failed JSON patch test): the retry
      // starts from the newer state.
      const raced = err instanceof ApiError && (err.code === 409 || err.code === 422);
      ctx.log[raced ? 'debug' : 'warn']({ err, node: name }, 'node lifecycle sync failed; retrying');
    });
    this.nodes.on({
      add: (obj) => {
        if (!this.started) return;
        this.observeNode(obj as Node);
        this.registered(obj as Node);
        this.queue.add(obj.metadata.name!);
      },
      update: (obj, old) => {
        if (!this.started) return;
        this.observeNode(obj as Node);
        if (this.relevantChange(obj as Node, old as Node)) this.queue.add(obj.metadata.name!);
      },
      delete: (obj) => this.forgetNode(obj as Node),
    });
    this.leases.on({
      add: (obj) => this.observeLease(obj as Lease),
      update: (obj) => this.observeLease(obj as Lease),
    });
  }

  async start(): Promise<void> {
    this.started = true;
    for (const obj of this.nodes.list()) {
      this.observeNode(obj as Node);
      this.registered(obj as Node);
      this.queue.add(obj.metadata.name!);
    }
    this.monitorTimer = setInterval(() => this.monitor(), this.ctx.options.nodeMonitorPeriodSeconds * 1000);
  }

  stop(): void {
    this.started = false;
    clearInterval(this.monitorTimer);
    clearTimeout(this.taintPassTimer);
    this.queue.stop();
  }

  // --- health tracking -------------------------------------------------------------------

  private nowMs(): number {
    return this.ctx.now().getTime();
  }

  private gracePeriodMs(node: Node): number {
    const seconds = nodeCondition(node, 'Ready') ? this.ctx.options.nodeMonitorGracePeriodSeconds : this.opts.nodeStartupGracePeriodSeconds;
    return seconds * 1000;
  }

  /**
   * A new heartbeat (Ready's lastHeartbeatTime changed) refreshes the probe time. A node first
   * seen without a Ready condition counts from its creation, others from now, as upstream.
   */
  private observeNode(node: Node): void {
    const name = node.metadata!.name!;
    const heartbeat = nodeCondition(node, 'Ready')?.lastHeartbeatTime;
    const h = this.health.get(name);
    if (!h) {
      const created = Date.parse(node.metadata?.creationTimestamp ?? '');
      const probeMs = nodeCondition(node, 'Ready') || Number.isNaN(created) ? this.nowMs() : created;
      this.health.set(name, { heartbeat, renewTime: undefined, probeMs });
      const lease = this.leases.get(`${NODE_LEASE_NAMESPACE}/${name}`);
      if (lease) this.observeLease(lease as Lease);
      return;
    }
    if (heartbeat !== h.heartbeat) {
      h.heartbeat = heartbeat;
      h.probeMs = this.nowMs();
    }
  }

  /** A renewal of the node's Lease (renewTime moving forward) refreshes the probe time. */
  private observeLease(lease: Lease): void {
    if (lease.metadata?.namespace !== NODE_LEASE_NAMESPACE) return;
    const h = this.health.get(lease.metadata.name!);
    const renew = lease.spec?.renewTime;
    if (!h || !renew) return;
    if (h.renewTime === undefined || Date.parse(renew) > Date.parse(h.renewTime)) {
      h.renewTime = renew;
      h.probeMs = this.nowMs();
    }
  }

  private silent(node: Node): boolean {
    const h = this.health.get(node.metadata!.name!);
    return h !== undefined && this.nowMs() > h.probeMs + this.gracePeriodMs(node);
  }

  /** Heartbeat-only status updates (the common case) need no sync. */
  private relevantChange(node: Node, old: Node): boolean {
    const statuses = (n: Node) => (n.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',');
    return (
      statuses(node) !== statuses(old) ||
      Boolean(node.spec?.unschedulable) !== Boolean(old.spec?.unschedulable) ||
      JSON.stringify(node.spec?.taints ?? []) !== JSON.stringify(old.spec?.taints ?? [])
    );
  }

  private registered(node: Node): void {
    const name = node.metadata!.name!;
    this.recorder.event(nodeRef(node), 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
  }

  private forgetNode(node: Node): void {
    const name = node.metadata!.name!;
    this.health.delete(name);
    this.podsToMarkNotReady.delete(name);
    for (const t of this.tainters.values()) {
      t.marked.delete(name);
      t.queue = t.queue.filter((n) => n !== name);
    }
    if (this.started) this.recorder.event(nodeRef(node), 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
  }

  // --- the periodic pass -------------------------------------------------------------------

  /** Every period: silent nodes are queued for their Unknown marking; zone states are updated. */
  private monitor(): void {
    const readyByZone = new Map<string, (ConditionStatus | undefined)[]>();
    for (const obj of this.nodes.list()) {
      const node = obj as Node;
      const name = node.metadata!.name!;
      const lease = this.leases.get(`${NODE_LEASE_NAMESPACE}/${name}`);
      if (lease) this.observeLease(lease as Lease);
      const ready = readyStatus(node);
      if (this.silent(node) && unknownConditions(node, '') !== undefined) this.queue.add(name);
      else if (this.needsNoExecuteTaint(node, ready)) this.queue.add(name);
      if (node.metadata?.labels?.[EXCLUDE_DISRUPTION_LABEL] === undefined) {
        const zone = zoneKey(node);
        (readyByZone.get(zone) ?? readyByZone.set(zone, []).get(zone)!).push(ready);
      }
    }
    this.handleDisruption(readyByZone);
  }

  private needsNoExecuteTaint(node: Node, ready: ConditionStatus | undefined): boolean {
    const key = wantedNoExecuteTaintKey(ready);
    return key !== undefined && !hasTaint(node.spec?.taints, key, 'NoExecute') && !this.tainter(zoneKey(node)).marked.has(node.metadata!.name!);
  }

  /**
   * Zone states set each zone's tainting rate. When every zone is fully disrupted the trouble is
   * more likely ours than the nodes': stop tainting and lift the NoExecute taints ("master
   * disruption mode"); on leaving it, give every node a fresh grace period.
   */
  private handleDisruption(readyByZone: Map<string, (ConditionStatus | undefined)[]>): void {
    const newStates = new Map<string, ZoneState>();
    for (const [zone, statuses] of readyByZone) {
      newStates.set(zone, computeZoneState(statuses, this.opts.unhealthyZoneThreshold));
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    for (const zone of [...this.zoneStates.keys()]) if (!readyByZone.has(zone)) this.zoneStates.delete(zone);
    const allAre = [...newStates.values()].every((s) => s === 'FullDisruption');
    const allWere = [...this.zoneStates.values()].every((s) => s === 'FullDisruption');
    if (allAre && allWere) return;
    if (allAre) {
      this.ctx.log.info('all nodes are not Ready: entering master disruption mode, no NoExecute taints');
      for (const zone of this.zoneStates.keys()) {
        this.zoneStates.set(zone, 'FullDisruption');
        this.tainter(zone).rate = 0;
      }
      for (const obj of this.nodes.list()) void this.markReachable(obj as Node).catch((err: unknown) => this.ctx.log.warn({ err }, 'removing NoExecute taint failed'));
      return;
    }
    if (allWere) {
      this.ctx.log.info('some nodes are Ready: leaving master disruption mode');
      const now = this.nowMs();
      for (const h of this.health.values()) h.probeMs = now;
    }
    for (const [zone, state] of newStates) {
      if (!allWere && this.zoneStates.get(zone) === state) continue;
      this.zoneStates.set(zone, state);
      this.tainter(zone).rate = zoneTaintRate(state, readyByZone.get(zone)!.length, this.opts);
    }
    this.scheduleTaintPass();
  }

  // --- per-node sync (work queue) ----------------------------------------------------------

  private async syncNode(name: string): Promise<void> {
    let node = this.nodes.get(name) as Node | undefined;
    if (!node) return;
    const now = rfc3339(this.ctx.now());
    if (this.silent(node)) {
      const wasReady = readyStatus(node) === 'True';
      const conditions = unknownConditions(node, now);
      if (conditions) {
        node = (await this.ctx.client.patch(R.nodes, undefined, name, 'json', setField(node as KObject, 'status', 'conditions', conditions), 'status')) as Node;
        if (wasReady) {
          this.recorder.event(nodeRef(node), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
          this.podsToMarkNotReady.add(name);
        }
      }
    }
    const ready = readyStatus(node);
    if (this.podsToMarkNotReady.has(name)) {
      if (ready !== 'True') await this.markPodsNotReady(name);
      this.podsToMarkNotReady.delete(name);
    }

    let taints = node.spec?.taints;
    taints = syncNoScheduleTaints(taints, wantedNoScheduleTaintKeys(node), now) ?? taints;
    // NoExecute: removed at once when Ready, swapped at once between not-ready and unreachable,
    // otherwise added at the zone's pace.
    const wanted = wantedNoExecuteTaintKey(ready);
    const tainter = this.tainter(zoneKey(node));
    if (ready === 'True') {
      this.unmark(tainter, name);
      taints = setNoExecuteTaint(taints, undefined, now) ?? taints;
    } else if (wanted) {
      const other = wanted === NodeTaintKey.notReady ? NodeTaintKey.unreachable : NodeTaintKey.notReady;
      if (hasTaint(taints, other, 'NoExecute')) taints = setNoExecuteTaint(taints, wanted, now) ?? taints;
      else if (!hasTaint(taints, wanted, 'NoExecute')) this.markForTainting(tainter, name);
    }
    if (taints !== node.spec?.taints) await this.writeTaints(node, taints ?? []);
  }

  private async writeTaints(node: Node, taints: Taint[]): Promise<void> {
    // The last taint gone, the field goes too (spec: {}), as after upstream's taint patches.
    const patch =
      taints.length === 0 && node.spec?.taints !== undefined
        ? [{ op: 'test', path: '/spec/taints', value: node.spec.taints }, { op: 'remove', path: '/spec/taints' }]
        : setField(node as KObject, 'spec', 'taints', taints);
    await this.ctx.client.patch(R.nodes, undefined, node.metadata!.name!, 'json', patch);
  }

  /** Pods on a silent node are not Ready any more (upstream's MarkPodsNotReady). */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    const now = rfc3339(this.ctx.now());
    const failures: unknown[] = [];
    await Promise.all(
      this.pods.byIndex('node-lifecycle:nodeName', nodeName).map(async (obj) => {
        const pod = obj as Pod;
        const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
        if (!ready || ready.status === 'False') return;
        try {
          const patch = { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }] } };
          await this.ctx.client.patch(R.pods, pod.metadata!.namespace, pod.metadata!.name!, 'strategic', patch, 'status');
          this.recorder.event(podRef(pod), 'Warning', 'NodeNotReady', 'Node is not ready');
        } catch (err) {
          if (!isNotFound(err)) failures.push(err);
        }
      }),
    );
    if (failures.length) throw failures[0];
  }

  // --- NoExecute tainting, rate-limited per zone -------------------------------------------

  private tainter(zone: string): ZoneTainter {
    let t = this.tainters.get(zone);
    if (!t) {
      t = { queue: [], marked: new Set(), rate: this.opts.nodeEvictionRate, tokens: 1, refilledMs: this.nowMs() };
      this.tainters.set(zone, t);
    }
    return t;
  }

  private markForTainting(t: ZoneTainter, name: string): void {
    if (t.marked.has(name)) return;
    t.marked.add(name);
    t.queue.push(name);
    this.scheduleTaintPass();
  }

  private unmark(t: ZoneTainter, name: string): void {
    if (!t.marked.delete(name)) return;
    t.queue = t.queue.filter((n) => n !== name);
  }

  /** Lifts both NoExecute taints (Ready again, or master disruption mode). */
  private async markReachable(node: Node): Promise<void> {
    this.unmark(this.tainter(zoneKey(node)), node.metadata!.name!);
    const taints = setNoExecuteTaint(node.spec?.taints, undefined, '');
    if (!taints) return;
    try {
      await this.writeTaints(node, taints);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private scheduleTaintPass(): void {
    if (this.taintPassTimer || !this.started) return;
    const pending = [...this.tainters.values()].some((t) => t.queue.length > 0 && t.rate > 0);
    if (!pending) return;
    this.taintPassTimer = setTimeout(() => {
      this.taintPassTimer = undefined;
      this.taintPass();
      this.scheduleTaintPass();
    }, TAINT_PASS_MS);
  }

  /** Releases queued nodes as each zone's bucket allows; a failed write goes to the back. */
  private taintPass(): void {
    const now = this.nowMs();
    for (const t of this.tainters.values()) {
      t.tokens = Math.min(1, t.tokens + ((now - t.refilledMs) / 1000) * t.rate);
      t.refilledMs = now;
      while (t.queue.length > 0 && t.rate > 0) {
        const name = t.queue[0]!;
        const node = this.nodes.get(name) as Node | undefined;
        const key = node && wantedNoExecuteTaintKey(readyStatus(node));
        const taints = key ? setNoExecuteTaint(node!.spec?.taints, key, rfc3339(this.ctx.now())) : undefined;
        if (!taints) {
          t.queue.shift();
          continue;
        }
        if (t.tokens < 1) break;
        t.tokens -= 1;
        t.queue.shift();
        this.writeTaints(node!, taints).catch((err: unknown) => {
          if (isNotFound(err)) return;
          this.ctx.log.warn({ err, node: name }, 'adding NoExecute taint failed; retrying');
          if (t.marked.has(name)) t.queue.push(name);
          this.scheduleTaintPass();
        });
      }
    }
  }
}

function nodeRef(node: Node): KObject {
  return { ...(node as KObject), apiVersion: 'v1', kind: 'Node' };
}

function podRef(pod: Pod): KObject {
  return { ...(pod as KObject), apiVersion: 'v1', kind: 'Pod' };
}
