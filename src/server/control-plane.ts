// Wires one control plane together: credentials, the store, the API server, bootstrap objects
// and the controllers. `everynode server` and `everynode up` both start one.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { resources } from '../api/resources.js';
import { Registry } from '../api/registry.js';
import { ApiServer } from '../apiserver/server.js';
import { ensureCredentials, kubeconfig } from '../apiserver/pki.js';
import { MemoryStore } from '../storage/memory.js';
import { SqlitePersistence } from '../storage/sqlite.js';
import { bootstrap } from './bootstrap.js';
import { NamespaceController } from '../controllers/namespace.js';

export interface ControlPlaneOptions {
  dataDir: string;
  port: number;
  bind: string;
  log: Logger;
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
    bind: opts.bind,
    port: opts.port,
    log: opts.log,
  });
  await bootstrap(api.storage('', 'namespaces'), api.storage('scheduling.k8s.io', 'priorityclasses'));
  await api.listen();
  const host = opts.bind === '0.0.0.0' || opts.bind === '::' ? '127.0.0.1' : opts.bind;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${api.port}`;
  const namespaces = new NamespaceController(api, opts.log.child({ controller: 'namespace' }));
  await namespaces.start();
  const compaction = setInterval(() => store.compact(), COMPACTION_INTERVAL_MS);
  return {
    url,
    adminKubeconfig: kubeconfig(url, creds.caPem, 'admin', creds.adminToken),
    agentToken: creds.agentToken,
    api,
    async stop() {
      clearInterval(compaction);
      namespaces.stop();
      await api.close();
      await store.close();
    },
  };
}
