// A server killed (SIGKILL) in the middle of a DaemonSet rolling update and started again on the
// same data dir and port: the simulated agent (10 nodes) keeps running and reconnects, the
// restarted server takes its controllers' lease back at once, and the rollout continues where it
// was. Pods are listed every few tens of milliseconds throughout (but while the server is down)
// and every snapshot must respect maxUnavailable 2 and never show two old pods on one node.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { TestServer, type KubectlResult } from '../helpers/server.js';
import { TestAgent } from '../helpers/agent.js';

const KUBECTL = '1.33';
const NODES = 10;
const MAX_UNAVAILABLE = 2;
const OLD_IMAGE = 'busybox:1.36';
const NEW_IMAGE = 'busybox:1.37';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

const DAEMONSET = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: roll, namespace: default}
spec:
  selector: {matchLabels: {app: roll}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: ${MAX_UNAVAILABLE}}}
  template:
    metadata: {labels: {app: roll}}
    spec:
      containers: [{name: main, image: ${OLD_IMAGE}}]
`;

/** A port nobody listens on right now, so that the restarted server gets the same URL. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function isReady(pod: Obj): boolean {
  return !pod.metadata.deletionTimestamp && pod.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

interface Snapshot {
  atMs: number;
  pods: Obj[];
}

const NODE_NAMES = Array.from({ length: NODES }, (_, i) => `sim-${i}`);

/** The node a daemon pod is for: where it is bound, or where its injected affinity pins it. */
function targetNode(pod: Obj): string | undefined {
  return pod.spec.nodeName ?? pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
}

function unavailableNodes(pods: Obj[]): string[] {
  return NODE_NAMES.filter((n) => !pods.some((p) => targetNode(p) === n && isReady(p)));
}

/** What is wrong with one list of the DaemonSet's pods, if anything. */
function violations(pods: Obj[]): string[] {
  const found: string[] = [];
  const on = (node: string): Obj[] => pods.filter((p) => targetNode(p) === node);
  const unavailable = unavailableNodes(pods);
  if (unavailable.length > MAX_UNAVAILABLE) found.push(`${unavailable.length} nodes without a Ready pod: ${unavailable.join(',')}`);
  for (const n of NODE_NAMES) {
    const old = on(n).filter((p) => p.spec.containers[0].image === OLD_IMAGE);
    if (old.length > 1) found.push(`${n} has ${old.length} old pods`);
    const live = on(n).filter((p) => !p.metadata.deletionTimestamp);
    if (live.length > 1) found.push(`${n} has ${live.length} pods not terminating`);
  }
  return found;
}

describe('a server restart in the middle of a rolling update', () => {
  let server: TestServer;
  let agent: TestAgent;
  const kubectl = (args: string[], timeoutMs?: number): Promise<KubectlResult> => server.kubectl(KUBECTL, args, { timeoutMs });

  async function listPods(): Promise<Obj[]> {
    const res = await server.request('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Droll');
    if (res.status !== 200) throw new Error(`list pods: ${res.status} ${res.text}`);
    return res.json.items;
  }

  async function lease(): Promise<Obj> {
    const res = await server.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/everynode-controllers');
    assert.equal(res.status, 200, res.text);
    return res.json;
  }

  before(async () => {
    server = await TestServer.start({ args: ['--port', String(await freePort())] });
    agent = await TestAgent.start(server, ['--simulate', String(NODES), '--ready-delay-ms', '500']);
  });

  after(async () => {
    await agent?.kill();
    await server?.destroy();
  });

  it('continues the rollout where it was, within maxUnavailable, with no extra restarts', async () => {
    const apply = await server.kubectl(KUBECTL, ['apply', '-f', '-'], { input: DAEMONSET });
    assert.equal(apply.stdout, 'daemonset.apps/roll created\n', apply.stderr);
    const first = await kubectl(['rollout', 'status', 'ds/roll', '--timeout=60s'], 70_000);
    assert.equal(first.code, 0, first.stderr);
    const leaseBefore = await lease();

    // Observe every pod list from the start of the rollout to its end.
    const snapshots: Snapshot[] = [];
    let observing = true;
    let listErrors = 0;
    const observer = (async () => {
      while (observing) {
        try {
          snapshots.push({ atMs: Date.now(), pods: await listPods() });
        } catch {
          listErrors++; // the server is down
        }
        await new Promise((r) => setTimeout(r, 30));
      }
    })();

    try {
      const set = await kubectl(['set', 'image', 'ds/roll', `main=${NEW_IMAGE}`]);
      assert.equal(set.stdout, 'daemonset.apps/roll image updated\n', set.stderr);
      const newPods = (pods: Obj[]): number => pods.filter((p) => p.spec.containers[0].image === NEW_IMAGE && !p.metadata.deletionTimestamp).length;
      // Kill once the second round of replacements has begun.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const last = snapshots.at(-1);
        if (last && newPods(last.pods) >= 3) break;
        assert.ok(Date.now() < deadline, 'the rollout did not get going');
        await new Promise((r) => setTimeout(r, 10));
      }
      await server.kill9();
      const killedAt = Date.now();
      const atKill = snapshots.at(-1)!;
      assert.ok(newPods(atKill.pods) < NODES, `killed before the end (${newPods(atKill.pods)} new pods)`);

      await server.launch();
      const restartedAt = Date.now();
      const status = await kubectl(['rollout', 'status', 'ds/roll', '--timeout=60s'], 70_000);
      const doneAt = Date.now();
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /daemon set "roll" successfully rolled out\n$/);
      assert.ok(doneAt - restartedAt < 20_000, `the rollout finished ${doneAt - restartedAt} ms after the restart`);

      // Resumed promptly: the first new pod created after the restart.
      const created = (await listPods()).map((p) => Date.parse(p.metadata.creationTimestamp)).filter((t) => t >= Math.floor(restartedAt / 1000) * 1000);
      assert.ok(created.length > 0, 'pods were replaced after the restart');
      assert.ok(Math.min(...created) - restartedAt < 10_000, `first replacement ${Math.min(...created) - restartedAt} ms after the restart`);
      assert.ok(snapshots.some((s) => s.atMs > killedAt), 'observed after the restart');
    } finally {
      observing = false;
      await observer;
    }

    // Every observation respected the budget.
    const bad = snapshots.map((s) => violations(s.pods)).filter((v) => v.length > 0);
    assert.deepEqual(bad, [], `${bad.length} of ${snapshots.length} snapshots broke the rules`);
    assert.ok(snapshots.length > 20 && listErrors > 0, `${snapshots.length} snapshots, ${listErrors} failed lists while down`);
    // The observer did see the rollout use its budget.
    assert.equal(Math.max(...snapshots.map((s) => unavailableNodes(s.pods).length)), MAX_UNAVAILABLE);

    // Every node: exactly one pod, new image, Ready; each node replaced exactly once.
    const final = await listPods();
    assert.deepEqual(final.map((p) => p.spec.nodeName).sort(), [...NODE_NAMES].sort());
    assert.ok(final.every((p) => p.spec.containers[0].image === NEW_IMAGE && isReady(p)));
    const uidsPerNode = new Map<string, Set<string>>();
    for (const s of snapshots) {
      for (const p of s.pods) {
        if (!p.spec.nodeName) continue;
        uidsPerNode.set(p.spec.nodeName, (uidsPerNode.get(p.spec.nodeName) ?? new Set()).add(p.metadata.uid));
      }
    }
    for (const [node, uids] of uidsPerNode) assert.ok(uids.size <= 2, `${node} had ${uids.size} pods: one old, one new expected`);

    const table = await kubectl(['get', 'ds', 'roll']);
    assert.equal(table.code, 0, table.stderr);
    assert.deepEqual(table.stdout.split('\n')[1]!.trim().split(/\s+/).slice(0, 6), ['roll', '10', '10', '10', '10', '10']);
    const history = await kubectl(['rollout', 'history', 'ds/roll']);
    assert.equal(history.stdout, 'daemonset.apps/roll \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n', history.stderr);

    // Same identity (host + data dir): the lease was taken back, not taken over.
    const leaseAfter = await lease();
    assert.equal(leaseAfter.spec.holderIdentity, leaseBefore.spec.holderIdentity);
    assert.equal(leaseAfter.spec.leaseTransitions, leaseBefore.spec.leaseTransitions);
  });
});
