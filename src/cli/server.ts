// `everynode server`: credentials, storage, API server and controllers in one process.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startControlPlane, type ControlPlane } from '../server/control-plane.js';
import { createLogger } from './logger.js';
import { onShutdown } from './shutdown.js';

export interface ServerFlags {
  dataDir: string;
  port: number;
  bind: string;
  logLevel: string;
  burstReplicas: number;
  nodeMonitorGracePeriod: number;
  nodeMonitorPeriod: number;
  controllers: Set<string>;
}

/** Writes DIR/admin.kubeconfig and DIR/agent-token; returns the kubeconfig's path. */
export function writeServerFiles(dataDir: string, cp: ControlPlane): string {
  const kubeconfigPath = join(dataDir, 'admin.kubeconfig');
  writeFileSync(kubeconfigPath, cp.adminKubeconfig, { mode: 0o600 });
  writeFileSync(join(dataDir, 'agent-token'), cp.agentToken + '\n', { mode: 0o600 });
  return kubeconfigPath;
}

export async function runServer(opts: ServerFlags): Promise<void> {
  const log = createLogger(opts.logLevel, 'everynode-server');
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const cp = await startControlPlane({
    dataDir,
    port: opts.port,
    bind: opts.bind,
    log,
    enabledControllers: opts.controllers,
    controllers: {
      burstReplicas: opts.burstReplicas,
      nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriod,
      nodeMonitorPeriodSeconds: opts.nodeMonitorPeriod,
    },
  });
  const kubeconfigPath = writeServerFiles(dataDir, cp);
  log.info({ url: cp.url, kubeconfig: kubeconfigPath }, `everynode server listening on ${cp.url}; use: export KUBECONFIG=${kubeconfigPath}`);

  onShutdown(log, (signal) => {
    log.info({ signal }, 'stopping');
    return cp.stop();
  });
}
