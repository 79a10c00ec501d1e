// How DaemonSets follow changes of the fleet, driven by the real kubectl (1.33) against a real
// `everynode server` (short node-monitor grace) with simulated agents: cordon keeps daemon pods;
// a control-plane NoSchedule taint keeps new pods off (but existing ones on); a NoExecute taint
// evicts a non-tolerating daemon pod until the toleration is added; nodes joining get a pod at
// once, deleted nodes lose theirs; `--cascade=orphan` then re-create adopts the pods; priority
// classes resolve into spec.priority; a high-priority pod preempts a low one on a full node;
// and a node whose agent dies goes NotReady and unreachable-tainted, keeps its daemon pods,
// loses its ordinary pods after their toleration, and recovers when the agent comes back.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { TestServer, type KubectlResult } from '../helpers/server.js';
import { eventually, rows } from '../helpers/wait.js';
import { TestAgent } from '../helpers/agent.js';

const ROOT = new URL('../..', import.meta.url).pathname;
// CI clones the repository with shared/ beside it.
const EXAMPLES = resolve(ROOT, '../shared/examples');
const KUBECTL = '1.33';
/** Short heartbeats and grace so that a silent node goes NotReady within seconds. */
const SERVER_ARGS = ['--node-monitor-grace-period', '4s', '--node-monitor-period', '1s'];
const AGENT_ARGS = ['--ready-delay-ms', '100', '--node-lease-renew-interval', '1s'];
const NS = 'fleet';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;



/** A DaemonSet in NS; `podSpec` adds lines to its pod template's spec (indented 6). */
function daemonSetYaml(name: string, podSpec = ''): string {
  return `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
${podSpec}      containers: [{name: main, image: busybox:1.36}]
`;
}

const TOLERATES_CONTROL_PLANE = '      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]\n';

describe('DaemonSets across fleet changes', { concurrency: 1 }, () => {
  let server: TestServer;
  let fleet: TestAgent;
  const extraAgents: TestAgent[] = [];
  const kubectl = (args: string[], input?: string): Promise<KubectlResult> => server.kubectl(KUBECTL, args, { input });

  async function ok(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  async function getJson(args: string[]): Promise<Obj> {
    return JSON.parse(await ok([...args, '-o', 'json']));
  }

  /** DESIRED CURRENT READY UP-TO-DATE AVAILABLE of `kubectl get ds`. */
  async function dsCounts(ns: string, name: string): Promise<string> {
    const [row] = rows(await kubectl(['get', 'ds', name, '-n', ns]));
    return row!.slice(1, 6).join(' ');
  }

  async function waitDs(ns: string, name: string, counts: string, timeoutMs?: number): Promise<void> {
    let seen = '';
    await eventually(
      () => `ds ${ns}/${name} at "${counts}" (last "${seen}")`,
      async () => {
        seen = await dsCounts(ns, name);
        return seen === counts ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Pods matching `selector` by node name (those not terminating, unless `all`). */
  async function podsByNode(ns: string, selector: string, all = false): Promise<Map<string, Obj[]>> {
    const list = await getJson(['get', 'pods', '-n', ns, '-l', selector]);
    const byNode = new Map<string, Obj[]>();
    for (const p of list.items as Obj[]) {
      if (!all && p.metadata.deletionTimestamp) continue;
      const node = p.spec.nodeName ?? '';
      byNode.set(node, [...(byNode.get(node) ?? []), p]);
    }
    return byNode;
  }

  async function taintsOf(node: string): Promise<Obj[] | undefined> {
    return (await getJson(['get', 'node', node])).spec.taints;
  }

  before(async () => {
    server = await TestServer.start({ args: SERVER_ARGS });
    fleet = await TestAgent.start(server, ['--simulate', '3', ...AGENT_ARGS]);
    await ok(['create', 'namespace', NS]);
    // The base daemon: tolerates only the old master taint.
    assert.equal(await ok(['apply', '-f', `${EXAMPLES}/fluentd-elasticsearch.yaml`]), 'daemonset.apps/fluentd-elasticsearch created\n');
    await waitDs('kube-system', 'fluentd-elasticsearch', '3 3 3 3 3');
  });

  after(async () => {
    for (const a of [fleet, ...extraAgents]) await a?.kill();
    await server?.destroy();
  });

  it('cordon keeps the daemon pods: SchedulingDisabled, unschedulable taint, status unchanged; uncordon', async () => {
    const before = await getJson(['get', 'pods', '-n', 'kube-system', '-l', 'name=fluentd-elasticsearch']);
    const uids = (before.items as Obj[]).map((p) => p.metadata.uid).sort();

    assert.equal(await ok(['cordon', 'sim-1']), 'node/sim-1 cordoned\n');
    const taint = await eventually('the unschedulable taint', async () => (await taintsOf('sim-1'))?.find((t: Obj) => t.key === 'node.kubernetes.io/unschedulable'));
    assert.equal(taint.effect, 'NoSchedule');
    assert.match(taint.timeAdded, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const nodes = rows(await kubectl(['get', 'nodes']));
    assert.deepEqual(
      nodes.map((r) => [r[0], r[1]]),
      [
        ['sim-0', 'Ready'],
        ['sim-1', 'Ready,SchedulingDisabled'],
        ['sim-2', 'Ready'],
      ],
    );
    // Give the controllers time to (wrongly) act on the taint.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await dsCounts('kube-system', 'fluentd-elasticsearch'), '3 3 3 3 3');
    const status = (await getJson(['get', 'ds', '-n', 'kube-system', 'fluentd-elasticsearch'])).status;
    assert.equal(status.numberMisscheduled, 0);
    const after = await getJson(['get', 'pods', '-n', 'kube-system', '-l', 'name=fluentd-elasticsearch']);
    assert.deepEqual((after.items as Obj[]).map((p) => p.metadata.uid).sort(), uids, 'the same pods');
    assert.ok((after.items as Obj[]).every((p) => !p.metadata.deletionTimestamp));

    assert.equal(await ok(['uncordon', 'sim-1']), 'node/sim-1 uncordoned\n');
    await eventually('the taint to go', async () => ((await taintsOf('sim-1')) === undefined ? true : undefined));
    assert.deepEqual((await getJson(['get', 'node', 'sim-1'])).spec, {});
    assert.equal(rows(await kubectl(['get', 'node', 'sim-1']))[0]![1], 'Ready');
  });

  it('control-plane NoSchedule taint: no new pod without the toleration, one with it; an existing pod stays, misscheduled', async () => {
    const oldPod = (await podsByNode('kube-system', 'name=fluentd-elasticsearch')).get('sim-2')![0];
    assert.equal(await ok(['taint', 'node', 'sim-2', 'node-role.kubernetes.io/control-plane:NoSchedule']), 'node/sim-2 tainted\n');
    // The existing daemon pod stays; the node no longer counts as desired but its pod as misscheduled.
    await waitDs('kube-system', 'fluentd-elasticsearch', '2 2 2 2 2');
    const status = (await getJson(['get', 'ds', '-n', 'kube-system', 'fluentd-elasticsearch'])).status;
    assert.equal(status.numberMisscheduled, 1);
    const kept = (await podsByNode('kube-system', 'name=fluentd-elasticsearch')).get('sim-2');
    assert.deepEqual(
      kept?.map((p) => p.metadata.uid),
      [oldPod.metadata.uid],
    );

    const created = await ok(['apply', '-f', '-'], `${daemonSetYaml('plain')}---${daemonSetYaml('tolerant', TOLERATES_CONTROL_PLANE)}`);
    assert.equal(created, 'daemonset.apps/plain created\ndaemonset.apps/tolerant created\n');
    await waitDs(NS, 'plain', '2 2 2 2 2');
    await waitDs(NS, 'tolerant', '3 3 3 3 3');
    assert.deepEqual([...(await podsByNode(NS, 'app=plain')).keys()].sort(), ['sim-0', 'sim-1']);
    assert.deepEqual([...(await podsByNode(NS, 'app=tolerant')).keys()].sort(), ['sim-0', 'sim-1', 'sim-2']);
    const table = rows(await kubectl(['get', 'ds', '-n', NS]));
    assert.deepEqual(
      table.map((r) => r.slice(0, 7)),
      [
        ['plain', '2', '2', '2', '2', '2', '<none>'],
        ['tolerant', '3', '3', '3', '3', '3', '<none>'],
      ],
    );

    assert.equal(await ok(['taint', 'node', 'sim-2', 'node-role.kubernetes.io/control-plane:NoSchedule-']), 'node/sim-2 untainted\n');
    await waitDs(NS, 'plain', '3 3 3 3 3');
    await waitDs('kube-system', 'fluentd-elasticsearch', '3 3 3 3 3');
    assert.equal((await getJson(['get', 'ds', '-n', 'kube-system', 'fluentd-elasticsearch'])).status.numberMisscheduled, 0);
  });

  it('NoExecute taint evicts the non-tolerating daemon pod; adding the toleration brings it back', async () => {
    const evicted = (await podsByNode(NS, 'app=plain')).get('sim-1')![0];
    assert.equal(await ok(['taint', 'node', 'sim-1', 'app=x:NoExecute']), 'node/sim-1 tainted\n');
    await eventually('the plain pod on sim-1 to be gone', async () => ((await podsByNode(NS, 'app=plain', true)).has('sim-1') ? undefined : true));
    await waitDs(NS, 'plain', '2 2 2 2 2');
    const events = await ok(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=plain']);
    assert.match(events, new RegExp(`SuccessfulDelete\\s+daemonset/plain\\s+Deleted pod: ${evicted.metadata.name}`));

    const patch = JSON.stringify([{ op: 'add', path: '/spec/template/spec/tolerations', value: [{ key: 'app', operator: 'Equal', value: 'x', effect: 'NoExecute' }] }]);
    assert.equal(await ok(['patch', 'ds', 'plain', '-n', NS, '--type=json', '-p', patch]), 'daemonset.apps/plain patched\n');
    await waitDs(NS, 'plain', '3 3 3 3 3');
    const back = (await podsByNode(NS, 'app=plain')).get('sim-1');
    assert.equal(back?.length, 1);
    assert.notEqual(back![0].metadata.uid, evicted.metadata.uid);
    assert.deepEqual(
      back![0].spec.tolerations.find((t: Obj) => t.key === 'app'),
      { key: 'app', operator: 'Equal', value: 'x', effect: 'NoExecute' },
    );

    assert.equal(await ok(['taint', 'node', 'sim-1', 'app=x:NoExecute-']), 'node/sim-1 untainted\n');
    await waitDs(NS, 'tolerant', '3 3 3 3 3');
    await waitDs('kube-system', 'fluentd-elasticsearch', '3 3 3 3 3');
  });

  it('a node joining gets its daemon pod within seconds; a deleted node loses it and DESIRED drops', async () => {
    const started = Date.now();
    const extra = await TestAgent.start(server, ['--simulate', '1', '--name-prefix', 'extra-', ...AGENT_ARGS]);
    extraAgents.push(extra);
    await eventually(
      'a Running plain pod on extra-0',
      async () => {
        const [pod] = (await podsByNode(NS, 'app=plain')).get('extra-0') ?? [];
        return pod?.status.phase === 'Running' ? pod : undefined;
      },
      10_000,
    );
    const joinedMs = Date.now() - started;
    assert.ok(joinedMs < 10_000, `pod running ${joinedMs} ms after the agent started`);
    await waitDs(NS, 'plain', '4 4 4 4 4');
    await waitDs(NS, 'tolerant', '4 4 4 4 4');

    // The agent is gone first: a live kubelet would keep its node's pods running.
    await extra.kill();
    assert.equal(await ok(['delete', 'node', 'extra-0']), 'node "extra-0" deleted\n');
    await eventually(
      'the pods of extra-0 to be collected',
      async () => {
        const left = await getJson(['get', 'pods', '-A', '--field-selector', 'spec.nodeName=extra-0']);
        return left.items.length === 0 ? true : undefined;
      },
      60_000,
    );
    await waitDs(NS, 'plain', '3 3 3 3 3');
    await waitDs(NS, 'tolerant', '3 3 3 3 3');
    await waitDs('kube-system', 'fluentd-elasticsearch', '3 3 3 3 3');
  });

  it('--cascade=orphan keeps the pods unowned; re-creating the DaemonSet adopts them without restarts', async () => {
    const before = await getJson(['get', 'pods', '-n', NS, '-l', 'app=tolerant']);
    const snapshot = (items: Obj[]): string[] =>
      items.map((p) => `${p.metadata.name} ${p.metadata.uid} ${p.spec.nodeName} ${p.status.startTime} ${p.status.containerStatuses[0].restartCount}`).sort();
    const pods = snapshot(before.items);
    assert.equal(pods.length, 3);
    const oldUid = (await getJson(['get', 'ds', 'tolerant', '-n', NS])).metadata.uid;

    assert.equal(await ok(['delete', 'ds', 'tolerant', '-n', NS, '--cascade=orphan']), 'daemonset.apps "tolerant" deleted\n');
    assert.match((await kubectl(['get', 'ds', 'tolerant', '-n', NS])).stderr, /daemonsets.apps "tolerant" not found/);
    const orphans = await getJson(['get', 'pods', '-n', NS, '-l', 'app=tolerant']);
    assert.deepEqual(snapshot(orphans.items), pods, 'the pods stay');
    assert.ok((orphans.items as Obj[]).every((p) => p.metadata.ownerReferences === undefined && !p.metadata.deletionTimestamp));

    assert.equal(await ok(['apply', '-f', '-'], daemonSetYaml('tolerant', TOLERATES_CONTROL_PLANE)), 'daemonset.apps/tolerant created\n');
    const ds = await getJson(['get', 'ds', 'tolerant', '-n', NS]);
    assert.notEqual(ds.metadata.uid, oldUid);
    const adopted = await eventually('the pods to be adopted', async () => {
      const list = await getJson(['get', 'pods', '-n', NS, '-l', 'app=tolerant']);
      return (list.items as Obj[]).every((p) => p.metadata.ownerReferences?.[0]?.uid === ds.metadata.uid) ? list : undefined;
    });
    assert.deepEqual(snapshot(adopted.items), pods, 'the same pods, not restarted');
    assert.deepEqual(adopted.items[0].metadata.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'tolerant', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    await waitDs(NS, 'tolerant', '3 3 3 3 3');
    // The old ControllerRevision is adopted too: still one revision.
    const history = await ok(['rollout', 'history', 'ds/tolerant', '-n', NS]);
    assert.equal(history, 'daemonset.apps/tolerant \nREVISION  CHANGE-CAUSE\n1         <none>\n\n');
  });

  it('resolves priorityClassName into spec.priority for daemon pods', async () => {
    // The example: a high-priority DaemonSet for nodes labelled type=platform-tools.
    await ok(['create', 'namespace', 'logging']);
    assert.equal(
      await ok(['apply', '-f', `${EXAMPLES}/fluentd-logging-affinity.yaml`]),
      'daemonset.apps/fluentd created\npriorityclass.scheduling.k8s.io/high-priority created\n',
    );
    assert.equal(await ok(['label', 'node', 'sim-0', 'type=platform-tools']), 'node/sim-0 labeled\n');
    await waitDs('logging', 'fluentd', '1 1 1 1 1');
    const [pod] = (await getJson(['get', 'pods', '-n', 'logging', '-l', 'name=fluentd'])).items;
    assert.equal(pod.spec.nodeName, 'sim-0');
    assert.equal(pod.spec.priorityClassName, 'high-priority');
    assert.equal(pod.spec.priority, 100000);

    const critical = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: node-agent}}
  template:
    metadata: {labels: {app: node-agent}}
    spec:
      priorityClassName: system-node-critical
      containers: [{name: main, image: busybox:1.36}]
`;
    assert.equal(await ok(['apply', '-f', '-'], critical), 'daemonset.apps/node-agent created\n');
    await waitDs('kube-system', 'node-agent', '3 3 3 3 3');
    const table = rows(await kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'app=node-agent', '-o', 'custom-columns=NODE:.spec.nodeName,CLASS:.spec.priorityClassName,PRIORITY:.spec.priority', '--sort-by', '.spec.nodeName']));
    assert.deepEqual(table, [
      ['sim-0', 'system-node-critical', '2000001000'],
      ['sim-1', 'system-node-critical', '2000001000'],
      ['sim-2', 'system-node-critical', '2000001000'],
    ]);
  });

  it('preempts a low-priority pod on a full node for a high-priority one; an unschedulable pod says why', async () => {
    // sim-0 has 4 cpu; its daemon pods ask for 200m. `low` takes 3 cpu, `high` then needs 2.
    const pod = (name: string, cpu: string, extra = ''): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${NS}}
spec:
  nodeSelector: {kubernetes.io/hostname: sim-0}
${extra}  containers: [{name: main, image: busybox:1.36, resources: {requests: {cpu: "${cpu}"}}}]
`;
    assert.equal(await ok(['apply', '-f', '-'], pod('low', '3')), 'pod/low created\n');
    await eventually('low to run', async () => ((await getJson(['get', 'pod', 'low', '-n', NS])).status.phase === 'Running' ? true : undefined));
    const lowUid = (await getJson(['get', 'pod', 'low', '-n', NS])).metadata.uid;

    assert.equal(await ok(['apply', '-f', '-'], pod('high', '2', '  priorityClassName: high-priority\n')), 'pod/high created\n');
    const high = await eventually('high to run', async () => {
      const p = await getJson(['get', 'pod', 'high', '-n', NS]);
      return p.status.phase === 'Running' ? p : undefined;
    });
    assert.equal(high.spec.nodeName, 'sim-0');
    assert.equal(high.spec.priority, 100000);
    assert.equal(high.status.nominatedNodeName, 'sim-0');
    await eventually('low to be gone', async () => ((await kubectl(['get', 'pod', 'low', '-n', NS])).stderr.includes('pods "low" not found') ? true : undefined));

    const lowEvents = await ok(['get', 'events', '-n', NS, '--field-selector', `involvedObject.uid=${lowUid}`]);
    assert.match(lowEvents, new RegExp(`Normal\\s+Preempted\\s+pod/low\\s+Preempted by pod ${high.metadata.uid} on node sim-0`));
    const highEvents = await ok(['describe', 'pod', 'high', '-n', NS]);
    assert.match(highEvents, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: 1 Insufficient cpu, 2 node\(s\) didn't match Pod's node affinity\/selector\.$/m);
    assert.match(highEvents, /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned fleet\/high to sim-0/);

    // More cpu than any node has: Pending, and preemption cannot help.
    assert.equal(await ok(['run', 'huge', '-n', NS, '--image=busybox:1.36', '--overrides={"spec":{"containers":[{"name":"huge","image":"busybox:1.36","resources":{"requests":{"cpu":"8"}}}]}}']), 'pod/huge created\n');
    const described = await eventually('a FailedScheduling event for huge', async () => {
      const d = await ok(['describe', 'pod', 'huge', '-n', NS]);
      return d.includes('FailedScheduling') ? d : undefined;
    });
    assert.match(described, /^Status:\s+Pending$/m);
    assert.match(
      described,
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: 3 Insufficient cpu\. preemption: 0\/3 nodes are available: 3 Preemption is not helpful for scheduling\./,
    );
    assert.deepEqual(rows(await kubectl(['get', 'pod', 'huge', '-n', NS]))[0]!.slice(0, 3), ['huge', '0/1', 'Pending']);
    assert.equal(await ok(['delete', 'pod', 'huge', 'high', '-n', NS]), 'pod "huge" deleted\npod "high" deleted\n');
  });

  it('a node whose agent stops: NotReady and unreachable taints, daemon pods kept, ordinary pods evicted; recovery', async () => {
    const lost = await TestAgent.start(server, ['--simulate', '2', '--name-prefix', 'lost-', ...AGENT_ARGS]);
    extraAgents.push(lost);
    await waitDs(NS, 'plain', '5 5 5 5 5');
    const ordinary = `
apiVersion: v1
kind: Pod
metadata: {name: ordinary, namespace: ${NS}}
spec:
  nodeSelector: {kubernetes.io/hostname: lost-0}
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 3}
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 3}
  containers: [{name: main, image: busybox:1.36}]
`;
    assert.equal(await ok(['apply', '-f', '-'], ordinary), 'pod/ordinary created\n');
    await eventually('ordinary to run', async () => ((await getJson(['get', 'pod', 'ordinary', '-n', NS])).status.phase === 'Running' ? true : undefined));
    const daemonUids = async (): Promise<string[]> => {
      const byNode = await podsByNode(NS, 'app=plain', true);
      return ['lost-0', 'lost-1'].flatMap((n) => (byNode.get(n) ?? []).map((p) => `${n} ${p.metadata.uid} ${p.metadata.deletionTimestamp ?? '-'}`));
    };
    const daemons = await daemonUids();
    assert.equal(daemons.length, 2);

    const killedAt = Date.now();
    await lost.kill();
    await eventually('the lost nodes to be NotReady', async () => {
      const table = rows(await kubectl(['get', 'nodes']));
      const states = table.filter((r) => r[0]!.startsWith('lost-')).map((r) => r[1]);
      return states.every((s) => s === 'NotReady') ? true : undefined;
    });
    const notReadyMs = Date.now() - killedAt;
    assert.ok(notReadyMs > 2500, `NotReady after ${notReadyMs} ms: not before the 4 s grace (less a lease renewal)`);
    assert.deepEqual(
      rows(await kubectl(['get', 'nodes'])).map((r) => [r[0], r[1]]),
      [
        ['lost-0', 'NotReady'],
        ['lost-1', 'NotReady'],
        ['sim-0', 'Ready'],
        ['sim-1', 'Ready'],
        ['sim-2', 'Ready'],
      ],
    );
    const ready = (await getJson(['get', 'node', 'lost-0'])).status.conditions.find((c: Obj) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);

    // NoExecute tainting goes at 0.1 nodes/s per zone: the second node waits up to 10 s.
    for (const node of ['lost-0', 'lost-1']) {
      const taints = await eventually(
        `both unreachable taints on ${node}`,
        async () => {
          const t = ((await taintsOf(node)) ?? []).map((x: Obj) => `${x.key}:${x.effect}`).sort();
          return t.length === 2 ? t : undefined;
        },
        30_000,
      );
      assert.deepEqual(taints, ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    }

    // The ordinary pod is evicted 3 s after the NoExecute taint; the daemon pods tolerate it forever.
    const evicted = await eventually(
      'ordinary to be evicted',
      async () => {
        const p = await getJson(['get', 'pod', 'ordinary', '-n', NS]);
        return p.metadata.deletionTimestamp ? p : undefined;
      },
      30_000,
    );
    const disruption = evicted.status.conditions.find((c: Obj) => c.type === 'DisruptionTarget');
    assert.deepEqual([disruption.status, disruption.reason, disruption.message], ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']);
    const tainted = ((await taintsOf('lost-0')) ?? []).find((t: Obj) => t.effect === 'NoExecute');
    const waitedS = (Date.parse(disruption.lastTransitionTime) - Date.parse(tainted.timeAdded)) / 1000;
    assert.ok(waitedS >= 2 && waitedS <= 10, `evicted ${waitedS} s after the taint (toleration: 3 s; second-precision timestamps)`);
    const podEvents = await ok(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=ordinary']);
    assert.match(podEvents, /TaintManagerEviction\s+pod\/ordinary\s+Marking for deletion Pod fleet\/ordinary/);
    const nodeEvents = await ok(['get', 'events', '--field-selector', 'involvedObject.name=lost-0']);
    assert.match(nodeEvents, /NodeNotReady\s+node\/lost-0\s+Node lost-0 status is now: NodeNotReady/);

    assert.deepEqual(await daemonUids(), daemons, 'the daemon pods stay, not terminating');
    // Unreachable nodes are tainted NoSchedule, which daemon pods do not tolerate: not desired, misscheduled.
    await waitDs(NS, 'plain', '3 3 3 3 3');
    assert.equal((await getJson(['get', 'ds', 'plain', '-n', NS])).status.numberMisscheduled, 2);

    // The agent comes back: Ready, taints lifted, the same single daemon pod per node.
    extraAgents.push(await TestAgent.start(server, ['--simulate', '2', '--name-prefix', 'lost-', ...AGENT_ARGS]));
    await eventually('the lost nodes to be Ready and untainted', async () => {
      for (const node of ['lost-0', 'lost-1']) {
        const n = await getJson(['get', 'node', node]);
        if (n.spec.taints !== undefined) return undefined;
        if (n.status.conditions.find((c: Obj) => c.type === 'Ready').status !== 'True') return undefined;
      }
      return true;
    });
    await waitDs(NS, 'plain', '5 5 5 5 5');
    await waitDs(NS, 'tolerant', '5 5 5 5 5');
    assert.deepEqual(await daemonUids(), daemons, 'exactly the same daemon pod on each node');
    assert.equal((await getJson(['get', 'ds', 'plain', '-n', NS])).status.numberMisscheduled, 0);
    // The agent finishes the eviction it missed.
    await eventually('ordinary to be gone', async () => ((await kubectl(['get', 'pod', 'ordinary', '-n', NS])).stderr.includes('not found') ? true : undefined));
  });
});
