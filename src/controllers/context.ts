// What every controller gets: the client, the shared informers, an event recorder, a logger,
// the tunables, and a clock (tests and simulations may replace it).
import type { Logger } from 'pino';
import type { Client } from '../client/client.js';
import type { EventRecorder } from '../client/events.js';
import type { SharedInformers } from '../client/shared-informers.js';

export interface ControllerOptions {
  /** Most pods the DaemonSet controller creates or deletes per sync (upstream's burstReplicas). */
  burstReplicas: number;
  /** A node whose agent has not been heard from for this long becomes Ready=Unknown. */
  nodeMonitorGracePeriodSeconds: number;
  /** How often node health is checked. */
  nodeMonitorPeriodSeconds: number;
  /** Time after which Events are deleted (upstream's --event-ttl). */
  eventTtlSeconds: number;
}

export const DEFAULT_CONTROLLER_OPTIONS: ControllerOptions = {
  burstReplicas: 250,
  nodeMonitorGracePeriodSeconds: 40,
  nodeMonitorPeriodSeconds: 5,
  eventTtlSeconds: 3600,
};

export interface ControllerContext {
  client: Client;
  informers: SharedInformers;
  /** An event recorder whose events carry `source.component = component`. */
  recorder(component: string): EventRecorder;
  log: Logger;
  options: ControllerOptions;
  now(): Date;
}

/**
 * A controller registers its informers and handlers in its constructor; the manager then
 * starts the informers and, once their caches are filled, calls start().
 */
export interface Controller {
  readonly name: string;
  start(): Promise<void>;
  stop(): void;
}
