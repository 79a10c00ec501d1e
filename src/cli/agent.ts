// `everynode agent`: joins a cluster with the agent token. For now only `--simulate N` exists:
// one process registering and running N simulated nodes. TLS is verified against the cluster
// CA: `--ca-file`, by default `pki/ca.crt` beside the token file (`everynode server --data-dir
// DIR` writes DIR/agent-token and DIR/pki/ca.crt).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HttpClient } from '../client/http.js';
import { SimulatedAgent } from '../agent/simulated-agent.js';
import { createLogger } from './logger.js';

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
}

/** Connections kept open to the server: enough for thousands of nodes' heartbeats and pod status writes. */
const MAX_SOCKETS = 64;

export class UsageError extends Error {}

/** Commander argument parser for whole numbers ≥ 0 (--simulate, --ready-delay-ms). */
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
  if (opts.simulate === undefined) {
    fail('only simulated nodes are available so far: pass --simulate N. The agent with a real container runtime (process, podman, docker) comes with the agent issue.');
  }
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

  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping; the nodes stay registered');
    agent.stop();
    client.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

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
