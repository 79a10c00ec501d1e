// `everynode agent --simulate N`: one process plays the kubelet of N nodes over one client and
// ONE pod watch (every bound pod; those on other nodes are ignored). Each node is registered,
// heartbeats with its own Lease and status, and runs its pods in the simulated runtime.
import { randomUUID } from 'node:crypto';
import { release } from 'node:os';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R, type Client } from '../client/client.js';
import { EventRecorder } from '../client/events.js';
import { Informer } from '../client/informer.js';
import { NodeHeartbeat } from './heartbeat.js';
import { registerNode } from './node-registration.js';
import type { NodeDescription } from './node-status.js';
import { PodWorkers } from './pod-workers.js';
import { SimulatedRuntime } from './runtimes/simulated.js';
import { simulatedNode, simulatedPodIP } from './simulated-nodes.js';

export interface SimulatedAgentOptions {
  client: Client;
  count: number;
  namePrefix: string;
  labels?: Record<string, string>;
  readyDelayMs: number;
  log: Logger;
  /** Heartbeat intervals (defaults: lease 10 s, node status 60 s). */
  renewIntervalMs?: number;
  statusIntervalMs?: number;
}

/** Registrations in flight at once: enough to keep the connections busy, few enough to keep memory flat. */
const REGISTER_CONCURRENCY = 128;
const REGISTER_RETRY_BASE_MS = 200;
const REGISTER_RETRY_MAX_MS = 7000;

export class SimulatedAgent {
  readonly nodes: NodeDescription[];
  private readonly index = new Map<string, number>();
  /** Next pod address slot per node. */
  private readonly podSlots = new Map<string, number>();
  private readonly runtime: SimulatedRuntime;
  private readonly workers: PodWorkers;
  private readonly informer: Informer;
  private readonly heartbeats: NodeHeartbeat[] = [];
  private readonly recorders = new Map<string, EventRecorder>();
  private stopped = false;

  constructor(private readonly o: SimulatedAgentOptions) {
    this.runtime = new SimulatedRuntime({ readyDelayMs: o.readyDelayMs, podIP: (pod) => this.allocatePodIP(pod) });
    const bootSeed = randomUUID();
    const containerRuntimeVersion = `${this.runtime.name}://${this.runtime.version}`;
    this.nodes = Array.from({ length: o.count }, (_, i) =>
      simulatedNode(i, { prefix: o.namePrefix, labels: o.labels, kernelVersion: release(), containerRuntimeVersion, bootSeed }),
    );
    this.nodes.forEach((n, i) => this.index.set(n.name, i));
    this.workers = new PodWorkers({
      client: o.client,
      runtime: this.runtime,
      hostIP: (nodeName) => {
        const i = this.index.get(nodeName);
        return i === undefined ? undefined : this.nodes[i]!.internalIP;
      },
      log: o.log,
      onEvent: (pod, type, reason, message) => this.recorder(pod.spec!.nodeName!).event(pod as KObject, type, reason, message),
    });
    this.informer = new Informer(o.client, R.pods, undefined, { fieldSelector: 'spec.nodeName!=' });
    this.informer.on({
      add: (obj) => this.workers.observe(obj as Pod),
      update: (obj, old) => {
        // The same name may now be another pod (seen after a re-list).
        if (old.metadata.uid !== obj.metadata.uid) this.workers.forget(old as Pod);
        this.workers.observe(obj as Pod);
      },
      delete: (obj) => this.workers.forget(obj as Pod),
    });
  }

  /** Pods currently run by the simulated nodes. */
  get runningPods(): number {
    return this.workers.size;
  }

  /**
   * Registers every node (retrying while the server is unreachable or failing; rejecting if it
   * refuses a Node as invalid), starts their heartbeats, then watches pods.
   */
  async start(): Promise<void> {
    const started = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.nodes.length && !this.stopped) await this.register(this.nodes[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(REGISTER_CONCURRENCY, this.nodes.length) }, worker));
    if (this.stopped) return;
    this.o.log.info({ nodes: this.nodes.length, ms: Math.round(performance.now() - started) }, `registered ${this.nodes.length} simulated nodes`);
    await this.startPodWatch();
    this.o.log.info({ pods: this.workers.size }, 'watching pods');
  }

  /** Stops heartbeats, status writes and the pod watch. The Nodes stay; node lifecycle marks them NotReady later. */
  stop(): void {
    this.stopped = true;
    for (const h of this.heartbeats) h.stop();
    this.informer.stop();
    this.workers.stop();
  }

  private async register(d: NodeDescription): Promise<void> {
    for (let failures = 0; !this.stopped; failures++) {
      try {
        const { node, created } = await registerNode(this.o.client, d);
        if (this.stopped) return;
        if (!created) this.o.log.debug({ node: d.name }, 'node already registered; taking it over');
        const hb = new NodeHeartbeat(node, {
          client: this.o.client,
          log: this.o.log,
          renewIntervalMs: this.o.renewIntervalMs,
          statusIntervalMs: this.o.statusIntervalMs,
          spread: true,
        });
        this.heartbeats.push(hb);
        hb.start();
        return;
      } catch (err) {
        // A Node the server refuses (e.g. a bad --labels value) will never register: give up.
        if (err instanceof ApiError && (err.code === 400 || err.code === 422)) throw err;
        const delay = Math.min(REGISTER_RETRY_BASE_MS * 2 ** failures, REGISTER_RETRY_MAX_MS);
        this.o.log.warn({ err, node: d.name, retryInMs: delay }, 'unable to register node');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async startPodWatch(): Promise<void> {
    for (let failures = 0; !this.stopped; failures++) {
      try {
        await this.informer.start();
        return;
      } catch (err) {
        const delay = Math.min(REGISTER_RETRY_BASE_MS * 2 ** failures, REGISTER_RETRY_MAX_MS);
        this.o.log.warn({ err, retryInMs: delay }, 'unable to list pods');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private allocatePodIP(pod: Pod): string {
    const nodeName = pod.spec!.nodeName!;
    const slot = this.podSlots.get(nodeName) ?? 0;
    this.podSlots.set(nodeName, slot + 1);
    return simulatedPodIP(this.index.get(nodeName) ?? 0, slot);
  }

  private recorder(nodeName: string): EventRecorder {
    let r = this.recorders.get(nodeName);
    if (!r) {
      r = new EventRecorder(this.o.client, 'kubelet', nodeName, (err) => this.o.log.debug({ err }, 'failed to record event'));
      this.recorders.set(nodeName, r);
    }
    return r;
  }
}
