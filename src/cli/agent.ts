// `everynode agent`: joins a cluster with the agent token. Without `--simulate` it is this
// host's node agent (host-agent.ts); with `--simulate N`, one process registering and running N
// simulated nodes. TLS is verified against the cluster CA: `--ca-file`, by default `pki/ca.crt`
// beside the token file (`everynode server --data-dir DIR` writes DIR/agent-token and DIR/pki/ca.crt).
// `--print-systemd-unit` prints a unit running this same command and exits.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Taint } from 'kubernetes-types/core/v1.js';
import type { RuntimeKind } from '../agent/container-runtimes.js';
import { defaultNodeName } from '../agent/host-measurements.js';
import { HostAgent } from '../agent/host-agent.js';
import { systemdUnit, unitArgs } from '../agent/systemd-unit.js';
import { HttpClient } from '../client/http.js';
import { SimulatedAgent } from '../agent/simulated-agent.js';
import { createLogger } from './logger.js';
import { onShutdown } from './shutdown.js';

export interface AgentCommandOptions {
  server: string;
  tokenFile: string;
  caFile?: string;
  simulate?: number;
  namePrefix: string;
  labels?: string;
  readyDelayMs: number;
  /** Seconds between node Lease renewals. */
  nodeLeaseRenewInterval: number;
  logLevel: string;
  name?: string;
  taints?: string;
  runtime: RuntimeKind;
  stateDir: string;
  podManifestPath?: string;
  maxPods: number;
  /** The log endpoint's port. */
  port: number;
  printSystemdUnit?: boolean;
}

export const DEFAULT_AGENT_STATE_DIR = '/var/lib/everynode-agent';

/** Connections kept open to the server: enough for thousands of nodes' heartbeats and pod status writes. */
const MAX_SOCKETS = 64;

export class UsageError extends Error {}

/** `k=v,k2=v2` → labels. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of (text ?? '').split(',')) {
    if (!item.trim()) continue;
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    if (eq <= 0 || !key) throw new UsageError(`invalid label "${item}": expected key=value`);
    labels[key] = item.slice(eq + 1).trim();
  }
  return labels;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** `key=value:Effect,key:Effect` → taints (the kubelet's --register-with-taints syntax). */
export function parseTaints(text: string | undefined): Taint[] {
  const taints: Taint[] = [];
  for (const item of (text ?? '').split(',')) {
    if (!item.trim()) continue;
    const colon = item.lastIndexOf(':');
    const effect = colon > 0 ? item.slice(colon + 1).trim() : '';
    if (!TAINT_EFFECTS.includes(effect)) throw new UsageError(`invalid taint "${item}": expected key=value:Effect or key:Effect, Effect one of ${TAINT_EFFECTS.join(', ')}`);
    const kv = item.slice(0, colon);
    const eq = kv.indexOf('=');
    const key = (eq >= 0 ? kv.slice(0, eq) : kv).trim();
    if (!key) throw new UsageError(`invalid taint "${item}": the key is empty`);
    taints.push({ key, ...(eq >= 0 ? { value: kv.slice(eq + 1).trim() } : {}), effect });
  }
  return taints;
}

/** The CA to trust: --ca-file, else pki/ca.crt beside the token file. */
export function caFileFor(opts: { tokenFile: string; caFile?: string }): string {
  if (opts.caFile) return opts.caFile;
  const beside = join(dirname(opts.tokenFile), 'pki', 'ca.crt');
  if (!existsSync(beside)) throw new UsageError(`no cluster CA found at ${beside}; pass --ca-file with the server's CA certificate`);
  return beside;
}

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

export async function runAgent(opts: AgentCommandOptions): Promise<void> {
  if (opts.printSystemdUnit) {
    const args = process.argv.slice(process.argv.indexOf('agent') + 1);
    process.stdout.write(systemdUnit({ node: process.execPath, script: realpathSync(process.argv[1]!), args: unitArgs(args, process.cwd()), nodeName: opts.name ?? defaultNodeName() }));
    return;
  }
  if (opts.simulate === undefined) return runHostAgent(opts);
  let labels: Record<string, string>;
  let ca: string;
  let token: string;
  try {
    labels = parseLabels(opts.labels);
    token = readFileSync(opts.tokenFile, 'utf8').trim();
    ca = readFileSync(caFileFor(opts), 'utf8');
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (!token) fail(`the token file ${opts.tokenFile} is empty`);

  const log = createLogger(opts.logLevel, 'everynode-agent');
  const client = new HttpClient({ server: opts.server, token, ca, maxSockets: MAX_SOCKETS });
  const agent = new SimulatedAgent({ client, count: opts.simulate, namePrefix: opts.namePrefix, labels, readyDelayMs: opts.readyDelayMs, renewIntervalMs: opts.nodeLeaseRenewInterval * 1000, log });

  onShutdown(log, async (signal) => {
    log.info({ signal }, 'stopping; the nodes stay registered');
    agent.stop();
    client.close();
  });

  log.info({ server: opts.server, nodes: opts.simulate, prefix: opts.namePrefix }, 'starting simulated nodes');
  try {
    await agent.start();
  } catch (err) {
    log.error({ err }, 'cannot register the simulated nodes');
    agent.stop();
    client.close();
    fail(err instanceof Error ? err.message : String(err));
  }
}

/** This host's agent: runs until SIGTERM/SIGINT, then exits 0 leaving its pods running. */
async function runHostAgent(opts: AgentCommandOptions): Promise<void> {
  let labels: Record<string, string>;
  let taints: Taint[];
  let ca: string;
  let token: string;
  try {
    labels = parseLabels(opts.labels);
    taints = parseTaints(opts.taints);
    token = readFileSync(opts.tokenFile, 'utf8').trim();
    ca = readFileSync(caFileFor(opts), 'utf8');
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (!token) fail(`the token file ${opts.tokenFile} is empty`);

  const log = createLogger(opts.logLevel, 'everynode-agent');
  const agent = new HostAgent({
    server: opts.server,
    ca,
    bootstrapToken: token,
    name: opts.name ?? defaultNodeName(),
    labels,
    taints,
    runtime: opts.runtime,
    stateDir: opts.stateDir,
    ...(opts.podManifestPath ? { podManifestPath: opts.podManifestPath } : {}),
    maxPods: opts.maxPods,
    port: opts.port,
    renewIntervalMs: opts.nodeLeaseRenewInterval * 1000,
    log,
  });
  const shutdown = onShutdown(log, (signal) => {
    log.info({ signal }, 'stopping; the pods keep running and the next agent adopts them');
    return agent.stop();
  });
  try {
    await agent.start();
  } catch (err) {
    if (shutdown.isStopping()) return;
    log.error({ err }, 'the agent cannot start');
    await agent.stop().catch(() => {});
    fail(err instanceof Error ? err.message : String(err));
  }
}
