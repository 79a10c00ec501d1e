// ControllerRevision history: the revision data kubectl compares byte for byte, the template
// hash, and constructing / renumbering / trimming revisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { ApiError, errors } from '../../src/api/errors.js';
import { computeTemplateHash, fnv1a32, safeEncode } from '../../src/controllers/daemonset/hash.js';
import {
  cleanupHistory,
  constructHistory,
  maxRevision,
  newRevision,
  pickCurrent,
  revisionMatches,
  revisionsToTrim,
  snapshot,
  splitHistory,
  type HistoryApi,
} from '../../src/controllers/daemonset/history.js';
import { goTemplate, revisionDataBytes, storedDataBytes } from '../../src/controllers/daemonset/revision-data.js';

const LABELS = { name: 'fluentd' };

function newDS(image = 'fluentd:v1.17', extra: { annotations?: Record<string, string>; limit?: number; collisionCount?: number } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'fluentd', namespace: 'logging', uid: 'ds-uid', generation: 1, annotations: extra.annotations },
    spec: {
      selector: { matchLabels: { ...LABELS } },
      revisionHistoryLimit: extra.limit ?? 10,
      template: {
        metadata: { labels: { ...LABELS } },
        spec: {
          containers: [
            {
              name: 'fluentd',
              image,
              imagePullPolicy: 'IfNotPresent',
              resources: { limits: { memory: '200Mi' } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              volumeMounts: [{ name: 'varlog', mountPath: '/var/log' }],
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
          volumes: [{ name: 'varlog', hostPath: { path: '/var/log' } }],
        },
      },
    },
    status: extra.collisionCount === undefined ? undefined : ({ collisionCount: extra.collisionCount } as DaemonSet['status']),
  };
}

test('revision data is what Go writes: sorted keys, creationTimestamp null, $patch first', () => {
  assert.equal(
    revisionDataBytes(newDS()),
    '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"name":"fluentd"}},' +
      '"spec":{"containers":[{"image":"fluentd:v1.17","imagePullPolicy":"IfNotPresent","name":"fluentd","resources":{"limits":{"memory":"200Mi"}},' +
      '"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","volumeMounts":[{"mountPath":"/var/log","name":"varlog"}]}],' +
      '"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30,' +
      '"volumes":[{"hostPath":{"path":"/var/log"},"name":"varlog"}]}}}}',
  );
});

test('Go encoding rules for the template: omitempty fields dropped, struct fields always present', () => {
  const t = {
    metadata: { labels: { a: 'b' }, annotations: {} },
    spec: {
      hostNetwork: false,
      automountServiceAccountToken: false,
      nodeSelector: {},
      tolerations: [],
      containers: [
        {
          name: 'c',
          image: 'i',
          env: [{ name: 'EMPTY', value: '' }, { name: 'FROM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }],
          args: [],
          ports: [{ containerPort: 80, hostPort: 0 }],
          volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: false }],
          readinessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 10 },
          securityContext: { privileged: false },
          restartPolicy: '',
        },
      ],
      volumes: [{ name: 'v', hostPath: { path: '/v', type: '' } }, { name: 'e', emptyDir: {} }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
    },
  } as unknown as PodTemplateSpec;
  assert.deepEqual(goTemplate(t), {
    metadata: { creationTimestamp: null, labels: { a: 'b' } },
    spec: {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
      automountServiceAccountToken: false,
      containers: [
        {
          env: [{ name: 'EMPTY' }, { name: 'FROM', valueFrom: { resourceFieldRef: { divisor: '0', resource: 'limits.cpu' } } }],
          image: 'i',
          name: 'c',
          ports: [{ containerPort: 80 }],
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 },
          resources: {},
          restartPolicy: '',
          securityContext: { privileged: false },
          volumeMounts: [{ mountPath: '/v', name: 'v' }],
        },
      ],
      volumes: [{ hostPath: { path: '/v', type: '' }, name: 'v' }, { emptyDir: {}, name: 'e' }],
    },
  });
  // Key order of the input does not matter.
  const shuffled = { spec: { ...t.spec }, metadata: { annotations: {}, labels: { a: 'b' } } } as PodTemplateSpec;
  assert.equal(JSON.stringify(goTemplate(shuffled)), JSON.stringify(goTemplate(t)));
});

test('stored revision data matches the DaemonSet whatever its key order', () => {
  const ds = newDS();
  const stored = JSON.parse(revisionDataBytes(ds)) as { spec: { template: Record<string, unknown> } };
  const reordered = { spec: { template: Object.fromEntries(Object.entries(stored.spec.template).reverse()) } };
  assert.equal(storedDataBytes(reordered), revisionDataBytes(ds));
  assert.equal(revisionMatches(ds, { revision: 1, data: reordered }), true);
  assert.equal(revisionMatches(newDS('other:1'), { revision: 1, data: reordered }), false);
});

test('FNV-1a and the safe alphabet', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(fnv1a32(enc('')), 0x811c9dc5);
  assert.equal(fnv1a32(enc('a')), 0xe40c292c);
  assert.equal(fnv1a32(enc('foobar')), 0xbf9cf968);
  assert.equal(safeEncode('0123456789'), '456789bcdf');
});

test('template hash: deterministic, template-sensitive, salted by collisionCount', () => {
  const t = newDS().spec!.template;
  const h = computeTemplateHash(t);
  assert.match(h, /^[4-9bcdf]{1,10}$/);
  assert.equal(computeTemplateHash(structuredClone(t)), h);
  assert.notEqual(computeTemplateHash(newDS('fluentd:v2').spec!.template), h);
  const salted = [undefined, 0, 1, 2].map((c) => computeTemplateHash(t, c));
  assert.equal(new Set(salted).size, 4, 'nil, 0, 1 and 2 all hash differently');
  assert.equal(computeTemplateHash(t, 1), computeTemplateHash(structuredClone(t), 1));
  // Spellings Go would encode identically hash identically.
  const withEmpty = structuredClone(t);
  withEmpty.spec!.nodeSelector = {};
  assert.equal(computeTemplateHash(withEmpty), h);
});

function cr(name: string, revision: number, ds: DaemonSet, hash = name.split('-').pop()!): ControllerRevision {
  return { ...newRevision(ds, hash, revision), metadata: { ...newRevision(ds, hash, revision).metadata, name, uid: `uid-${name}` } };
}

test('a new revision: name, labels, annotations, owner, data', () => {
  const ds = newDS('fluentd:v1.17', { annotations: { 'kubernetes.io/change-cause': 'set image', 'deprecated.daemonset.template.generation': '2' } });
  const r = newRevision(ds, '5d6c8b9f7', 3);
  assert.deepEqual(r.metadata, {
    name: 'fluentd-5d6c8b9f7',
    namespace: 'logging',
    labels: { name: 'fluentd', 'controller-revision-hash': '5d6c8b9f7' },
    annotations: { 'kubernetes.io/change-cause': 'set image', 'deprecated.daemonset.template.generation': '2' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }],
  });
  assert.equal(r.revision, 3);
  assert.equal(JSON.stringify(r.data), revisionDataBytes(ds));
});

test('splitting, picking the current revision, the highest revision', () => {
  const ds = newDS();
  const other = newDS('old:1');
  const a = cr('fluentd-a', 1, other);
  const b = cr('fluentd-b', 2, ds);
  const c = cr('fluentd-c', 2, ds);
  const d = cr('fluentd-d', 5, other);
  const { current, old } = splitHistory(ds, [a, b, c, d]);
  assert.deepEqual(current.map((x) => x.metadata?.name), ['fluentd-b', 'fluentd-c']);
  assert.deepEqual(old.map((x) => x.metadata?.name), ['fluentd-a', 'fluentd-d']);
  assert.equal(pickCurrent(current).metadata?.name, 'fluentd-c', 'ties go to the later one');
  assert.equal(pickCurrent([cr('x-1', 7, ds), cr('x-2', 3, ds)]).metadata?.name, 'x-1');
  assert.equal(maxRevision(old), 5);
  assert.equal(maxRevision([]), 0);
});

test('trimming: oldest first, never a revision a pod still runs', () => {
  const ds = newDS('x', { limit: 2 });
  const old = [5, 1, 4, 2, 3].map((r) => cr(`fluentd-h${r}`, r, newDS(`img:${r}`)));
  const names = (crs: ControllerRevision[]) => crs.map((x) => x.metadata?.name);
  assert.deepEqual(names(revisionsToTrim(ds, old, new Set())), ['fluentd-h1', 'fluentd-h2', 'fluentd-h3']);
  assert.deepEqual(names(revisionsToTrim(ds, old, new Set(['h1', 'h3']))), ['fluentd-h2', 'fluentd-h4', 'fluentd-h5']);
  assert.deepEqual(names(revisionsToTrim(ds, old, new Set(['h1', 'h2', 'h3', 'h4']))), ['fluentd-h5'], 'more than the limit may remain');
  assert.deepEqual(names(revisionsToTrim(newDS('x', { limit: 5 }), old, new Set())), []);
  assert.deepEqual(names(revisionsToTrim(newDS('x', { limit: 0 }), old, new Set())).length, 5);
});

/** An in-memory HistoryApi that records what it is asked to do. */
function fakeApi(initial: ControllerRevision[] = [], dsStatus: { collisionCount?: number } = {}) {
  const revisions = new Map(initial.map((r) => [r.metadata!.name!, structuredClone(r)]));
  const calls: string[] = [];
  let liveStatus = { ...dsStatus };
  const api: HistoryApi = {
    createRevision: async (r) => {
      calls.push(`create ${r.metadata?.name} rev ${r.revision}`);
      if (revisions.has(r.metadata!.name!)) throw errors.alreadyExists('controllerrevisions', 'apps', r.metadata!.name!);
      revisions.set(r.metadata!.name!, structuredClone(r));
      return r;
    },
    getRevision: async (_ns, name) => {
      const r = revisions.get(name);
      if (!r) throw errors.notFound('controllerrevisions', 'apps', name);
      return r;
    },
    updateRevision: async (r) => {
      calls.push(`update ${r.metadata?.name} rev ${r.revision} hash ${r.metadata?.labels?.['controller-revision-hash']}`);
      revisions.set(r.metadata!.name!, structuredClone(r));
      return r;
    },
    deleteRevision: async (_ns, name) => {
      calls.push(`delete ${name}`);
      revisions.delete(name);
    },
    getDaemonSet: async () => ({ ...newDS(), status: { ...liveStatus } }) as DaemonSet,
    updateDaemonSetStatus: async (ds) => {
      calls.push(`status collisionCount ${ds.status?.collisionCount}`);
      liveStatus = { collisionCount: ds.status?.collisionCount };
    },
    relabelPod: async (_ns, name, hash) => {
      calls.push(`relabel ${name} ${hash}`);
    },
  };
  return { api, calls, revisions };
}

test('constructHistory: the first revision is created', async () => {
  const ds = newDS();
  const { api, calls } = fakeApi();
  const { current, old } = await constructHistory(api, ds, [], () => []);
  const hash = computeTemplateHash(ds.spec!.template);
  assert.deepEqual(calls, [`create fluentd-${hash} rev 1`]);
  assert.equal(current.metadata?.labels?.['controller-revision-hash'], hash);
  assert.deepEqual(old, []);
});

test('constructHistory: a new template gets max+1; a rolled-back template is renumbered', async () => {
  const a = newDS('a:1');
  const b = newDS('b:1');
  const revA = cr('fluentd-ha', 1, a);
  const revB = cr('fluentd-hb', 2, b);
  // Template c is new: revision 3.
  let f = fakeApi([revA, revB]);
  let state = await constructHistory(f.api, newDS('c:1'), [revA, revB], () => []);
  assert.equal(state.current.revision, 3);
  assert.equal(state.old.length, 2);
  // Back to a: its revision moves from 1 to 3, no new revision is created.
  f = fakeApi([revA, revB]);
  state = await constructHistory(f.api, a, [revA, revB], () => []);
  assert.deepEqual(f.calls, ['update fluentd-ha rev 3 hash ha']);
  assert.equal(state.current.revision, 3);
  assert.deepEqual(state.old.map((r) => r.metadata?.name), ['fluentd-hb']);
  // Already the newest: nothing to do.
  f = fakeApi([revA, revB]);
  state = await constructHistory(f.api, b, [revA, revB], () => []);
  assert.deepEqual(f.calls, []);
  assert.equal(state.current.metadata?.name, 'fluentd-hb');
});

test('constructHistory: duplicates of the current revision are removed after relabelling pods', async () => {
  const ds = newDS();
  const dup1 = cr('fluentd-h1', 1, ds);
  const dup2 = cr('fluentd-h2', 2, ds);
  const old = cr('fluentd-h0', 3, newDS('old:1'));
  const pods = [
    { metadata: { name: 'p1', namespace: 'logging', labels: { 'controller-revision-hash': 'h1' } } },
    { metadata: { name: 'p2', namespace: 'logging', labels: { 'controller-revision-hash': 'h2' } } },
    { metadata: { name: 'p0', namespace: 'logging', labels: { 'controller-revision-hash': 'h0' } } },
  ];
  const f = fakeApi([dup1, dup2, old]);
  const state = await constructHistory(f.api, ds, [dup1, dup2, old], () => pods);
  // Every pod not on the kept hash is relabelled (old revisions' pods included), then the duplicate goes
  // and the kept one is renumbered above the old revision.
  assert.deepEqual(f.calls, ['relabel p1 h2', 'relabel p0 h2', 'delete fluentd-h1', 'update fluentd-h2 rev 4 hash h2']);
  assert.equal(state.current.metadata?.name, 'fluentd-h2');
});

test('constructHistory: a revision without the hash label is labelled with its own name', async () => {
  const ds = newDS();
  const unlabelled = cr('fluentd-legacy', 1, ds);
  delete unlabelled.metadata!.labels!['controller-revision-hash'];
  const f = fakeApi([unlabelled]);
  const state = await constructHistory(f.api, ds, [unlabelled], () => []);
  assert.deepEqual(f.calls, ['update fluentd-legacy rev 1 hash fluentd-legacy']);
  assert.equal(state.current.metadata?.labels?.['controller-revision-hash'], 'fluentd-legacy');
});

test('snapshot: an existing identical revision is reused; a collision bumps collisionCount', async () => {
  const ds = newDS();
  const hash = computeTemplateHash(ds.spec!.template);
  // The name exists with the same data (e.g. created by an earlier sync the cache has not shown yet).
  let f = fakeApi([cr(`fluentd-${hash}`, 1, ds)]);
  assert.equal((await snapshot(f.api, ds, 1)).metadata?.name, `fluentd-${hash}`);

  // The name exists with other data: a hash collision.
  f = fakeApi([cr(`fluentd-${hash}`, 1, newDS('other:1'))]);
  await assert.rejects(snapshot(f.api, ds, 2), (err: unknown) => err instanceof ApiError && err.reason === 'AlreadyExists');
  assert.deepEqual(f.calls.slice(1), ['status collisionCount 1']);
  // The next attempt hashes with the new salt and succeeds.
  const bumped = newDS('fluentd:v1.17', { collisionCount: 1 });
  const created = await snapshot(f.api, bumped, 2);
  assert.equal(created.metadata?.name, `fluentd-${computeTemplateHash(bumped.spec!.template, 1)}`);
  assert.notEqual(created.metadata?.name, `fluentd-${hash}`);

  // A stale collisionCount (the live object already moved on) is an error without a bump.
  f = fakeApi([cr(`fluentd-${hash}`, 1, newDS('other:1'))], { collisionCount: 4 });
  await assert.rejects(snapshot(f.api, ds, 2), /stale collision count/);
  assert.equal(f.calls.filter((c) => c.startsWith('status')).length, 0);
});

test('cleanupHistory deletes what trimming picks', async () => {
  const ds = newDS('x', { limit: 1 });
  const old = [1, 2, 3].map((r) => cr(`fluentd-h${r}`, r, newDS(`img:${r}`)));
  const f = fakeApi(old);
  await cleanupHistory(f.api, ds, old, new Set(['h1']));
  assert.deepEqual(f.calls, ['delete fluentd-h2', 'delete fluentd-h3'], 'two over the limit; h1 is still in use');
});
