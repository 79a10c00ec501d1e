// `everynode agent` on a real host: everynode's kubelet for one node.
//
// Start-up, in order: check the container runtime works here; find the address that routes to
// the API server (the node's InternalIP); trade the bootstrap token for this node's credential
// (credentials.ts — kept in the state dir, reused on restart); serve container logs over HTTPS
// (log-server.ts) for the API server's `pods/log`; register the Node (or take it over, if an
// earlier run registered it) with capacity, addresses, nodeInfo and pressure measured here
// (host-measurements.ts); heartbeat (Lease every 10 s; status when a pressure condition changes
// and at least every minute); run the static pods of --pod-manifest-path; watch the pods bound
// to this node and run them through PodWorkers over ContainerPodRuntime. Containers left running
// by an earlier run are adopted by their pods; those whose pod is gone (or going) are stopped
// once the pods are known — never two copies of a daemon on the host.
//
// stop() stops heartbeats and watches and leaves the containers running, as a kubelet restart
// does; `stopPods` also stops them (what `everynode up` does on Ctrl-C).
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.js';
import type { KObject } from '../api/object.js';
import { R } from '../client/client.js';
import { EventRecorder } from '../client/events.js';
import { HttpClient } from '../client/http.js';
import { Informer } from '../client/informer.js';
import { createContainerRuntime, type ClosableRuntime, type RuntimeKind } from './container-runtimes.js';
import { nodeCredentials, type NodeCredentials } from './credentials.js';
import { NodeHeartbeat } from './heartbeat.js';
import { hostNodeDescription, internalIPToward, nodeResources, pressureFrom, readHostFacts, readPressure } from './host-measurements.js';
import { ContainerPodRuntime } from './kubelet/container-pod-runtime.js';
import { LogServer } from './log-server.js';
import { registerNode } from './node-registration.js';
import { NO_PRESSURE, type NodeDescription, type NodePressure } from './node-status.js';
import { PodLogIndex } from './pod-log-index.js';
import { PodWorkers } from './pod-workers.js';
import { StaticPodManager } from './static-pods.js';

export interface HostAgentOptions {
  /** The API server URL. */
  server: string;
  /** The cluster CA (PEM). */
  ca: string;
  bootstrapToken: string;
  name: string;
  labels?: Record<string, string>;
  /** Given to the Node when it is created. */
  taints?: Taint[];
  runtime: RuntimeKind;
  stateDir: string;
  podManifestPath?: string;
  maxPods: number;
  /** The log endpoint's port (0: a free one); the Node reports it. */
  port: number;
  /** The address the log endpoint listens on (default: all). */
  address?: string;
  /** Node Lease renewal (default 10 s) and node status refresh (default 60 s). */
  renewIntervalMs?: number;
  statusIntervalMs?: number;
  /** How often memory, disk and pids are measured (default 10 s). */
  pressureCheckMs?: number;
  log: Logger;
}

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 7000;
/** Grace for containers found running whose pod is gone. */
const ORPHAN_GRACE_SECONDS = 30;

/** everynode's version in the kubelet's format: `v1.33.0-everynode.<package version>`. */
export function agentKubeletVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `v1.33.0-everynode.${pkg.version ?? '0'}`;
  } catch {
    return 'v1.33.0-everynode';
  }
}

/** Failures worth retrying: the server is unreachable or failing (not: it refuses us). */
function transient(err: unknown): boolean {
  return !(err instanceof ApiError) || err.code >= 500 || err.code === 429;
}

export class HostAgent {
  private readonly runtime: ClosableRuntime;
  private pods: ContainerPodRuntime | undefined;
  private index: PodLogIndex | undefined;
  private readonly logDir: string;
  private client: HttpClient | undefined;
  private heartbeatClient: HttpClient | undefined;
  private logServer: LogServer | undefined;
  private heartbeat: NodeHeartbeat | undefined;
  private workers: PodWorkers | undefined;
  private informer: Informer | undefined;
  private staticPods: StaticPodManager | undefined;
  private pressureTimer: NodeJS.Timeout | undefined;
  private pressure: NodePressure = NO_PRESSURE;
  private internalIP = '';
  private stopped = false;
  /** The Node as registered (what the agent reports). */
  description: NodeDescription | undefined;
  /** The port the log endpoint listens on. */
  port = 0;

  constructor(private readonly o: HostAgentOptions) {
    this.logDir = join(o.stateDir, 'logs');
    this.runtime = createContainerRuntime(o.runtime, o.stateDir, o.log);
  }

  get nodeName(): string {
    return this.o.name;
  }

  /** Resolves once the node is registered and its pods are watched; rejects on what retrying cannot fix. */
  async start(): Promise<void> {
    const { o } = this;
    mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
    const limitations = await this.runtime.check();
    for (const l of limitations ?? []) o.log.warn(`${o.runtime} runtime: ${l}`);
    const runtimeVersion = `${this.runtime.name}://${this.runtime.version}`;
    const facts = readHostFacts(o.stateDir);
    this.pods = new ContainerPodRuntime({
      runtime: this.runtime,
      hostIP: (nodeName) => (nodeName === o.name ? this.internalIP : undefined),
      logDir: this.logDir,
      allocatable: nodeResources({ ...facts, maxPods: o.maxPods }).allocatable,
      log: o.log,
    });
    const index = new PodLogIndex(this.pods, this.logDir);
    this.index = index;

    this.internalIP = await this.retry('find the address toward the API server', () => internalIPToward(o.server));
    const addresses = [...new Set([this.internalIP, hostname().toLowerCase()])];
    let creds = await this.retry('obtain the node credential', () => nodeCredentials({ server: o.server, ca: o.ca, bootstrapToken: o.bootstrapToken, nodeName: o.name, addresses, stateDir: o.stateDir }));
    this.connect(creds);
    // Credentials kept from an earlier run may have been revoked (a new cluster, a new node token key).
    if (await this.retry('reach the API server', () => this.credentialRefused())) {
      o.log.info('the stored node credential was refused; asking for a new one');
      creds = await this.retry('obtain the node credential', () => nodeCredentials({ server: o.server, ca: o.ca, bootstrapToken: o.bootstrapToken, nodeName: o.name, addresses, stateDir: o.stateDir, renew: true }));
      this.connect(creds);
    }
    if (this.stopped) return;

    this.logServer = new LogServer({ port: o.port, host: o.address, certPem: creds.certPem, keyPem: creds.keyPem, caPem: creds.caPem, apiServerClientName: creds.apiServerClientName, locator: index });
    this.port = await this.logServer.listen();

    this.pressure = pressureFrom(readPressure(o.stateDir));
    this.description = hostNodeDescription(
      { name: o.name, internalIP: this.internalIP, hostname: hostname(), labels: o.labels, taints: o.taints, maxPods: o.maxPods, containerRuntimeVersion: runtimeVersion, kubeletVersion: agentKubeletVersion(), kubeletPort: this.port },
      facts,
      this.pressure,
    );
    const d = this.description;
    const { node, created } = await this.retry('register the node', () => registerNode(this.client!, d));
    if (this.stopped) return;
    o.log.info({ node: o.name, internalIP: this.internalIP, created, runtime: runtimeVersion, logPort: this.port }, created ? 'registered node' : 'node already registered; taking it over');
    this.startHeartbeat(node);

    const client = this.client!;
    const recorder = new EventRecorder(client, 'kubelet', o.name, (err) => o.log.debug({ err }, 'failed to record event'));
    const onEvent = (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void => recorder.event(pod as KObject, type, reason, message);
    if (o.podManifestPath) {
      this.staticPods = new StaticPodManager({ manifestDir: o.podManifestPath, nodeName: o.name, runtime: index, client, log: o.log, hostIP: this.internalIP, onEvent });
      await this.staticPods.start();
    }
    const workers = new PodWorkers({ client, runtime: index, hostIP: (n) => (n === o.name ? this.internalIP : undefined), log: o.log, onEvent });
    this.workers = workers;
    const informer = new Informer(client, R.pods, undefined, { fieldSelector: `spec.nodeName=${o.name}` });
    this.informer = informer;
    informer.on({
      add: (obj) => workers.observe(obj as Pod),
      update: (obj, old) => {
        if (old.metadata.uid !== obj.metadata.uid) workers.forget(old as Pod);
        workers.observe(obj as Pod);
      },
      delete: (obj) => workers.forget(obj as Pod),
    });
    await this.retry('list the pods of the node', () => informer.start());
    if (this.stopped) return;
    // In the background: an orphan's grace period must not hold the new pods back.
    void this.stopOrphans(informer.list() as Pod[]).catch((err: unknown) => o.log.warn({ err }, 'stopping containers of pods that are gone failed'));
    o.log.info({ node: o.name, pods: workers.size, staticPods: this.staticPods?.pods().length ?? 0 }, 'watching pods');
  }

  /**
   * Stops heartbeats, watches and the log endpoint. The containers keep running unless
   * `stopPods` (then each is given its grace period, at most `maxGraceSeconds`).
   */
  async stop(opts: { stopPods?: boolean; maxGraceSeconds?: number } = {}): Promise<void> {
    this.stopped = true;
    clearInterval(this.pressureTimer);
    this.heartbeat?.stop();
    this.informer?.stop();
    this.workers?.stop();
    this.staticPods?.stop();
    const index = this.index;
    if (opts.stopPods && index) {
      const max = opts.maxGraceSeconds ?? 30;
      await Promise.all(index.running().map((p) => index.stopPod(p.metadata!.uid!, Math.min(p.spec?.terminationGracePeriodSeconds ?? 30, max))));
    }
    await this.logServer?.close();
    this.runtime.close();
    this.client?.close();
    this.heartbeatClient?.close();
  }

  private connect(creds: NodeCredentials): void {
    this.client?.close();
    this.heartbeatClient?.close();
    this.client = new HttpClient({ server: this.o.server, token: creds.token, ca: creds.caPem });
    // Heartbeats have their own connections and give up on a silent one, so that a node cut off
    // from the server notices when the network is back (a request on a dead connection would
    // otherwise wait for TCP to give up, minutes later).
    const renewMs = this.o.renewIntervalMs ?? 10_000;
    this.heartbeatClient = new HttpClient({ server: this.o.server, token: creds.token, ca: creds.caPem, maxSockets: 4, timeoutMs: Math.max(renewMs, 5000) });
  }

  /** true when the API server does not accept the node credential (401). */
  private async credentialRefused(): Promise<boolean> {
    try {
      await this.client!.get(R.nodes, undefined, this.o.name);
      return false;
    } catch (err) {
      if (err instanceof ApiError && err.code === 401) return true;
      if (err instanceof ApiError && err.code === 404) return false;
      throw err;
    }
  }

  private startHeartbeat(node: Node): void {
    const { o } = this;
    this.heartbeat = new NodeHeartbeat(node, {
      client: this.heartbeatClient!,
      log: o.log,
      renewIntervalMs: o.renewIntervalMs,
      statusIntervalMs: o.statusIntervalMs,
      pressure: () => this.pressure,
    });
    this.heartbeat.start();
    this.pressureTimer = setInterval(() => {
      const now = pressureFrom(readPressure(o.stateDir));
      if (now.memory === this.pressure.memory && now.disk === this.pressure.disk && now.pid === this.pressure.pid) return;
      o.log.warn({ node: o.name, pressure: now }, 'node pressure changed');
      this.pressure = now;
      this.heartbeat?.refresh();
    }, o.pressureCheckMs ?? 10_000);
    this.pressureTimer.unref();
  }

  /**
   * Stops the containers found running whose pod will not run here again: gone from the API,
   * being deleted, finished, or a static pod no longer in the manifests.
   */
  private async stopOrphans(apiPods: Pod[]): Promise<void> {
    const keep = apiPods
      .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .map((p) => p.metadata!.uid!);
    for (const p of this.staticPods?.pods() ?? []) keep.push(p.metadata!.uid!);
    const stopped = await this.pods!.reconcileOrphans(keep, ORPHAN_GRACE_SECONDS);
    if (stopped > 0) this.o.log.info({ containers: stopped }, 'stopped containers left running for pods that are gone');
  }

  /** Runs `fn` until it succeeds, backing off while the server is unreachable; a refusal (4xx) is thrown. */
  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let failures = 0; ; failures++) {
      try {
        return await fn();
      } catch (err) {
        if (this.stopped || !transient(err)) throw err;
        const delay = Math.min(RETRY_BASE_MS * 2 ** failures, RETRY_MAX_MS);
        this.o.log.warn({ err: (err as Error).message, retryInMs: delay }, `unable to ${what}; retrying`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}
