// A real agent (process runtime) on this host, beside a real `everynode server`:
//   1. its memory when idle with 3 pods running (sleeping shell loops), target < 80 MB RSS;
//   2. pod start latency: 100 pods created one by one, each bound to the node (no scheduler in
//      the way: this is the agent's part), each timed from the create request to the watch event
//      saying Running and Ready, before the next is created. p50/p99; target p99 < 1 s
//      (Kubernetes' SLO is 5 s, image pulls excluded).
// Prints figures; missing a target is not a failure. BENCH_AGENT_PODS changes the pod count.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLeftovers } from '../test/helpers/processes.js';
import { TestServer } from '../test/helpers/server.js';
import { ApiClient } from './lib/http.js';
import { percentile, processMemory, until } from './lib/measure.js';
import { fmt, machineNote, printTable, progress, type Figure } from './lib/report.js';

const PODS = Number(process.env.BENCH_AGENT_PODS ?? 100);
const IDLE_PODS = 3;
const IDLE_MS = 20_000;
const NAMESPACE = 'agent-bench';
const MAIN = join(new URL('..', import.meta.url).pathname, 'dist/cli/main.js');
const NODE = `bench-${randomBytes(3).toString('hex')}`;
const MARK = `ab${randomBytes(4).toString('hex')}`;

interface PodEvent {
  type: string;
  object: { metadata: { name: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };
}

function pod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', `while true; do sleep 5; done # ${MARK}`] }],
    },
  });
}

const server = await TestServer.start();
const api = new ApiClient(server.url, server.token, server.ca, 8);
const stateDir = mkdtempSync(join(tmpdir(), 'everynode-agent-bench-'));
const figures: Figure[] = [];

const agent = spawn(process.execPath, [MAIN, 'agent', '--server', server.url, '--token-file', join(server.dataDir, 'agent-token'), '--name', NODE, '--state-dir', stateDir, '--port', '0'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let agentLog = '';
agent.stderr!.on('data', (c: Buffer) => (agentLog += c.toString()));
const pid = agent.pid!;

/** When each pod was first seen Running and Ready (performance.now()), and which pods exist. */
const readyAt = new Map<string, number>();
const present = new Set<string>();

try {
  if (!(await until(() => agentLog.includes('"msg":"watching pods"'), 60_000))) throw new Error(`agent did not start:\n${agentLog.slice(-2000)}`);
  progress(`server at ${server.url}; agent ${pid} runs node ${NODE}`);
  await api.ok('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }));
  const watch = await api.watch(`/api/v1/namespaces/${NAMESPACE}/pods?watch=true`, (line, at) => {
    const e = JSON.parse(line) as PodEvent;
    const name = e.object.metadata.name;
    if (e.type === 'DELETED') return void present.delete(name);
    present.add(name);
    const ready = e.object.status?.phase === 'Running' && e.object.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready && !readyAt.has(name)) readyAt.set(name, at);
  });

  // 1. Idle with 3 pods.
  for (let i = 0; i < IDLE_PODS; i++) await api.ok('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, pod(`idle-${i}`));
  if (!(await until(() => [...readyAt.keys()].filter((n) => n.startsWith('idle-')).length === IDLE_PODS, 30_000))) throw new Error('the idle pods did not become ready');
  progress(`${IDLE_PODS} pods running; idling ${IDLE_MS / 1000} s`);
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idle = processMemory(pid).rssMb;
  figures.push({ name: `agent memory (RSS), idle with ${IDLE_PODS} pods`, measured: fmt.mb(idle), target: '< 80 MB', ok: idle < 80 });
  progress(`idle RSS ${fmt.mb(idle)}`);

  // 2. Start latency, one pod at a time.
  const latencies: number[] = [];
  for (let i = 0; i < PODS; i++) {
    const name = `start-${i}`;
    const t0 = performance.now();
    await api.ok('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, pod(name));
    if (!(await until(() => readyAt.has(name), 30_000))) throw new Error(`${name} did not become ready in 30 s`);
    latencies.push(readyAt.get(name)! - t0);
  }
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  figures.push({ name: `pod start, created → Running+Ready (${PODS} pods one by one), p50`, measured: fmt.ms(p50), target: '' });
  figures.push({ name: `pod start, created → Running+Ready, p99`, measured: fmt.ms(p99), target: '< 1 s', ok: p99 < 1000 });
  figures.push({ name: 'pod start, max', measured: fmt.ms(Math.max(...latencies)), target: '' });
  progress(`start latency p50 ${fmt.ms(p50)}, p99 ${fmt.ms(p99)}`);
  figures.push({ name: `agent memory (RSS) with ${PODS + IDLE_PODS} pods`, measured: fmt.mb(processMemory(pid).rssMb), target: '' });

  const d0 = performance.now();
  await api.ok('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods`, JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1' }));
  const gone = await until(() => present.size === 0, 60_000);
  figures.push({ name: `${PODS + IDLE_PODS} pods: graceful delete → all gone`, measured: gone ? fmt.ms(performance.now() - d0) : `${present.size} left after 60 s`, target: '', ok: gone ? undefined : false });
  watch.stop();
} finally {
  const exited = new Promise<void>((r) => agent.once('exit', () => r()));
  agent.kill('SIGTERM');
  await exited;
  // Whatever a failure left running (found by the marker in its command line), stopped by pid.
  killLeftovers(MARK);
  api.close();
  await server.destroy();
  rmSync(stateDir, { recursive: true, force: true });
}

printTable(`real agent, process runtime — ${machineNote()}`, figures);
