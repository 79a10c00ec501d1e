// `everynode up`: a one-node cluster in one process, to try everynode — the control plane of
// `everynode server` (same files in the data dir) and this host's agent (process runtime, state
// in DIR/agent, node named after the host). It prints the kubeconfig and the first kubectl
// commands. Ctrl-C (or SIGTERM) stops the agent and the daemons it runs — `up` is a first try,
// nothing should keep running behind it — then the server; the next `up` starts them again.
// (`everynode agent` on its own does the opposite: it leaves its daemons running when it stops.)
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostAgent } from '../agent/host-agent.js';
import { DEFAULT_MAX_PODS, defaultNodeName } from '../agent/host-measurements.js';
import { startControlPlane, type ControlPlane } from '../server/control-plane.js';
import { createLogger } from './logger.js';
import { onShutdown } from './shutdown.js';
import { writeServerFiles } from './server.js';

export interface UpFlags {
  dataDir: string;
  port: number;
  logLevel: string;
}

/** How long the daemons get to stop on Ctrl-C, at most (their own grace period if shorter). */
const STOP_GRACE_SECONDS = 10;
const EXAMPLE = fileURLToPath(new URL('../../examples/hello-daemonset.yaml', import.meta.url));

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

export function welcome(o: { url: string; nodeName: string; dataDir: string; kubeconfig: string; example: string }): string {
  return `
everynode is up: API server ${o.url}, one node "${o.nodeName}" (process runtime).
Data in ${o.dataDir} (the agent's in ${join(o.dataDir, 'agent')}). Ctrl-C stops the server, the agent and its daemons.

In another terminal:

  export KUBECONFIG=${o.kubeconfig}
  kubectl get nodes -o wide
  kubectl apply -f ${o.example}
  kubectl get pods -o wide
  kubectl logs -f ds/hello

`;
}

export async function runUp(opts: UpFlags): Promise<void> {
  const log = createLogger(opts.logLevel, 'everynode');
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let cp: ControlPlane;
  try {
    cp = await startControlPlane({ dataDir, port: opts.port, bind: '127.0.0.1', log: log.child({ component: 'server' }) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`port ${opts.port} is in use (another everynode or Kubernetes API server?): pass --port`);
    throw err;
  }
  const kubeconfig = writeServerFiles(dataDir, cp);
  const nodeName = defaultNodeName();
  const agent = new HostAgent({
    server: cp.url,
    ca: readFileSync(join(dataDir, 'pki', 'ca.crt'), 'utf8'),
    bootstrapToken: cp.agentToken,
    name: nodeName,
    runtime: 'process',
    stateDir: join(dataDir, 'agent'),
    maxPods: DEFAULT_MAX_PODS,
    // A free port on loopback: the API server is the only caller, and it is local.
    port: 0,
    address: '127.0.0.1',
    log: log.child({ component: 'agent' }),
  });

  const shutdown = onShutdown(
    log,
    async (signal) => {
      process.stderr.write(`\neverynode: stopping the daemons, the agent and the server (${signal} again to stop at once)...\n`);
      await agent
        .stop({ stopPods: true, maxGraceSeconds: STOP_GRACE_SECONDS })
        .catch((err: unknown) => log.error({ err }, 'error while stopping the agent'));
      await cp.stop();
    },
    { secondSignalExits: true },
  );

  try {
    await agent.start();
  } catch (err) {
    if (shutdown.isStopping()) return;
    log.error({ err }, 'the agent cannot start');
    await agent.stop().catch(() => {});
    await cp.stop().catch(() => {});
    fail(err instanceof Error ? err.message : String(err));
  }
  if (shutdown.isStopping()) return;
  process.stdout.write(welcome({ url: cp.url, nodeName, dataDir, kubeconfig, example: EXAMPLE }));
}
