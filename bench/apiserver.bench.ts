// Issue 2's benchmark: a real `everynode server` process driven over HTTPS.
//   1. creates 5,000 Nodes and 5,000 Pods with exactly 32 requests in flight;
//   2. LISTs all pods (JSON and kubectl's Table form) and all nodes;
//   3. opens 200 pod watches from the list's resourceVersion (informer-like: most watch
//      everything, others a namespace, a label selector, a node, or kubectl's Table stream),
//      patches 1,000 pods' status (kubelet-style strategic merge patch on /status, 32 in
//      flight) and measures how long each event takes to reach each watch;
//   4. reads the server's memory from /proc.
// Prints figures; missing a target is not a failure. Set BENCH_SERVER_NODE_ARGS (e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/prof") to pass node flags to the server process only.
import { API_ONLY, TestServer } from '../test/helpers/server.js';
import { ApiClient, TABLE_ACCEPT, type WatchStream } from './lib/http.js';
import { inFlight, percentile, processCpuMs, processMemory, ratePerSecond, timed, until, type Run } from './lib/measure.js';
import { fmt, machineNote, printTable, progress, type Figure } from './lib/report.js';

const NODES = 5_000;
const PODS = 5_000;
const IN_FLIGHT = 32;
const WATCHES = 200;
const NAMESPACES = 4;
const APPS = 16;
/** Every 5th pod gets a status update: 1,000 updates spread over all namespaces and apps. */
const UPDATED_EVERY = 5;
const LIST_RUNS = 3;

const nodeName = (i: number): string => `node-${String(i).padStart(4, '0')}`;
const namespaceOf = (i: number): string => `bench-${i % NAMESPACES}`;
const appOf = (i: number): string => `app-${i % APPS}`;
const podName = (i: number): string => `web-${String(i).padStart(4, '0')}`;
const timestamp = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function nodeObject(i: number): object {
  const name = nodeName(i);
  const cidr = `10.${(i >> 8) & 255}.${i & 255}.0/24`;
  const now = timestamp();
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: now, lastTransitionTime: now, reason, message });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm5.large',
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr], providerID: `aws:///eu-west-1a/i-0${(1e12 + i).toString(16)}` },
    status: {
      capacity: { cpu: '2', memory: '8029468Ki', pods: '110', 'ephemeral-storage': '101203028Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' },
      allocatable: { cpu: '1930m', memory: '7275804Ki', pods: '110', 'ephemeral-storage': '93269786574', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: `172.20.${(i >> 8) & 255}.${i & 255}` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: `ec2${(1e15 + i).toString(16)}`,
        systemUUID: `ec2${(2e15 + i).toString(16)}`,
        bootID: `${(3e15 + i).toString(16)}-0000-4000-8000-000000000000`,
        kernelVersion: '6.1.0-18-cloud-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.13',
        kubeletVersion: 'v1.33.0',
        kubeProxyVersion: 'v1.33.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

function podObject(i: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(i),
      namespace: namespaceOf(i),
      labels: { app: appOf(i), tier: 'frontend', 'pod-template-hash': '5d4f8c7b9' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9113' },
    },
    spec: {
      nodeName: nodeName(i),
      containers: [
        {
          name: 'web',
          image: 'registry.k8s.io/nginx-slim:0.27',
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 10 },
        },
      ],
      tolerations: [
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
      ],
      terminationGracePeriodSeconds: 30,
    },
  };
}

/** What a kubelet sends when the pod's container starts and becomes ready. */
function runningStatusPatch(i: number): string {
  const now = timestamp();
  const ip = `10.${(i >> 8) & 255}.${i & 255}.2`;
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
  return JSON.stringify({
    status: {
      phase: 'Running',
      hostIP: `172.20.${(i >> 8) & 255}.${i & 255}`,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
      containerStatuses: [
        {
          name: 'web',
          ready: true,
          started: true,
          restartCount: 0,
          image: 'registry.k8s.io/nginx-slim:0.27',
          imageID: 'registry.k8s.io/nginx-slim@sha256:8b9c6f3a0e3e2b1f6c3f4a4f0b2f5c4e3d2c1b0a9f8e7d6c5b4a39281706f5e4',
          containerID: `containerd://${(4e15 + i).toString(16)}`,
          state: { running: { startedAt: now } },
        },
      ],
    },
  });
}

/** One watch the bench opens, and which pods' updates it must see. */
interface WatchSpec {
  label: string;
  path: string;
  table: boolean;
  wants: (i: number) => boolean;
}

function watchSpecs(rv: string): WatchSpec[] {
  const q = (extra: string) => `?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true${extra}`;
  const specs: WatchSpec[] = [];
  for (let k = 0; k < WATCHES; k++) {
    if (k < 110) specs.push({ label: 'all pods', path: `/api/v1/pods${q('')}`, table: false, wants: () => true });
    else if (k < 150) {
      const ns = `bench-${k % NAMESPACES}`;
      specs.push({ label: 'one namespace', path: `/api/v1/namespaces/${ns}/pods${q('')}`, table: false, wants: (i) => namespaceOf(i) === ns });
    } else if (k < 180) {
      const app = `app-${k % APPS}`;
      specs.push({ label: 'label selector', path: `/api/v1/pods${q(`&labelSelector=${encodeURIComponent(`app=${app}`)}`)}`, table: false, wants: (i) => appOf(i) === app });
    } else if (k < 195) {
      const pod = (k - 180) * UPDATED_EVERY * 61; // an updated pod, as a kubelet would watch its node
      const node = nodeName(pod);
      specs.push({ label: 'node field selector', path: `/api/v1/pods${q(`&fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`)}`, table: false, wants: (i) => nodeName(i) === node });
    } else specs.push({ label: 'kubectl get -A -w (Table)', path: `/api/v1/pods${q('')}`, table: true, wants: () => true });
  }
  return specs;
}

/** What one open watch received: resourceVersions and arrival times, in order. */
class WatchLog {
  readonly rvs: number[] = [];
  readonly at: number[] = [];
  problems: string[] = [];
  private checked = false;
  stream: WatchStream | undefined;

  constructor(readonly spec: WatchSpec) {}

  /** Takes type and resourceVersion from the line's text; the first line is fully parsed as a check. */
  onLine(line: string, at: number): void {
    if (!line.startsWith('{"type":"')) return void this.problems.push(`malformed line: ${line.slice(0, 80)}`);
    const type = line.slice(9, line.indexOf('"', 9));
    if (type === 'BOOKMARK') return; // informer-style watches ask for them; nothing to measure
    if (type !== 'MODIFIED') return void this.problems.push(`unexpected ${type}: ${line.slice(0, 200)}`);
    const start = line.indexOf('"resourceVersion":"') + 19;
    const rv = Number(line.slice(start, line.indexOf('"', start)));
    if (!this.checked) {
      this.checked = true;
      const e = JSON.parse(line) as { object: { kind: string; metadata: { resourceVersion: string } } };
      const expectKind = this.spec.table ? 'Table' : 'Pod';
      if (e.object.kind !== expectKind || e.object.metadata.resourceVersion !== String(rv)) this.problems.push(`first event is not a ${expectKind} with resourceVersion ${rv}`);
    }
    this.rvs.push(rv);
    this.at.push(at);
  }
}

async function main(): Promise<void> {
  console.log(`apiserver bench: ${machineNote()}`);
  const benchStarted = performance.now();
  const clientCpuStart = process.cpuUsage();
  const serverFlags = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const server = await TestServer.start({ nodeArgs: serverFlags, args: API_ONLY });
  const pid = server.proc!.pid!;
  const api = new ApiClient(server.url, server.token, server.ca, IN_FLIGHT);
  const figures: Figure[] = [];
  const memory: { phase: string; rssMb: number }[] = [];
  const noteMemory = (phase: string): void => {
    const m = processMemory(pid);
    memory.push({ phase, rssMb: m.rssMb });
    progress(`server RSS ${fmt.mb(m.rssMb)} (peak ${fmt.mb(m.peakMb)}) ${phase}`);
  };
  try {
    progress(`server pid ${pid} at ${server.url}`);
    noteMemory('at start');
    for (let n = 0; n < NAMESPACES; n++) await api.ok('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: `bench-${n}` } }));

    // 1. Creates.
    const nodeBodies = Array.from({ length: NODES }, (_, i) => JSON.stringify(nodeObject(i)));
    const podBodies = Array.from({ length: PODS }, (_, i) => JSON.stringify(podObject(i)));
    progress(`creating ${NODES} nodes, ${IN_FLIGHT} in flight...`);
    const cpuStart = processCpuMs(pid);
    const nodeRun = await inFlight(NODES, IN_FLIGHT, async (i) => void (await api.ok('POST', '/api/v1/nodes', nodeBodies[i])));
    const cpuNodes = processCpuMs(pid);
    progress(`  ${fmt.rate(ratePerSecond(nodeRun))}, p50 ${fmt.ms(percentile(nodeRun.latencies, 50))}, p99 ${fmt.ms(percentile(nodeRun.latencies, 99))}`);
    progress(`creating ${PODS} pods, ${IN_FLIGHT} in flight...`);
    const podRun = await inFlight(PODS, IN_FLIGHT, async (i) => void (await api.ok('POST', `/api/v1/namespaces/${namespaceOf(i)}/pods`, podBodies[i])));
    const cpuPods = processCpuMs(pid);
    progress(`  ${fmt.rate(ratePerSecond(podRun))}, p50 ${fmt.ms(percentile(podRun.latencies, 50))}, p99 ${fmt.ms(percentile(podRun.latencies, 99))}`);
    const creates: Run = {
      count: NODES + PODS,
      elapsedMs: nodeRun.elapsedMs + podRun.elapsedMs,
      latencies: Float64Array.from([...nodeRun.latencies, ...podRun.latencies]),
    };
    const createP99 = percentile(creates.latencies, 99);
    figures.push(
      { name: `creates/s (${NODES} nodes + ${PODS} pods, ${IN_FLIGHT} in flight)`, measured: fmt.rate(ratePerSecond(creates)), target: '>= 2,000/s', ok: ratePerSecond(creates) >= 2000 },
      { name: '  nodes/s | pods/s', measured: `${fmt.rate(ratePerSecond(nodeRun))} | ${fmt.rate(ratePerSecond(podRun))}`, target: '' },
      { name: '  server CPU per node | pod create', measured: `${fmt.ms((cpuNodes - cpuStart) / NODES)} | ${fmt.ms((cpuPods - cpuNodes) / PODS)}`, target: '' },
      { name: 'create latency p50', measured: fmt.ms(percentile(creates.latencies, 50)), target: '' },
      { name: 'create latency p99', measured: fmt.ms(createP99), target: '< 100 ms', ok: createP99 < 100 },
    );
    noteMemory(`after creating ${NODES + PODS} objects`);

    // 2. Lists: time to the last byte of the body; counted afterwards.
    const lists: { name: string; path: string; accept?: string; count: (text: string) => number; target?: number }[] = [
      { name: `LIST ${PODS} pods (JSON)`, path: '/api/v1/pods', count: (t) => (JSON.parse(t) as { items: unknown[] }).items.length, target: 300 },
      { name: `LIST ${PODS} pods (Table, as kubectl get)`, path: '/api/v1/pods', accept: TABLE_ACCEPT, count: (t) => (JSON.parse(t) as { rows: unknown[] }).rows.length },
      { name: `LIST ${NODES} nodes (JSON)`, path: '/api/v1/nodes', count: (t) => (JSON.parse(t) as { items: unknown[] }).items.length },
      { name: `LIST ${NODES} nodes (Table, as kubectl get)`, path: '/api/v1/nodes', accept: TABLE_ACCEPT, count: (t) => (JSON.parse(t) as { rows: unknown[] }).rows.length },
    ];
    let listRv = '';
    for (const l of lists) {
      const times: number[] = [];
      let bytes = 0;
      const cpuBefore = processCpuMs(pid);
      for (let run = 0; run < LIST_RUNS; run++) {
        const { ms, value } = await timed(() => api.ok('GET', l.path, undefined, l.accept ? { Accept: l.accept } : {}));
        times.push(ms);
        bytes = value.text.length;
        const n = l.count(value.text);
        if (n !== (l.path.endsWith('pods') ? PODS : NODES)) throw new Error(`${l.name}: got ${n} items`);
        if (!listRv && !l.accept && l.path.endsWith('pods')) listRv = (JSON.parse(value.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
      }
      const best = Math.min(...times);
      const cpu = (processCpuMs(pid) - cpuBefore) / LIST_RUNS;
      progress(`${l.name}: first ${fmt.ms(times[0]!)}, best of ${LIST_RUNS} ${fmt.ms(best)} (${(bytes / 1e6).toFixed(1)} MB, server CPU ${fmt.ms(cpu)} per list)`);
      figures.push({ name: `${l.name}, best of ${LIST_RUNS} (first)`, measured: `${fmt.ms(best)} (${fmt.ms(times[0]!)})`, target: l.target ? `< ${l.target} ms` : '', ok: l.target ? best < l.target : undefined });
    }
    noteMemory('after the lists');

    // 3. Watches and status updates.
    const logs = watchSpecs(listRv).map((s) => new WatchLog(s));
    progress(`opening ${WATCHES} pod watches from resourceVersion ${listRv}...`);
    for (const log of logs) log.stream = await api.watch(log.spec.path, (line, at) => log.onLine(line, at), log.spec.table ? { Accept: TABLE_ACCEPT } : {});
    const updated = Array.from({ length: PODS / UPDATED_EVERY }, (_, j) => j * UPDATED_EVERY);
    const sentAt = new Float64Array(updated.length);
    const answeredAt = new Float64Array(updated.length);
    const updateOfRv = new Map<number, number>();
    progress(`patching the status of ${updated.length} pods (strategic merge patch on /status, ${IN_FLIGHT} in flight) with ${WATCHES} watches open...`);
    const cpuBeforePatches = processCpuMs(pid);
    const patchRun = await inFlight(updated.length, IN_FLIGHT, async (j) => {
      const i = updated[j]!;
      const body = runningStatusPatch(i);
      sentAt[j] = performance.now();
      const r = await api.ok('PATCH', `/api/v1/namespaces/${namespaceOf(i)}/pods/${podName(i)}/status`, body, { 'Content-Type': 'application/strategic-merge-patch+json' });
      answeredAt[j] = performance.now();
      updateOfRv.set(Number((JSON.parse(r.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion), j);
    });
    const cpuPatches = processCpuMs(pid) - cpuBeforePatches;
    progress(`  ${fmt.rate(ratePerSecond(patchRun))}, p50 ${fmt.ms(percentile(patchRun.latencies, 50))}, p99 ${fmt.ms(percentile(patchRun.latencies, 99))}`);
    const expected = logs.map((l) => updated.filter((i) => l.spec.wants(i)).length);
    const allArrived = await until(() => logs.every((l, k) => l.rvs.length >= expected[k]! || l.problems.length > 0 || l.stream!.closed), 60_000);
    if (!allArrived) progress('  gave up waiting for events after 60 s');
    noteMemory(`with ${WATCHES} watches open, after the updates`);

    // Every watch must have seen every update it selects, once, in order.
    const afterResponse: number[] = [];
    const afterSend: number[] = [];
    const firstArrival = new Float64Array(updated.length).fill(Infinity);
    const lastArrival = new Float64Array(updated.length).fill(-Infinity);
    let beforeResponse = 0;
    let delivered = 0;
    let missing = 0;
    const problems: string[] = [];
    logs.forEach((l, k) => {
      const seen = new Set<number>();
      l.rvs.forEach((rv, n) => {
        const j = updateOfRv.get(rv);
        if (j === undefined || !l.spec.wants(updated[j]!)) return void problems.push(`watch ${k} (${l.spec.label}): unexpected event at resourceVersion ${rv}`);
        if (seen.has(rv)) return void problems.push(`watch ${k} (${l.spec.label}): duplicate event at resourceVersion ${rv}`);
        if (n > 0 && rv < l.rvs[n - 1]!) problems.push(`watch ${k} (${l.spec.label}): events out of order`);
        seen.add(rv);
        delivered++;
        const lag = l.at[n]! - answeredAt[j]!;
        if (lag < 0) beforeResponse++;
        afterResponse.push(lag);
        afterSend.push(l.at[n]! - sentAt[j]!);
        firstArrival[j] = Math.min(firstArrival[j]!, l.at[n]!);
        lastArrival[j] = Math.max(lastArrival[j]!, l.at[n]!);
      });
      missing += expected[k]! - seen.size;
      problems.push(...l.problems.map((p) => `watch ${k} (${l.spec.label}): ${p}`));
      if (l.stream!.closed) problems.push(`watch ${k} (${l.spec.label}): closed by the server`);
    });
    for (const p of problems.slice(0, 10)) progress(`  problem: ${p}`);
    const wanted = expected.reduce((a, b) => a + b, 0);
    const spread = Array.from(firstArrival, (first, j) => lastArrival[j]! - first).filter((v) => Number.isFinite(v));
    figures.push(
      { name: `status PATCH/s (${IN_FLIGHT} in flight, ${WATCHES} watches open)`, measured: fmt.rate(ratePerSecond(patchRun)), target: '' },
      { name: `  server CPU per status PATCH (with fan-out)`, measured: fmt.ms(cpuPatches / updated.length), target: '' },
      { name: 'status PATCH latency p50 | p99', measured: `${fmt.ms(percentile(patchRun.latencies, 50))} | ${fmt.ms(percentile(patchRun.latencies, 99))}`, target: '' },
      { name: `watch events delivered (${WATCHES} watches)`, measured: `${delivered.toLocaleString('en-US')} / ${wanted.toLocaleString('en-US')}`, target: 'all, once, in order', ok: missing === 0 && problems.length === 0 },
      { name: 'watch event arrival - write response p50 | p99', measured: `${fmt.ms(percentile(afterResponse, 50))} | ${fmt.ms(percentile(afterResponse, 99))}`, target: '' },
      { name: '  (events there before the write response)', measured: `${((100 * beforeResponse) / Math.max(1, delivered)).toFixed(0)}%`, target: '' },
      { name: 'watch event arrival - write sent p50 | p99', measured: `${fmt.ms(percentile(afterSend, 50))} | ${fmt.ms(percentile(afterSend, 99))}`, target: '' },
      { name: 'fan-out, first to last watch per event p50 | p99', measured: `${fmt.ms(percentile(spread, 50))} | ${fmt.ms(percentile(spread, 99))}`, target: '' },
    );
    for (const l of logs) l.stream!.stop();

    const wallS = (performance.now() - benchStarted) / 1000;
    const clientCpu = process.cpuUsage(clientCpuStart);
    figures.push({
      name: 'CPU used: server | bench client (wall time)',
      measured: `${(processCpuMs(pid) / 1000).toFixed(1)} s | ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} s (${wallS.toFixed(1)} s)`,
      target: '',
    });
    const end = processMemory(pid);
    const peak = Math.max(end.peakMb, ...memory.map((m) => m.rssMb));
    figures.push(
      { name: `server RSS, ${NODES + PODS} objects + ${WATCHES} watches`, measured: fmt.mb(memory[memory.length - 1]!.rssMb), target: '< 400 MB', ok: memory[memory.length - 1]!.rssMb < 400 },
      { name: 'server peak RSS (VmHWM)', measured: fmt.mb(peak), target: '< 400 MB', ok: peak < 400 },
    );
    printTable(`apiserver bench results (${machineNote()})`, figures);
  } finally {
    api.close();
    if (serverFlags.length) await server.stop(); // a clean exit writes --cpu-prof profiles
    await server.destroy();
  }
}

await main();
