// Runs the controllers of one control plane while this server holds the controllers' Lease.
// Several servers may share one store; only the leader's controllers act.
import type { Logger } from 'pino';
import { EventRecorder } from '../client/events.js';
import { LeaderElector } from '../client/leader-election.js';
import type { Client } from '../client/client.js';
import { SharedInformers } from '../client/shared-informers.js';
import type { Controller, ControllerContext, ControllerOptions } from './context.js';
import { DaemonSetController } from './daemonset/controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { NodeLifecycleController } from './node-lifecycle.js';
import { TaintEvictionController } from './taint-eviction.js';
import { Scheduler } from '../scheduler/scheduler.js';

const LEASE_NAME = 'everynode-controllers';

/** Controllers by the names `--controllers` takes (upstream's names where they exist). */
const CONTROLLERS: Record<string, (ctx: ControllerContext) => Controller> = {
  daemonset: (ctx) => new DaemonSetController(ctx),
  scheduler: (ctx) => new Scheduler(ctx),
  nodelifecycle: (ctx) => new NodeLifecycleController(ctx),
  tainteviction: (ctx) => new TaintEvictionController(ctx),
  garbagecollector: (ctx) => new GarbageCollector(ctx),
};

export const CONTROLLER_NAMES = [...Object.keys(CONTROLLERS), 'namespace'];

/**
 * Parses `--controllers`: a comma-separated list of names, `*` for all, `-name` to leave one
 * out (e.g. `*,-scheduler`); the empty string runs none.
 */
export function parseControllerList(text: string): Set<string> {
  const enabled = new Set<string>();
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const name = item.replace(/^-/, '');
    if (name !== '*' && !CONTROLLER_NAMES.includes(name)) {
      throw new Error(`unknown controller "${name}"; known: ${CONTROLLER_NAMES.join(', ')}`);
    }
    const names = name === '*' ? CONTROLLER_NAMES : [name];
    for (const n of names) {
      if (item.startsWith('-')) enabled.delete(n);
      else enabled.add(n);
    }
  }
  return enabled;
}

export class ControllerManager {
  private readonly elector: LeaderElector;
  private running: { informers: SharedInformers; controllers: Controller[] } | undefined;

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
    private readonly options: ControllerOptions,
    identity: string,
    private readonly enabled: Set<string>,
  ) {
    this.elector = new LeaderElector({
      client,
      name: LEASE_NAME,
      namespace: 'kube-system',
      identity,
      onStartedLeading: () => void this.startControllers(),
      onStoppedLeading: () => this.stopControllers(),
    });
  }

  /** Runs for leadership, unless no controller it runs is enabled (then nothing writes). */
  start(): void {
    if (Object.keys(CONTROLLERS).some((name) => this.enabled.has(name))) this.elector.start();
  }

  async stop(): Promise<void> {
    this.stopControllers();
    await this.elector.stop();
  }

  private async startControllers(): Promise<void> {
    this.log.info('became leader; starting controllers');
    const informers = new SharedInformers(this.client);
    const ctx: ControllerContext = {
      client: this.client,
      informers,
      recorder: (component) => new EventRecorder(this.client, component, undefined, (err) => this.log.debug({ err }, 'event not recorded')),
      log: this.log,
      options: this.options,
      now: () => new Date(),
    };
    const controllers = Object.entries(CONTROLLERS)
      .filter(([name]) => this.enabled.has(name))
      .map(([, make]) => make(ctx));
    this.running = { informers, controllers };
    await informers.start();
    if (this.running?.informers !== informers) return; // lost leadership meanwhile
    for (const c of controllers) await c.start();
  }

  private stopControllers(): void {
    if (!this.running) return;
    this.log.info('stopping controllers');
    for (const c of this.running.controllers) c.stop();
    this.running.informers.stop();
    this.running = undefined;
  }
}
