// The everyday DaemonSet workflow, driven by the real kubectl (1.27 and 1.33) against a real
// `everynode server` process, asserting what kubectl prints as it would against a real cluster.
// There is no DaemonSet controller, scheduler or agent yet: DaemonSet status stays empty (all
// counts 0) and pods stay Pending on no node.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { API_ONLY, TestServer, type KubectlResult } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

const ROOT = new URL('../..', import.meta.url).pathname;
// CI clones the repository with shared/ beside it.
const EXAMPLES = resolve(ROOT, '../shared/examples');
const VERSIONS = ['1.27', '1.33'];

const NODES_YAML = `
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: node-1
    kubernetes.io/os: linux
    type: platform-tools
status:
  addresses:
  - {type: InternalIP, address: 10.0.0.1}
  - {type: Hostname, address: node-1}
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
    lastHeartbeatTime: "2025-01-01T00:00:00Z"
    lastTransitionTime: "2025-01-01T00:00:00Z"
  nodeInfo: {machineID: m1, systemUUID: s1, bootID: b1, kernelVersion: 6.8.0-45-generic, osImage: Ubuntu 24.04.1 LTS,
    containerRuntimeVersion: "containerd://1.7.22", kubeletVersion: v1.33.0, kubeProxyVersion: v1.33.0,
    operatingSystem: linux, architecture: amd64}
---
apiVersion: v1
kind: Node
metadata:
  name: node-2
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: node-2
    kubernetes.io/os: linux
status:
  addresses:
  - {type: InternalIP, address: 10.0.0.2}
  capacity: {cpu: "2", memory: 4Gi, pods: "110"}
  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status,
    lastHeartbeatTime: "2025-01-01T00:00:00Z", lastTransitionTime: "2025-01-01T00:00:00Z"}
  nodeInfo: {machineID: m2, systemUUID: s2, bootID: b2, kernelVersion: 6.8.0-45-generic, osImage: Ubuntu 24.04.1 LTS,
    containerRuntimeVersion: "containerd://1.7.22", kubeletVersion: v1.33.0, kubeProxyVersion: v1.33.0,
    operatingSystem: linux, architecture: amd64}
---
apiVersion: v1
kind: Node
metadata:
  name: cp-1
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: cp-1
    kubernetes.io/os: linux
    node-role.kubernetes.io/control-plane: ""
spec:
  taints:
  - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
status:
  addresses:
  - {type: InternalIP, address: 10.0.0.10}
  capacity: {cpu: "2", memory: 4Gi, pods: "110"}
  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status,
    lastHeartbeatTime: "2025-01-01T00:00:00Z", lastTransitionTime: "2025-01-01T00:00:00Z"}
  nodeInfo: {machineID: m3, systemUUID: s3, bootID: b3, kernelVersion: 6.8.0-45-generic, osImage: Ubuntu 24.04.1 LTS,
    containerRuntimeVersion: "containerd://1.7.22", kubeletVersion: v1.33.0, kubeProxyVersion: v1.33.0,
    operatingSystem: linux, architecture: amd64}
`;

const V1BETA2_WARNING = 'Warning: apps/v1beta2 DaemonSet is deprecated in v1.9+, unavailable in v1.16+; use apps/v1 DaemonSet';
const DS_WIDE_HEADER = 'NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE CONTAINERS IMAGES SELECTOR';
const FLUENTD_IMAGE = 'quay.io/fluentd_elasticsearch/fluentd';

/** Whitespace runs collapsed to one space, so column padding does not matter. */
function collapse(text: string): string {
  return text.trim().split(/\s+/).join(' ');
}

/** Output lines, each collapsed, without blank ones. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map(collapse)
    .filter((l) => l !== '');
}

/** A printed table as header + rows of cells (columns are separated by at least two spaces). */
function table(text: string): { header: string; rows: string[][] } {
  const all = text.split('\n').filter((l) => l.trim() !== '');
  return { header: collapse(all[0] ?? ''), rows: all.slice(1).map((l) => l.trim().split(/\s{2,}/)) };
}

function assertOk(r: KubectlResult, what: string): void {
  assert.equal(r.code, 0, `${what} failed (rc ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

function assertAge(cell: string | undefined): void {
  // Objects here are seconds old; on a slow machine they may reach minutes ("2m5s").
  assert.match(cell ?? '', /^(\d+s|\d+m(\d+s)?)$/, `AGE cell ${cell}`);
}


function workflow(version: string): void {
  describe(`kubectl ${version}`, { concurrency: 1 }, () => {
    let server: TestServer;
    let work: string;
    const kubectl = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => server.kubectl(version, args, opts);
    const ok = async (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
      const r = await kubectl(args, opts);
      assertOk(r, `kubectl ${args.join(' ')}`);
      return r;
    };
    const example = (name: string) => join(EXAMPLES, name);

    before(async () => {
      server = await TestServer.start({ args: API_ONLY });
      work = mkdtempSync(join(tmpdir(), 'everynode-kubectl-workflow-'));
    });
    after(async () => {
      await server?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('creates Nodes from YAML and lists them with their labels', async () => {
      const created = await ok(['create', '-f', '-'], { input: NODES_YAML });
      assert.deepEqual(lines(created.stdout), ['node/node-1 created', 'node/node-2 created', 'node/cp-1 created']);

      const shown = table((await ok(['get', 'nodes', '--show-labels'])).stdout);
      assert.equal(shown.header, 'NAME STATUS ROLES AGE VERSION LABELS');
      const byName = new Map(shown.rows.map((r) => [r[0], r]));
      const [, status, roles, age, kubelet, labels] = byName.get('node-1') ?? [];
      assert.deepEqual([status, roles, kubelet, labels], ['Ready', '<none>', 'v1.33.0', 'kubernetes.io/arch=amd64,kubernetes.io/hostname=node-1,kubernetes.io/os=linux,type=platform-tools']);
      assertAge(age);
      assert.equal(byName.get('cp-1')?.[2], 'control-plane');
      assert.equal(byName.get('node-2')?.[5], 'kubernetes.io/arch=amd64,kubernetes.io/hostname=node-2,kubernetes.io/os=linux');

      const wide = table((await ok(['get', 'node', 'node-1', '-o', 'wide'])).stdout);
      assert.equal(wide.header, 'NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME');
      assert.deepEqual(wide.rows[0]?.slice(4), ['v1.33.0', '10.0.0.1', '<none>', 'Ubuntu 24.04.1 LTS', '6.8.0-45-generic', 'containerd://1.7.22']);
    });

    // kubectl 1.32+ sends this POST as protobuf; older versions send JSON.
    it('creates the logging namespace, and refuses to create it twice', async () => {
      assert.equal((await ok(['create', 'ns', 'logging'])).stdout, 'namespace/logging created\n');
      const again = await kubectl(['create', 'ns', 'logging']);
      assert.equal(again.code, 1);
      assert.equal(again.stderr.trim(), 'Error from server (AlreadyExists): namespaces "logging" already exists');
      const listed = table((await ok(['get', 'ns', 'logging'])).stdout);
      assert.equal(listed.header, 'NAME STATUS AGE');
      assert.deepEqual(listed.rows[0]?.slice(0, 2), ['logging', 'Active']);
    });

    it('applies every example, then applies them again', async () => {
      const first = [
        ['fluentd-elasticsearch.yaml', ['daemonset.apps/fluentd-elasticsearch created']],
        ['fluentd-logging-affinity.yaml', ['daemonset.apps/fluentd created', 'priorityclass.scheduling.k8s.io/high-priority created']],
        ['ssd-monitor.yaml', ['daemonset.apps/ssd-monitor created']],
        ['pod-node-affinity.yaml', ['pod/with-node-affinity created']],
      ] as const;
      // The Pod is "configured" the second time, as on a real cluster: admission added the 300 s
      // not-ready/unreachable tolerations, and tolerations are an atomic list, so apply's patch resends them.
      const second = [
        ['fluentd-elasticsearch.yaml', ['daemonset.apps/fluentd-elasticsearch unchanged']],
        ['fluentd-logging-affinity.yaml', ['daemonset.apps/fluentd unchanged', 'priorityclass.scheduling.k8s.io/high-priority unchanged']],
        ['ssd-monitor.yaml', ['daemonset.apps/ssd-monitor unchanged']],
        ['pod-node-affinity.yaml', ['pod/with-node-affinity configured']],
      ] as const;
      for (const round of [first, second]) {
        for (const [file, expected] of round) {
          const r = await ok(['apply', '-f', example(file)]);
          assert.deepEqual(lines(r.stdout), expected, file);
          // apps/v1beta2 is served as a deprecated alias of apps/v1, with the upstream warning.
          if (file === 'ssd-monitor.yaml') assert.equal(r.stderr.trim(), V1BETA2_WARNING);
          else assert.equal(r.stderr, '', file);
        }
      }
      const pod = JSON.parse((await ok(['get', 'pod', 'with-node-affinity', '-o', 'json'])).stdout);
      const tolerationKeys = pod.spec.tolerations.map((t: { key: string }) => t.key);
      assert.deepEqual(tolerationKeys, ['node.kubernetes.io/unschedulable', 'node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
      // What a real API server fills in for a bare pod with no PriorityClass and no scheduler around.
      assert.equal(pod.spec.priority, 0);
      assert.equal(pod.spec.preemptionPolicy, 'PreemptLowerPriority');
      assert.equal(pod.spec.enableServiceLinks, true);
      assert.equal(pod.spec.nodeName, undefined);
      assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'BestEffort' });
    });

    it('applies a changed image: configured, generation 2', async () => {
      const changed = join(work, 'fluentd-v2.5.3.yaml');
      const original = readFileSync(example('fluentd-logging-affinity.yaml'), 'utf8');
      writeFileSync(changed, original.replace(`${FLUENTD_IMAGE}:v2.5.2`, `${FLUENTD_IMAGE}:v2.5.3`));
      const r = await ok(['apply', '-f', changed]);
      assert.deepEqual(lines(r.stdout), ['daemonset.apps/fluentd configured', 'priorityclass.scheduling.k8s.io/high-priority unchanged']);

      const jsonpath = '{.spec.template.spec.containers[0].image} {.metadata.generation} {.metadata.annotations.deprecated\\.daemonset\\.template\\.generation}';
      const got = await ok(['get', 'ds', 'fluentd', '-n', 'logging', '-o', `jsonpath=${jsonpath}`]);
      assert.equal(got.stdout, `${FLUENTD_IMAGE}:v2.5.3 2 2`);
    });

    it('get ds -o wide prints the real columns and cells', async () => {
      const wide = table((await ok(['get', 'ds', '-n', 'logging', '-o', 'wide'])).stdout);
      assert.equal(wide.header, DS_WIDE_HEADER);
      assert.equal(wide.rows.length, 1);
      const [name, desired, current, ready, upToDate, available, nodeSelector, age, containers, images, selector] = wide.rows[0]!;
      assert.deepEqual(
        [name, desired, current, ready, upToDate, available, nodeSelector, containers, images, selector],
        ['fluentd', '0', '0', '0', '0', '0', '<none>', 'fluentd-elasticsearch', `${FLUENTD_IMAGE}:v2.5.3`, 'name=fluentd'],
      );
      assertAge(age);

      const narrow = table((await ok(['get', 'ds', 'ssd-monitor'])).stdout);
      assert.equal(narrow.header, 'NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE');
      assert.equal(narrow.rows[0]?.[6], 'k8s.51reboot.com/disk=ssd');

      const empty = await ok(['get', 'ds', '-n', 'kube-public']);
      assert.equal(empty.stdout, '');
      assert.equal(empty.stderr.trim(), 'No resources found in kube-public namespace.');
    });

    it('get ds -o yaml / -o json carry the defaults and server-set metadata', async () => {
      const list = YAML.parse((await ok(['get', 'ds', '-n', 'logging', '-o', 'yaml'])).stdout);
      assert.equal(list.kind, 'List');
      assert.equal(list.apiVersion, 'v1');
      assert.equal(list.items.length, 1);
      const single = JSON.parse((await ok(['get', 'ds', 'fluentd', '-n', 'logging', '-o', 'json'])).stdout);
      for (const ds of [list.items[0], single]) {
        assert.equal(ds.apiVersion, 'apps/v1');
        assert.equal(ds.kind, 'DaemonSet');
        assert.equal(ds.metadata.name, 'fluentd');
        assert.equal(ds.metadata.namespace, 'logging');
        assert.match(ds.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.match(ds.metadata.resourceVersion, /^\d+$/);
        assert.match(ds.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(ds.metadata.generation, 2);
        const lastApplied = JSON.parse(ds.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
        assert.equal(lastApplied.spec.template.spec.containers[0].image, `${FLUENTD_IMAGE}:v2.5.3`);
        assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
        assert.equal(ds.spec.revisionHistoryLimit, 10);
        // No controller has run: the zero status, whose four required counters are always serialized.
        assert.deepEqual(ds.status, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
        const pod = ds.spec.template.spec;
        assert.equal(pod.restartPolicy, 'Always');
        assert.equal(pod.dnsPolicy, 'ClusterFirst');
        assert.equal(pod.schedulerName, 'default-scheduler');
        const [container] = pod.containers;
        assert.equal(container.terminationMessagePath, '/dev/termination-log');
        assert.equal(container.terminationMessagePolicy, 'File');
        assert.equal(container.imagePullPolicy, 'IfNotPresent');
        assert.deepEqual(pod.volumes, [{ name: 'varlog', hostPath: { path: '/var/log', type: '' } }]);
      }
      assert.equal(list.items[0].metadata.uid, single.metadata.uid);

      // Stored and served as apps/v1 although it was applied as apps/v1beta2; an explicit imagePullPolicy stays.
      const ssd = JSON.parse((await ok(['get', 'ds', 'ssd-monitor', '-o', 'json'])).stdout);
      assert.equal(ssd.apiVersion, 'apps/v1');
      assert.equal(ssd.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    });

    it('get ds -A, get all and get pods -A -o wide list across namespaces', async () => {
      const all = table((await ok(['get', 'ds', '-A'])).stdout);
      assert.equal(all.header, 'NAMESPACE NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE');
      assert.deepEqual(
        all.rows.map((r) => `${r[0]}/${r[1]}`),
        ['default/ssd-monitor', 'kube-system/fluentd-elasticsearch', 'logging/fluentd'],
      );

      const everything = table((await ok(['get', 'all', '-n', 'logging'])).stdout);
      assert.equal(everything.header, 'NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE');
      assert.deepEqual(everything.rows.map((r) => r[0]), ['daemonset.apps/fluentd']);

      const pods = table((await ok(['get', 'pods', '-A', '-o', 'wide'])).stdout);
      assert.equal(pods.header, 'NAMESPACE NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES');
      assert.equal(pods.rows.length, 1);
      const [ns, name, ready, status, restarts, age, ip, node, nominated, gates] = pods.rows[0]!;
      assert.deepEqual([ns, name, ready, status, restarts, ip, node, nominated, gates], ['default', 'with-node-affinity', '0/1', 'Pending', '0', '<none>', '<none>', '<none>', '<none>']);
      assertAge(age);
    });

    it('label and unlabel a node; overwriting needs --overwrite', async () => {
      assert.equal((await ok(['label', 'node', 'node-2', 'disk=ssd'])).stdout, 'node/node-2 labeled\n');
      const refused = await kubectl(['label', 'node', 'node-2', 'disk=hdd']);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.trim(), "error: 'disk' already has a value (ssd), and --overwrite is false");
      assert.equal((await ok(['label', 'node', 'node-2', 'disk=hdd', '--overwrite'])).stdout, 'node/node-2 labeled\n');
      assert.equal((await ok(['get', 'node', 'node-2', '-o', 'jsonpath={.metadata.labels.disk}'])).stdout, 'hdd');
      assert.equal((await ok(['get', 'nodes', '-l', 'disk=hdd', '-o', 'name'])).stdout, 'node/node-2\n');
      assert.equal((await ok(['label', 'node', 'node-2', 'disk-'])).stdout, 'node/node-2 unlabeled\n');
      const shown = table((await ok(['get', 'node', 'node-2', '--show-labels'])).stdout);
      assert.equal(shown.rows[0]?.[5], 'kubernetes.io/arch=amd64,kubernetes.io/hostname=node-2,kubernetes.io/os=linux');
    });

    it('taint, cordon, describe node, untaint and uncordon', async () => {
      assert.equal((await ok(['taint', 'node', 'node-1', 'app=fluentd-logging:NoExecute'])).stdout, 'node/node-1 tainted\n');
      assert.equal((await ok(['taint', 'node', 'node-1', 'dedicated=logging:NoSchedule'])).stdout, 'node/node-1 tainted\n');
      const node = JSON.parse((await ok(['get', 'node', 'node-1', '-o', 'json'])).stdout);
      assert.deepEqual(
        node.spec.taints.map((t: { key: string; value?: string; effect: string }) => `${t.key}=${t.value}:${t.effect}`).sort(),
        ['app=fluentd-logging:NoExecute', 'dedicated=logging:NoSchedule'],
      );

      assert.equal((await ok(['cordon', 'node-1'])).stdout, 'node/node-1 cordoned\n');
      const nodes = table((await ok(['get', 'nodes'])).stdout);
      assert.equal(nodes.header, 'NAME STATUS ROLES AGE VERSION');
      assert.deepEqual(
        nodes.rows.map((r) => `${r[0]} ${r[1]}`),
        ['cp-1 Ready', 'node-1 Ready,SchedulingDisabled', 'node-2 Ready'],
      );
      assert.equal((await ok(['get', 'node', 'node-1', '-o', 'jsonpath={.spec.unschedulable}'])).stdout, 'true');

      const described = lines((await ok(['describe', 'node', 'node-1'])).stdout);
      assert.ok(described.includes('Name: node-1'), described.join('\n'));
      assert.ok(described.includes('Roles: <none>'));
      const taintsAt = described.findIndex((l) => l.startsWith('Taints:'));
      assert.deepEqual(
        [described[taintsAt], described[taintsAt + 1]].sort(),
        ['Taints: app=fluentd-logging:NoExecute', 'dedicated=logging:NoSchedule'].sort(),
      );
      assert.ok(described.includes('Unschedulable: true'));
      assert.ok(described.some((l) => l.startsWith('Ready True ') && l.endsWith('KubeletReady kubelet is posting ready status')));
      assert.ok(described.includes('InternalIP: 10.0.0.1'));
      assert.ok(described.includes('Kubelet Version: v1.33.0'));

      assert.equal((await ok(['taint', 'node', 'node-1', 'app-'])).stdout, 'node/node-1 untainted\n');
      assert.equal((await ok(['taint', 'node', 'node-1', 'dedicated=logging:NoSchedule-'])).stdout, 'node/node-1 untainted\n');
      const missing = await kubectl(['taint', 'node', 'node-1', 'app-']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr.trim(), 'error: taint "app" not found');
      assert.equal((await ok(['get', 'node', 'node-1', '-o', 'jsonpath={.spec.taints}'])).stdout, '');

      assert.equal((await ok(['uncordon', 'node-1'])).stdout, 'node/node-1 uncordoned\n');
      assert.equal((await ok(['uncordon', 'node-1'])).stdout, 'node/node-1 already uncordoned\n');
      assert.equal((await ok(['get', 'node', 'node-1', '-o', 'jsonpath={.spec.unschedulable}'])).stdout, '');
      assert.equal(table((await ok(['get', 'node', 'node-1'])).stdout).rows[0]?.[1], 'Ready');
    });

    it('edit with a scripted EDITOR, and an edit that changes nothing', async () => {
      const editor = join(work, 'edit-image.sh');
      writeFileSync(editor, '#!/bin/sh\nsed -i "s/fluentd:v2.5.3/fluentd:v2.5.9/" "$1"\n');
      chmodSync(editor, 0o755);
      const edited = await ok(['edit', 'ds', 'fluentd', '-n', 'logging'], { env: { EDITOR: editor, KUBE_EDITOR: '' } });
      assert.equal(edited.stdout, 'daemonset.apps/fluentd edited\n');
      const got = await ok(['get', 'ds', 'fluentd', '-n', 'logging', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}']);
      assert.equal(got.stdout, `${FLUENTD_IMAGE}:v2.5.9 3`);

      // The same script finds nothing to replace any more.
      const unchanged = await ok(['edit', 'ds', 'fluentd', '-n', 'logging'], { env: { EDITOR: editor, KUBE_EDITOR: '' } });
      assert.equal(unchanged.stdout, '');
      assert.equal(unchanged.stderr.trim(), 'Edit cancelled, no changes made.');
      assert.equal((await ok(['get', 'ds', 'fluentd', '-n', 'logging', '-o', 'jsonpath={.metadata.generation}'])).stdout, '3');
    });

    it('set image updates the container; an unknown container is an error', async () => {
      const set = await ok(['set', 'image', 'ds/fluentd', '-n', 'logging', `fluentd-elasticsearch=${FLUENTD_IMAGE}:v9`]);
      assert.equal(set.stdout, 'daemonset.apps/fluentd image updated\n');
      const got = await ok(['get', 'ds', 'fluentd', '-n', 'logging', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}']);
      assert.equal(got.stdout, `${FLUENTD_IMAGE}:v9 4`);

      const unknown = await kubectl(['set', 'image', 'ds/fluentd', '-n', 'logging', 'nosuch=busybox:1']);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr.trim(), 'error: unable to find container named "nosuch"');
    });

    it('get -w prints a new row when the DaemonSet changes', async () => {
      const watcher = server.spawnKubectl(version, ['get', 'ds', '-n', 'logging', '-w']);
      const exited = new Promise((r) => watcher.once('close', r));
      let out = '';
      let err = '';
      watcher.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      watcher.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const fluentdRows = () => table(out).rows.filter((r) => r[0] === 'fluentd');
      try {
        await eventually('the initial watch row', () => (fluentdRows().length === 1 ? true : undefined));
        assert.equal(table(out).header, 'NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE');
        assert.equal((await ok(['label', 'ds', 'fluentd', '-n', 'logging', 'watched=yes'])).stdout, 'daemonset.apps/fluentd labeled\n');
        await eventually('a second watch row after the change', () => (fluentdRows().length === 2 ? true : undefined));
        assert.deepEqual(fluentdRows()[1]?.slice(0, 7), ['fluentd', '0', '0', '0', '0', '0', '<none>']);
        // One header only; each event is one more row.
        assert.equal(out.split('\n').filter((l) => l.startsWith('NAME ')).length, 1);
        assert.equal(watcher.exitCode, null, 'kubectl get -w is still running');
        assert.equal(err, '');
      } finally {
        watcher.kill('SIGKILL');
        await exited;
      }
    });

    it('api-resources lists the served kinds with short names', async () => {
      const r = lines((await ok(['api-resources'])).stdout);
      assert.equal(r[0], 'NAME SHORTNAMES APIVERSION NAMESPACED KIND');
      for (const row of [
        'events ev v1 true Event',
        'namespaces ns v1 false Namespace',
        'nodes no v1 false Node',
        'pods po v1 true Pod',
        'controllerrevisions apps/v1 true ControllerRevision',
        'daemonsets ds apps/v1 true DaemonSet',
        'leases coordination.k8s.io/v1 true Lease',
        'priorityclasses pc scheduling.k8s.io/v1 false PriorityClass',
      ]) {
        assert.ok(r.includes(row), `missing "${row}" in:\n${r.join('\n')}`);
      }
    });

    it('explain daemonset.spec.updateStrategy', async () => {
      const r = await ok(['explain', 'daemonset.spec.updateStrategy']);
      const out = lines(r.stdout);
      assert.deepEqual(out.slice(0, 4), ['GROUP: apps', 'KIND: DaemonSet', 'VERSION: v1', 'FIELD: updateStrategy <DaemonSetUpdateStrategy>']);
      assert.ok(out.includes('DESCRIPTION:'));
      assert.ok(out.includes('FIELDS:'));
      assert.ok(out.includes('rollingUpdate <RollingUpdateDaemonSet>'), r.stdout);
      assert.ok(out.includes('type <string>'), r.stdout);
    });

    it('describe ds', async () => {
      const r = await ok(['describe', 'ds', 'fluentd', '-n', 'logging']);
      const out = lines(r.stdout);
      for (const line of [
        'Name: fluentd',
        'Selector: name=fluentd',
        'Node-Selector: <none>',
        'Desired Number of Nodes Scheduled: 0',
        'Current Number of Nodes Scheduled: 0',
        'Number of Nodes Misscheduled: 0',
        'Pods Status: 0 Running / 0 Waiting / 0 Succeeded / 0 Failed',
        'Pod Template:',
        'Labels: name=fluentd',
        'fluentd-elasticsearch:',
        `Image: ${FLUENTD_IMAGE}:v9`,
        '/var/log from varlog (rw)',
        'Priority Class Name: high-priority',
        'Events: <none>',
      ]) {
        assert.ok(out.includes(line), `missing "${line}" in:\n${r.stdout}`);
      }
      const labelsAt = out.findIndex((l) => l.startsWith('Labels:'));
      assert.deepEqual([out[labelsAt], out[labelsAt + 1]], ['Labels: app=fluentd-logging', 'watched=yes']);
      if (version === '1.33') assert.ok(out.includes('Namespace: logging'));
    });

    it('delete ds, then get it: NotFound', async () => {
      assert.equal((await ok(['delete', 'ds', 'fluentd', '-n', 'logging'])).stdout, 'daemonset.apps "fluentd" deleted\n');
      const gone = await kubectl(['get', 'ds', 'fluentd', '-n', 'logging']);
      assert.equal(gone.code, 1);
      assert.equal(gone.stderr.trim(), 'Error from server (NotFound): daemonsets.apps "fluentd" not found');
      const again = await kubectl(['delete', 'ds', 'fluentd', '-n', 'logging']);
      assert.equal(again.code, 1);
      assert.equal(again.stderr.trim(), 'Error from server (NotFound): daemonsets.apps "fluentd" not found');
    });

    it('delete ns removes the namespace and its DaemonSets', async () => {
      const reapplied = await ok(['apply', '-f', example('fluentd-logging-affinity.yaml')]);
      assert.deepEqual(lines(reapplied.stdout), ['daemonset.apps/fluentd created', 'priorityclass.scheduling.k8s.io/high-priority unchanged']);
      assert.equal((await ok(['delete', 'ns', 'logging'])).stdout, 'namespace "logging" deleted\n');
      await eventually('namespace logging to disappear', async () => {
        const r = await kubectl(['get', 'ns', 'logging']);
        return r.code === 1 && r.stderr.trim() === 'Error from server (NotFound): namespaces "logging" not found' ? true : undefined;
      });
      const left = await ok(['get', 'ds', '-n', 'logging']);
      assert.equal(left.stderr.trim(), 'No resources found in logging namespace.');
      const all = table((await ok(['get', 'ds', '-A'])).stdout);
      assert.deepEqual(all.rows.map((r) => `${r[0]}/${r[1]}`), ['default/ssd-monitor', 'kube-system/fluentd-elasticsearch']);
      const created = await kubectl(['apply', '-f', example('fluentd-logging-affinity.yaml')]);
      assert.equal(created.code, 1);
      assert.match(created.stderr, /namespaces "logging" not found/);
    });
  });
}

describe('kubectl workflow against everynode server', { concurrency: VERSIONS.length }, () => {
  for (const version of VERSIONS) workflow(version);
});
