import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../src/api/object.js';
import {
  defaultDaemonSet,
  defaultNamespace,
  defaultNode,
  defaultPod,
  defaultPodTemplateSpec,
  defaultPriorityClass,
  defaultPullPolicy,
  prepareNamespaceForCreate,
} from '../../src/api/defaults/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

function ds(spec: Obj = {}): Obj {
  const obj: Obj = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } },
      ...spec,
    },
  };
  defaultDaemonSet(obj);
  return obj;
}

// ---- DaemonSet (semantics §1.2) ------------------------------------------------------------

const dsCases: [string, Obj, Obj][] = [
  ['no strategy: RollingUpdate 1/0', {}, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }],
  ['type only', { updateStrategy: { type: 'RollingUpdate' } }, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }],
  ['maxSurge alone gets maxUnavailable 1', { updateStrategy: { rollingUpdate: { maxSurge: 1 } } }, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } }],
  ['explicit zero kept', { updateStrategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } } }, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '10%' } }],
  ['percent kept', { updateStrategy: { rollingUpdate: { maxUnavailable: '20%' } } }, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '20%', maxSurge: 0 } }],
  ['OnDelete: nothing added', { updateStrategy: { type: 'OnDelete' } }, { type: 'OnDelete' }],
  ['OnDelete: rollingUpdate untouched', { updateStrategy: { type: 'OnDelete', rollingUpdate: { maxSurge: 2 } } }, { type: 'OnDelete', rollingUpdate: { maxSurge: 2 } }],
  ['unknown type: nothing added', { updateStrategy: { type: 'Recreate' } }, { type: 'Recreate' }],
];

for (const [title, spec, strategy] of dsCases) {
  test(`DaemonSet strategy defaults: ${title}`, () => assert.deepEqual(ds(spec).spec.updateStrategy, strategy));
}

test('DaemonSet revisionHistoryLimit defaults to 10, an explicit 0 stays', () => {
  assert.equal(ds().spec.revisionHistoryLimit, 10);
  assert.equal(ds({ revisionHistoryLimit: 0 }).spec.revisionHistoryLimit, 0);
  assert.equal(ds({ revisionHistoryLimit: 3 }).spec.revisionHistoryLimit, 3);
});

test('DaemonSet: the selector is not defaulted from the template labels (apps/v1)', () => {
  const obj: Obj = { metadata: { name: 'd', namespace: 'x' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } } } };
  defaultDaemonSet(obj);
  assert.equal(obj.spec.selector, undefined);
  assert.equal(obj.spec.minReadySeconds, undefined);
});

test('DaemonSet template gets the pod spec defaults, but none of the pod-only ones', () => {
  const t = ds({
    template: {
      metadata: { labels: { app: 'd' } },
      spec: {
        containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1', memory: '1024Mi' } } }],
        volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }],
        hostNetwork: true,
      },
    },
  }).spec.template.spec;
  assert.deepEqual(t, {
    containers: [
      {
        name: 'c',
        image: 'nginx',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: { limits: { cpu: '1', memory: '1Gi' } },
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    volumes: [{ name: 'logs', hostPath: { path: '/var/log', type: '' } }],
    hostNetwork: true,
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler',
  });
});

test('explicit pod spec values are kept', () => {
  const t: Obj = {
    spec: {
      containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Never', terminationMessagePolicy: 'FallbackToLogsOnError', terminationMessagePath: '/tmp/t' }],
      restartPolicy: 'Never',
      dnsPolicy: 'Default',
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsUser: 5 },
      schedulerName: 'mine',
    },
  };
  const before = structuredClone(t);
  defaultPodTemplateSpec(t);
  assert.deepEqual(t, before);
});

// ---- image pull policy ---------------------------------------------------------------------

const pullCases: [string | undefined, string][] = [
  ['nginx', 'Always'],
  ['nginx:latest', 'Always'],
  ['nginx:1.25', 'IfNotPresent'],
  ['library/nginx', 'Always'],
  ['localhost:5000/nginx', 'Always'],
  ['localhost:5000/nginx:1', 'IfNotPresent'],
  ['registry.example.com:443/team/app:v2', 'IfNotPresent'],
  ['quay.io/fluentd_elasticsearch/fluentd:v2.5.2', 'IfNotPresent'],
  ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
  ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
  ['Nginx', 'IfNotPresent'],
  ['Registry.Example.com/app', 'Always'],
  ['registry.example.com/Team/app', 'IfNotPresent'],
  ['', 'IfNotPresent'],
  [undefined, 'IfNotPresent'],
];

for (const [image, policy] of pullCases) {
  test(`imagePullPolicy for ${JSON.stringify(image)} is ${policy}`, () => assert.equal(defaultPullPolicy(image), policy));
}

// ---- pods ----------------------------------------------------------------------------------

function pod(spec: Obj): Obj {
  const obj: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
  defaultPod(obj);
  return obj;
}

test('Pod: enableServiceLinks, and requests copied from limits', () => {
  const p = pod({
    containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } } }],
    initContainers: [{ name: 'i', image: 'x', resources: { limits: { cpu: '1' } } }],
  });
  assert.equal(p.spec.enableServiceLinks, true);
  assert.deepEqual(p.spec.containers[0].resources.requests, { cpu: '100m', memory: '128Mi' });
  assert.deepEqual(p.spec.initContainers[0].resources.requests, { cpu: '1' });
  assert.equal(pod({ containers: [], enableServiceLinks: false }).spec.enableServiceLinks, false);
});

test('Pod: host networking fills host ports from container ports', () => {
  const p = pod({ hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 9100 }, { containerPort: 80, hostPort: 8080 }] }] });
  assert.deepEqual(p.spec.containers[0].ports, [
    { containerPort: 9100, hostPort: 9100, protocol: 'TCP' },
    { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
  ]);
});

test('Pod: priority fields are left for admission', () => {
  const p = pod({ containers: [{ name: 'c', image: 'x' }] });
  assert.equal(p.spec.preemptionPolicy, undefined);
  assert.equal(p.spec.priority, undefined);
});

test('resource quantities are canonicalized and rounded up to milli', () => {
  const p = pod({
    containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '0.5', memory: '1.5Gi', 'ephemeral-storage': 1000 }, limits: { cpu: '0.0001', memory: 'lots' } } }],
  });
  assert.deepEqual(p.spec.containers[0].resources, {
    requests: { cpu: '500m', memory: '1536Mi', 'ephemeral-storage': '1k' },
    limits: { cpu: '1m', memory: 'lots' }, // invalid values are left for validation
  });
});

test('volumes: sources, file modes and field refs', () => {
  const p = pod({
    containers: [{ name: 'c', image: 'x', env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }],
    volumes: [
      { name: 'scratch' },
      { name: 's', secret: { secretName: 's' } },
      { name: 'cm', configMap: { name: 'cm', defaultMode: 0o600 } },
      { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'pr', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  });
  assert.deepEqual(p.spec.containers[0].env[0].valueFrom.fieldRef, { fieldPath: 'spec.nodeName', apiVersion: 'v1' });
  assert.deepEqual(p.spec.volumes, [
    { name: 'scratch', emptyDir: {} },
    { name: 's', secret: { secretName: 's', defaultMode: 420 } },
    { name: 'cm', configMap: { name: 'cm', defaultMode: 0o600 } },
    { name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels', apiVersion: 'v1' } }], defaultMode: 420 } },
    { name: 'pr', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }], defaultMode: 420 } },
  ]);
});

test('probes get their thresholds and HTTP defaults', () => {
  const p = pod({ containers: [{ name: 'c', image: 'x', livenessProbe: { httpGet: { port: 8080 } }, readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5 } }] });
  assert.deepEqual(p.spec.containers[0].livenessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(p.spec.containers[0].readinessProbe.periodSeconds, 5);
});

test('defaulting is idempotent', () => {
  const once = ds({ updateStrategy: { rollingUpdate: { maxSurge: '10%', maxUnavailable: 0 } } });
  const twice = structuredClone(once);
  defaultDaemonSet(twice);
  assert.deepEqual(twice, once);
  const p = pod({ containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '0.5' } } }] });
  const p2 = structuredClone(p);
  defaultPod(p2);
  assert.deepEqual(p2, p);
});

// ---- other kinds ---------------------------------------------------------------------------

test('Namespace: name label and Active phase on every write; the kubernetes finalizer only on create', () => {
  const ns: Obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'logging', labels: { team: 'x' } } };
  defaultNamespace(ns);
  assert.deepEqual(ns.metadata.labels, { team: 'x', 'kubernetes.io/metadata.name': 'logging' });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.equal(ns.spec, undefined);
  prepareNamespaceForCreate(ns);
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  const other: Obj = { metadata: { name: 'x' }, spec: { finalizers: ['example.com/a'] }, status: { phase: 'Terminating' } };
  prepareNamespaceForCreate(other);
  assert.deepEqual(other.spec.finalizers, ['example.com/a', 'kubernetes']);
  assert.deepEqual(other.status, { phase: 'Active' });
  const terminating: Obj = { metadata: { name: 'x' }, status: { phase: 'Terminating' } };
  defaultNamespace(terminating);
  assert.equal(terminating.status.phase, 'Terminating');
});

test('Node: allocatable mirrors capacity when missing', () => {
  const node = (status: Obj): Obj => {
    const n: Obj = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status };
    defaultNode(n as KObject);
    return n;
  };
  assert.deepEqual(node({ capacity: { cpu: '4', pods: '110' } }).status.allocatable, { cpu: '4', pods: '110' });
  assert.deepEqual(node({ capacity: { cpu: '4' }, allocatable: { cpu: '3500m' } }).status.allocatable, { cpu: '3500m' });
  assert.equal(node({}).status.allocatable, undefined);
});

test('PriorityClass: preemptionPolicy defaults to PreemptLowerPriority', () => {
  const pc: Obj = { metadata: { name: 'high' }, value: 10 };
  defaultPriorityClass(pc);
  assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
  const never: Obj = { metadata: { name: 'low' }, value: 1, preemptionPolicy: 'Never' };
  defaultPriorityClass(never);
  assert.equal(never.preemptionPolicy, 'Never');
});
