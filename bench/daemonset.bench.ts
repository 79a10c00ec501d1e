// Issue 3's benchmark: a real `everynode server` (all controllers) and one `everynode agent
// --simulate 5000` process (pods Running+Ready 200 ms after they start) on the same host.
//   1. waits until all 5,000 simulated nodes are Ready;
//   2. applies the fluentd-elasticsearch DaemonSet (shared/examples, own namespace, rolling
//      update with maxUnavailable 10%) with the real kubectl and measures until all pods are
//      created, bound, Running+Ready and the DaemonSet status reads 5000 5000 5000 5000 5000;
//   3. `kubectl set image` and times until `kubectl rollout status` succeeds;
//   4. reads the server's and the agent's memory and CPU time from /proc.
// Prints figures; missing a target is not a failure. BENCH_DS_NODES changes the node count;
// BENCH_SERVER_NODE_ARGS / BENCH_AGENT_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
// pass node flags to the server / agent process (both are stopped with SIGTERM so profiles are written).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { TestServer } from '../test/helpers/server.js';
import { ApiClient } from './lib/http.js';
import { processCpuMs, processMemory, until } from './lib/measure.js';
import { fmt, machineNote, printTable, progress, type Figure } from './lib/report.js';

const NODES = Number(process.env.BENCH_DS_NODES ?? 5000);
const NAMESPACE = 'ds-bench';
const DS_NAME = 'fluentd-elasticsearch';
const CONTAINER = 'fluentd-elasticsearch';
const NEW_IMAGE = 'xianchao/fluentd:v2.5.2';
const KUBECTL = '1.33';
const CREATE_TARGET_MS = 10_000;
const ROLLOUT_TARGET_MS = 30_000;
const RSS_TARGET_MB = 600;
const ROOT = new URL('..', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');
const EXAMPLE = join(ROOT, '..', 'shared', 'examples', 'fluentd-elasticsearch.yaml');
const nodeArgs = (name: string): string[] => (process.env[name] ?? '').split(/\s+/).filter(Boolean);

interface Condition {
  type: string;
  status: string;
}
interface WatchEvent<T> {
  type: string;
  object: T;
}
interface PodLike {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { phase?: string; conditions?: Condition[] };
}
interface DaemonSetLike {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
  };
}

/** What the pod watch has seen of one pod. */
interface PodSeen {
  bound: boolean;
  ready: boolean;
  image: string;
  terminating: boolean;
}

const isReady = (conditions: Condition[] | undefined): boolean => conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The five numbers `kubectl get ds` prints: DESIRED CURRENT READY UP-TO-DATE AVAILABLE. */
function dsColumns(ds: DaemonSetLike | undefined): string {
  const s = ds?.status ?? {};
  return [s.desiredNumberScheduled, s.currentNumberScheduled, s.numberReady, s.updatedNumberScheduled, s.numberAvailable].map((n) => n ?? 0).join(' ');
}

function dsDone(ds: DaemonSetLike | undefined): boolean {
  return ds !== undefined && (ds.status?.observedGeneration ?? 0) >= (ds.metadata.generation ?? 1) && dsColumns(ds) === Array(5).fill(NODES).join(' ');
}

/** The example DaemonSet in the bench namespace, rolling out 10% of the nodes at a time. */
function daemonSetManifest(): string {
  const ds = YAML.parse(readFileSync(EXAMPLE, 'utf8')) as { metadata: { namespace: string }; spec: Record<string, unknown> };
  ds.metadata.namespace = NAMESPACE;
  ds.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } };
  return YAML.stringify(ds);
}

const server = await TestServer.start({ nodeArgs: nodeArgs('BENCH_SERVER_NODE_ARGS') });
const serverPid = server.proc!.pid!;
const api = new ApiClient(server.url, server.token, server.ca, 4);
const figures: Figure[] = [];
progress(`server at ${server.url}; starting an agent with ${NODES} simulated nodes`);

const agent = spawn(
  process.execPath,
  [...nodeArgs('BENCH_AGENT_NODE_ARGS'), MAIN, 'agent', '--server', server.url, '--token-file', join(server.dataDir, 'agent-token'), '--simulate', String(NODES)],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let agentLog = '';
agent.stderr!.on('data', (c: Buffer) => (agentLog = (agentLog + c.toString()).slice(-20_000)));
const agentPid = agent.pid!;
const kubectl = (args: string[], input?: string, timeoutMs?: number) => server.kubectl(KUBECTL, args, { input, timeoutMs });

/** Set when a phase cannot go on: the table of what was measured is printed first, then it is thrown. */
let failure: unknown;

/** Prints `line()` every second until stopped. */
function ticker(line: () => string): { stop(): void } {
  const timer = setInterval(() => progress(line()), 1000);
  return { stop: () => clearInterval(timer) };
}

try {
  // 1. All nodes Ready.
  const readyNodes = new Set<string>();
  const t0 = performance.now();
  const nodeWatch = await api.watch('/api/v1/nodes?watch=true', (line) => {
    const e = JSON.parse(line) as WatchEvent<{ metadata: { name: string }; status?: { conditions?: Condition[] } }>;
    if (e.type !== 'DELETED' && isReady(e.object.status?.conditions)) readyNodes.add(e.object.metadata.name);
    else readyNodes.delete(e.object.metadata.name);
  });
  const nodeTicker = ticker(() => `nodes Ready: ${readyNodes.size}/${NODES}`);
  const nodesReady = await until(() => readyNodes.size >= NODES || agent.exitCode !== null, 180_000);
  nodeTicker.stop();
  nodeWatch.stop();
  if (!nodesReady || readyNodes.size < NODES) throw new Error(`only ${readyNodes.size} nodes Ready:\n${agentLog.slice(-2000)}`);
  figures.push({ name: `agent start → ${NODES} nodes Ready`, measured: fmt.ms(performance.now() - t0), target: '' });
  progress(`${NODES} nodes Ready`);

  // 2. The DaemonSet: created, bound, Running+Ready.
  await api.ok('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }));
  const pods = new Map<string, PodSeen>();
  let created = 0;
  let bound = 0;
  let ready = 0;
  const podWatch = await api.watch(`/api/v1/namespaces/${NAMESPACE}/pods?watch=true`, (line) => {
    const e = JSON.parse(line) as WatchEvent<PodLike>;
    const name = e.object.metadata.name;
    const before = pods.get(name);
    if (!before) created++;
    if (before?.bound) bound--;
    if (before?.ready) ready--;
    if (e.type === 'DELETED') {
      pods.delete(name);
      return;
    }
    const seen: PodSeen = {
      bound: Boolean(e.object.spec.nodeName),
      ready: e.object.status?.phase === 'Running' && isReady(e.object.status.conditions),
      image: e.object.spec.containers[0]?.image ?? '',
      terminating: Boolean(e.object.metadata.deletionTimestamp),
    };
    pods.set(name, seen);
    if (seen.bound) bound++;
    if (seen.ready) ready++;
  });
  let ds: DaemonSetLike | undefined;
  const dsWatch = await api.watch(`/apis/apps/v1/namespaces/${NAMESPACE}/daemonsets?watch=true`, (line) => {
    const e = JSON.parse(line) as WatchEvent<DaemonSetLike>;
    ds = e.type === 'DELETED' ? undefined : e.object;
  });

  const mark = { created: NaN, bound: NaN, ready: NaN };
  const serverCpu0 = processCpuMs(serverPid);
  const agentCpu0 = processCpuMs(agentPid);
  const c0 = performance.now();
  const applied = await kubectl(['apply', '-f', '-'], daemonSetManifest());
  if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr}`);
  const createTicker = ticker(() => `created ${created}  bound ${bound}  Running+Ready ${ready}  (ds: ${dsColumns(ds)})`);
  const createdDone = await until(() => {
    const now = performance.now() - c0;
    if (Number.isNaN(mark.created) && created >= NODES) mark.created = now;
    if (Number.isNaN(mark.bound) && bound >= NODES) mark.bound = now;
    if (Number.isNaN(mark.ready) && ready >= NODES) mark.ready = now;
    return dsDone(ds);
  }, 180_000);
  const createMs = performance.now() - c0;
  createTicker.stop();
  const serverCreateCpu = processCpuMs(serverPid) - serverCpu0;
  const agentCreateCpu = processCpuMs(agentPid) - agentCpu0;
  const at = (ms: number, what: number): string => (Number.isNaN(ms) ? `only ${what}` : fmt.ms(ms));
  figures.push({ name: `new DaemonSet: all ${NODES} pods created`, measured: at(mark.created, created), target: '' });
  figures.push({ name: `new DaemonSet: all ${NODES} pods bound`, measured: at(mark.bound, bound), target: '' });
  figures.push({ name: `new DaemonSet: all ${NODES} pods Running+Ready`, measured: at(mark.ready, ready), target: '' });
  figures.push({
    name: `new DaemonSet: status ${Array(5).fill(NODES).join(' ')}`,
    measured: createdDone ? fmt.ms(createMs) : `${dsColumns(ds)} after 180 s`,
    target: `< ${CREATE_TARGET_MS / 1000} s`,
    ok: createdDone && createMs < CREATE_TARGET_MS,
  });
  figures.push({ name: '  server / agent CPU meanwhile', measured: `${(serverCreateCpu / 1000).toFixed(1)} s / ${(agentCreateCpu / 1000).toFixed(1)} s`, target: '' });
  progress(`DaemonSet ${createdDone ? 'complete' : 'incomplete'} after ${fmt.ms(createMs)}: ${dsColumns(ds)}`);
  if (!createdDone) throw new Error('the DaemonSet never completed; skipping the rolling update');

  // 3. Rolling update with maxUnavailable 10%.
  const serverCpu1 = processCpuMs(serverPid);
  const agentCpu1 = processCpuMs(agentPid);
  const r0 = performance.now();
  const setImage = await kubectl(['-n', NAMESPACE, 'set', 'image', `ds/${DS_NAME}`, `${CONTAINER}=${NEW_IMAGE}`]);
  if (setImage.code !== 0) throw new Error(`kubectl set image: ${setImage.stderr}`);
  const rolloutTicker = ticker(() => {
    let updatedReady = 0;
    let old = 0;
    let terminating = 0;
    for (const p of pods.values()) {
      if (p.terminating) terminating++;
      else if (p.image !== NEW_IMAGE) old++;
      else if (p.ready) updatedReady++;
    }
    return `updated+Ready ${updatedReady}  old ${old}  terminating ${terminating}  (ds: ${dsColumns(ds)})`;
  });
  const status = await kubectl(['-n', NAMESPACE, 'rollout', 'status', `ds/${DS_NAME}`, '--timeout=300s'], undefined, 320_000);
  const rolloutMs = performance.now() - r0;
  rolloutTicker.stop();
  const rolledOut = status.code === 0;
  figures.push({
    name: 'rolling update (maxUnavailable 10%): set image → rollout status',
    measured: rolledOut ? fmt.ms(rolloutMs) : `failed (${status.stderr.trim() || status.stdout.trim().split('\n').pop()})`,
    target: `< ${ROLLOUT_TARGET_MS / 1000} s`,
    ok: rolledOut && rolloutMs < ROLLOUT_TARGET_MS,
  });
  figures.push({
    name: '  server / agent CPU meanwhile',
    measured: `${((processCpuMs(serverPid) - serverCpu1) / 1000).toFixed(1)} s / ${((processCpuMs(agentPid) - agentCpu1) / 1000).toFixed(1)} s`,
    target: '',
  });
  progress(`rollout status ${rolledOut ? 'succeeded' : 'failed'} after ${fmt.ms(rolloutMs)}: ${status.stdout.trim().split('\n').pop()}`);
  podWatch.stop();
  dsWatch.stop();

  // 4. Memory and CPU at the end.
  const serverMem = processMemory(serverPid);
  const agentMem = processMemory(agentPid);
  figures.push({ name: 'server memory (RSS) at the end', measured: fmt.mb(serverMem.rssMb), target: `< ${RSS_TARGET_MB} MB`, ok: serverMem.rssMb < RSS_TARGET_MB });
  figures.push({ name: 'server memory (RSS), peak', measured: fmt.mb(serverMem.peakMb), target: '' });
  figures.push({ name: 'agent memory (RSS) at the end / peak', measured: `${fmt.mb(agentMem.rssMb)} / ${fmt.mb(agentMem.peakMb)}`, target: '' });
  figures.push({
    name: 'CPU time in total: server / agent',
    measured: `${(processCpuMs(serverPid) / 1000).toFixed(1)} s / ${(processCpuMs(agentPid) / 1000).toFixed(1)} s`,
    target: '',
  });
} catch (err) {
  failure = err;
} finally {
  if (agent.exitCode === null) {
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
  }
  api.close();
  await server.stop(); // SIGTERM, so a --cpu-prof profile is written
  await server.destroy();
}

printTable(`DaemonSet on ${NODES} simulated nodes — ${machineNote()}`, figures);
if (failure) throw failure;
