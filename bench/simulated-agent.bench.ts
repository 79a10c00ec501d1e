// The simulated agent at scale: a real `everynode server` and one `everynode agent --simulate
// 5000` process on the same host.
//   1. how long registering 5,000 Nodes (and creating their Leases) takes;
//   2. the agent's CPU at steady state (leases every 10 s, node status every minute), and
//      whether every Lease was renewed within its 10 s period;
//   3. 5,000 pods created already bound (one per node, 32 in flight): time until all are
//      Running and Ready, then deleted (graceful deletion completed by the agent) until gone.
// Prints figures; missing a target is not a failure. BENCH_SIM_NODES changes the node count.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TestServer } from '../test/helpers/server.js';
import { ApiClient } from './lib/http.js';
import { inFlight, processCpuMs, processMemory, until } from './lib/measure.js';
import { fmt, machineNote, printTable, progress, type Figure } from './lib/report.js';

const NODES = Number(process.env.BENCH_SIM_NODES ?? 5000);
const STEADY_MS = 30_000;
const IN_FLIGHT = 32;
const NAMESPACE = 'sim-bench';
const MAIN = join(new URL('..', import.meta.url).pathname, 'dist/cli/main.js');

const server = await TestServer.start();
const api = new ApiClient(server.url, server.token, server.ca, IN_FLIGHT);
const figures: Figure[] = [];
progress(`server at ${server.url}; starting an agent with ${NODES} simulated nodes`);

const t0 = performance.now();
const agent = spawn(process.execPath, [MAIN, 'agent', '--server', server.url, '--token-file', join(server.dataDir, 'agent-token'), '--simulate', String(NODES)], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let agentLog = '';
agent.stderr!.on('data', (c: Buffer) => (agentLog += c.toString()));
const pid = agent.pid!;

try {
  if (!(await until(() => agentLog.includes('"msg":"watching pods"'), 120_000))) throw new Error(`agent did not start:\n${agentLog.slice(-2000)}`);
  const registeredMs = Number(/"ms":(\d+),"msg":"registered/.exec(agentLog)?.[1]);
  figures.push({ name: `register ${NODES} nodes`, measured: fmt.ms(registeredMs), target: '' });
  figures.push({ name: 'agent start → watching pods', measured: fmt.ms(performance.now() - t0), target: '' });
  progress(`registered ${NODES} nodes in ${fmt.ms(registeredMs)}`);

  // Let the first lease writes and the spread-out first renewals pass, then measure.
  await new Promise((r) => setTimeout(r, 12_000));
  const cpu0 = processCpuMs(pid);
  const serverCpu0 = processCpuMs(server.proc!.pid!);
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, STEADY_MS));
  const wall = performance.now() - w0;
  const agentCpu = (processCpuMs(pid) - cpu0) / wall;
  const serverCpu = (processCpuMs(server.proc!.pid!) - serverCpu0) / wall;
  figures.push({ name: 'agent CPU, steady state (leases + status)', measured: `${(agentCpu * 100).toFixed(1)} % of a core`, target: '< 100 %', ok: agentCpu < 1 });
  figures.push({ name: 'server CPU, same period', measured: `${(serverCpu * 100).toFixed(1)} % of a core`, target: '' });

  const leases = JSON.parse((await api.ok('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).text) as { items: { spec: { renewTime: string } }[] };
  const now = Date.now();
  const ages = leases.items.map((l) => now - Date.parse(l.spec.renewTime));
  const oldest = Math.max(...ages);
  figures.push({ name: 'leases', measured: `${leases.items.length}`, target: String(NODES), ok: leases.items.length === NODES });
  figures.push({ name: 'oldest lease renewTime', measured: fmt.ms(oldest), target: '< 10 s (+ slack)', ok: oldest < 12_000 });
  figures.push({ name: 'agent memory (RSS), idle', measured: fmt.mb(processMemory(pid).rssMb), target: '' });
  progress(`steady state: agent ${(agentCpu * 100).toFixed(1)} % CPU, oldest lease ${fmt.ms(oldest)}`);

  // Pods bound directly to the simulated nodes (no scheduler involved).
  await api.ok('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }));
  let ready = 0;
  let present = 0;
  const readyPods = new Set<string>();
  const livePods = new Set<string>();
  const watch = await api.watch(`/api/v1/namespaces/${NAMESPACE}/pods?watch=true`, (line) => {
    const e = JSON.parse(line) as { type: string; object: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } } };
    const name = e.object.metadata.name;
    if (e.type === 'DELETED') livePods.delete(name);
    else livePods.add(name);
    if (e.type !== 'DELETED' && e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) readyPods.add(name);
    ready = readyPods.size;
    present = livePods.size;
  });
  const podCpu0 = processCpuMs(pid);
  const p0 = performance.now();
  const created = await inFlight(NODES, IN_FLIGHT, async (i) => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${i}`, namespace: NAMESPACE, labels: { app: 'sim-bench' } },
      spec: { nodeName: `sim-${i}`, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9' }], terminationGracePeriodSeconds: 5 },
    };
    await api.ok('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, JSON.stringify(pod));
  });
  progress(`created ${NODES} pods in ${fmt.ms(created.elapsedMs)}`);
  const allReady = await until(() => ready >= NODES, 120_000);
  const readyMs = performance.now() - p0;
  figures.push({ name: `${NODES} bound pods: created → all Running+Ready`, measured: allReady ? fmt.ms(readyMs) : `only ${ready} in 120 s`, target: '', ok: allReady ? undefined : false });
  figures.push({ name: 'agent CPU while starting them', measured: `${fmt.ms(processCpuMs(pid) - podCpu0)} of CPU`, target: '' });
  progress(`all pods ready after ${fmt.ms(readyMs)}`);

  const d0 = performance.now();
  await api.ok('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods`, JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1' }));
  const allGone = await until(() => present === 0, 120_000);
  figures.push({ name: `${NODES} pods: graceful delete → all gone`, measured: allGone ? fmt.ms(performance.now() - d0) : `${present} left after 120 s`, target: '', ok: allGone ? undefined : false });
  figures.push({ name: 'agent memory (RSS), peak', measured: fmt.mb(processMemory(pid).peakMb), target: '' });
  watch.stop();
} finally {
  const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
  agent.kill('SIGTERM');
  const code = await exited;
  figures.push({ name: 'agent exit code on SIGTERM', measured: String(code), target: '0', ok: code === 0 });
  api.close();
  await server.destroy();
}

printTable(`simulated agent, ${NODES} nodes — ${machineNote()}`, figures);
