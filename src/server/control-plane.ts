// Wires one control plane together: credentials, the store, the API server, bootstrap objects
// and the controllers. `everynode server` and `everynode up` both start one.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { resources } from '../api/resources.js';
import { Registry } from '../api/registry.js';
import { ApiServer } from '../apiserver/server.js';
import { ensureCredentials, kubeconfig } from '../apiserver/pki.js';
import { NodeCredentialIssuer } from '../apiserver/node-credentials.js';
import { MemoryStore } from '../storage/memory.js';
import { SqlitePersistence } from '../storage/sqlite.js';
import { bootstrap } from './bootstrap.js';
import { NamespaceController } from '../controllers/namespace.js';
import { LocalClient } from '../client/local.js';
import { CONTROLLER_NAMES, ControllerManager } from '../controllers/manager.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from '../controllers/context.js';

export interface ControlPlaneOptions {
  dataDir: string;
  port: number;
  bind: string;
  log: Logger;
  controllers?: Partial<ControllerOptions>;
  /** Which controllers run (see parseControllerList); default all. */
  enabledControllers?: Set<string>;
}

export interface ControlPlane {
  url: string;
  adminKubeconfig: string;
  agentToken: string;
  api: ApiServer;
  stop(): Promise<void>;
}

const COMPACTION_INTERVAL_MS = 5 * 60 * 1000;

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const creds = await ensureCredentials(opts.dataDir, opts.bind);
  const store = new MemoryStore(new SqlitePersistence(join(opts.dataDir, 'everynode.db')));
  const api = new ApiServer({
    store,
    registry: new Registry(resources),
    cert: creds,
    tokens: creds,
    nodeCredentials: await NodeCredentialIssuer.load(join(opts.dataDir, 'pki')),
    bind: opts.bind,
    port: opts.port,
    log: opts.log,
  });
  await bootstrap(api.storage('', 'namespaces'), api.storage('scheduling.k8s.io', 'priorityclasses'));
  await api.listen();
  const host = opts.bind === '0.0.0.0' || opts.bind === '::' ? '127.0.0.1' : opts.bind;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${api.port}`;
  const enabled = opts.enabledControllers ?? new Set(CONTROLLER_NAMES);
  const namespaces = enabled.has('namespace') ? new NamespaceController(api, opts.log.child({ controller: 'namespace' })) : undefined;
  await namespaces?.start();
  // The same host and data dir is the same server: after a restart it takes its lease back at once.
  const identity = `${hostname()}_${createHash('sha256').update(opts.dataDir).digest('hex').slice(0, 8)}`;
  const controllers = new ControllerManager(
    new LocalClient((group, resource) => api.storage(group, resource)),
    opts.log.child({ component: 'controllers' }),
    { ...DEFAULT_CONTROLLER_OPTIONS, ...opts.controllers },
    identity,
    enabled,
  );
  controllers.start();
  const compaction = setInterval(() => store.compact(), COMPACTION_INTERVAL_MS);
  return {
    url,
    adminKubeconfig: kubeconfig(url, creds.caPem, 'admin', creds.adminToken),
    agentToken: creds.agentToken,
    api,
    async stop() {
      clearInterval(compaction);
      await controllers.stop();
      namespaces?.stop();
      await api.close();
      await store.close();
    },
  };
}
