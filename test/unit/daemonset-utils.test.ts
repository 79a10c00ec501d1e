// DaemonSet controller utilities: updated pods, the pod template and the pods built from it,
// pod ordering and grouping, claiming, expectations and the failed-pod back-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../src/api/object.js';
import { fromLabelSelector } from '../../src/placement/index.js';
import { Backoff } from '../../src/controllers/daemonset/backoff.js';
import { Expectations, EXPECTATIONS_TIMEOUT_MS } from '../../src/controllers/daemonset/expectations.js';
import { adoptPatch, claim, claimAction, controllerRefTo, releasePatch } from '../../src/controllers/daemonset/ownership.js';
import { comparePods, daemonPodTemplate, groupByNode, isPodAvailable, isPodUpdated, newDaemonPod, sortPods, templateGeneration } from '../../src/controllers/daemonset/pods.js';

const LABELS = { name: 'simple-daemon', type: 'production' };

function newDS(generation = '1', extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'foo', namespace: 'default', uid: 'ds-uid', generation: 1, annotations: { 'deprecated.daemonset.template.generation': generation } },
    spec: {
      selector: { matchLabels: { ...LABELS } },
      template: { metadata: { labels: { ...LABELS } }, spec: { containers: [{ name: 'foo', image: 'foo/bar' }] } },
      ...extra,
    },
  };
}

function pod(name: string, opts: { node?: string; labels?: Record<string, string>; created?: number; deleting?: boolean; phase?: string; affinityNode?: string } = {}): Pod {
  const p: Pod = {
    metadata: { name, namespace: 'default', labels: opts.labels ?? { ...LABELS }, creationTimestamp: new Date((opts.created ?? 0) * 1000).toISOString() },
    spec: { containers: [{ name: 'c' }], nodeName: opts.node },
    status: { phase: opts.phase ?? 'Running' },
  };
  if (opts.deleting) (p.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2020-01-01T00:00:00Z';
  if (opts.affinityNode) p.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [opts.affinityNode] }] }] } } };
  return p;
}

test('IsPodUpdated: the hash or the template generation label decides', () => {
  const cases: { name: string; labels: Record<string, string> | undefined; hash: string; generation: number | undefined; want: boolean }[] = [
    { name: 'generation and hash match', labels: { 'pod-template-generation': '1', 'controller-revision-hash': 'abc' }, hash: 'abc', generation: 1, want: true },
    { name: 'generation matches, hash differs', labels: { 'pod-template-generation': '1', 'controller-revision-hash': 'xyz' }, hash: 'abc', generation: 1, want: true },
    { name: 'generation matches, no hash label', labels: { 'pod-template-generation': '1' }, hash: 'abc', generation: 1, want: true },
    { name: 'generation matches, empty current hash', labels: { 'pod-template-generation': '1' }, hash: '', generation: 1, want: true },
    { name: 'generation differs, hash matches', labels: { 'pod-template-generation': '2', 'controller-revision-hash': 'abc' }, hash: 'abc', generation: 1, want: true },
    { name: 'both differ', labels: { 'pod-template-generation': '2', 'controller-revision-hash': 'xyz' }, hash: 'abc', generation: 1, want: false },
    { name: 'empty labels', labels: {}, hash: 'abc', generation: 1, want: false },
    { name: 'no labels', labels: undefined, hash: 'abc', generation: 1, want: false },
    { name: 'empty hash never matches an empty label', labels: { 'controller-revision-hash': '' }, hash: '', generation: undefined, want: false },
    { name: 'unknown generation', labels: { 'pod-template-generation': '1' }, hash: 'abc', generation: undefined, want: false },
  ];
  for (const c of cases) {
    const p: Pod = { metadata: { name: 'p', labels: c.labels } };
    assert.equal(isPodUpdated(p, c.hash, c.generation), c.want, c.name);
  }
});

test('template generation comes from the annotation; unparsable means unknown', () => {
  assert.equal(templateGeneration(newDS('3')), 3);
  assert.equal(templateGeneration(newDS('999')), 999);
  assert.equal(templateGeneration(newDS('x')), undefined);
  const ds = newDS();
  delete ds.metadata!.annotations;
  assert.equal(templateGeneration(ds), undefined);
});

test('CreatePodTemplate: generation and hash labels, daemon tolerations', () => {
  const t1 = daemonPodTemplate(newDS('1'), '');
  assert.deepEqual(t1.metadata?.labels, { ...LABELS, 'pod-template-generation': '1' });
  const t2 = daemonPodTemplate(newDS('2'), 'hashy');
  assert.deepEqual(t2.metadata?.labels, { ...LABELS, 'pod-template-generation': '2', 'controller-revision-hash': 'hashy' });
  const keys = (t2.spec?.tolerations ?? []).map((t) => `${t.key}:${t.effect}`);
  assert.deepEqual(keys, [
    'node.kubernetes.io/not-ready:NoExecute',
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/disk-pressure:NoSchedule',
    'node.kubernetes.io/memory-pressure:NoSchedule',
    'node.kubernetes.io/pid-pressure:NoSchedule',
    'node.kubernetes.io/unschedulable:NoSchedule',
  ]);
  const hostNet = newDS();
  hostNet.spec!.template.spec!.hostNetwork = true;
  assert.ok(daemonPodTemplate(hostNet, 'h').spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/network-unavailable'));
  // The DaemonSet itself is untouched.
  assert.equal(newDS().spec?.template.spec?.tolerations, undefined);
});

test('a new daemon pod: unbound, pinned to its node, owned by the DaemonSet', () => {
  const ds = newDS('1');
  ds.spec!.template.metadata!.annotations = { a: 'b' };
  const p = newDaemonPod(ds, daemonPodTemplate(ds, 'h1'), 'node-3');
  assert.equal(p.metadata?.generateName, 'foo-');
  assert.equal(p.metadata?.name, undefined);
  assert.equal(p.metadata?.namespace, 'default');
  assert.equal(p.spec?.nodeName, undefined);
  assert.deepEqual(p.metadata?.annotations, { a: 'b' });
  assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(p.spec?.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-3'] }] }] } } });
  assert.equal(p.metadata?.labels?.['controller-revision-hash'], 'h1');
});

test('ReplaceDaemonSetPodNodeNameNodeAffinity as seen on created pods', () => {
  const pin = { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_1'] }] };
  const preferred = [{ weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }];
  const cases: { name: string; affinity: Affinity | undefined; want: Affinity }[] = [
    { name: 'nil', affinity: undefined, want: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin] } } } },
    {
      name: 'hostname matchExpressions replaced',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['host_1'] }] }] } } },
      want: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin] } } },
    },
    {
      name: 'preferred kept, required added',
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } },
      want: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin] } } },
    },
    {
      name: 'In [host_1, host_2] narrowed',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_1', 'host_2'] }] }] } } },
      want: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin] } } },
    },
    {
      name: 'two terms become one',
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_2'] }] }],
          },
        },
      },
      want: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin] } } },
    },
    {
      name: 'NotIn replaced by In',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['host_2'] }] }] } } },
      want: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin] } } },
    },
    {
      name: 'unknown field key replaced',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.foo', operator: 'In', values: ['bar'] }] }] } } },
      want: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin] } } },
    },
  ];
  for (const c of cases) {
    const ds = newDS();
    if (c.affinity) ds.spec!.template.spec!.affinity = c.affinity;
    assert.deepEqual(newDaemonPod(ds, daemonPodTemplate(ds, ''), 'host_1').spec?.affinity, c.want, c.name);
  }
});

test('pod order: bound first, then oldest, then by name', () => {
  const pods = [pod('e', { created: 5 }), pod('d', { created: 1 }), pod('c', { node: 'n', created: 9 }), pod('b', { created: 1 }), pod('a', { node: 'n', created: 9 })];
  assert.deepEqual(sortPods(pods).map((p) => p.metadata?.name), ['a', 'c', 'b', 'd', 'e']);
  assert.equal(comparePods(pod('x', { created: 1 }), pod('x', { created: 1 })), 0);
});

test('availability: Ready, and Ready for more than minReadySeconds', () => {
  const ready = (since: number): Pod => ({ metadata: {}, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(since * 1000).toISOString() }] } });
  const at = (s: number) => new Date(s * 1000);
  assert.equal(isPodAvailable(ready(50), 0, at(50)), true);
  assert.equal(isPodAvailable(ready(50), 15, at(60)), false);
  assert.equal(isPodAvailable(ready(50), 15, at(65)), false, 'strictly after');
  assert.equal(isPodAvailable(ready(50), 15, at(66)), true);
  assert.equal(isPodAvailable({ metadata: {}, status: { conditions: [{ type: 'Ready', status: 'False' }] } }, 0, at(0)), false);
  assert.equal(isPodAvailable({ metadata: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 5, at(100)), false, 'no transition time');
});

test('grouping by target node', () => {
  const pods = [
    pod('bound', { node: 'node-0' }),
    pod('pinned', { affinityNode: 'node-1' }),
    pod('lost'),
    pod('failed-deleting', { node: 'node-0', phase: 'Failed', deleting: true }),
    pod('succeeded', { node: 'node-2', phase: 'Succeeded' }),
    pod('running-deleting', { node: 'node-2', deleting: true }),
  ];
  const names = (m: Map<string, Pod[]>) => Object.fromEntries([...m].map(([k, v]) => [k, v.map((p) => p.metadata?.name)]));
  assert.deepEqual(names(groupByNode(pods)), { 'node-0': ['bound'], 'node-1': ['pinned'], 'node-2': ['succeeded', 'running-deleting'] });
  assert.deepEqual(names(groupByNode(pods, true)), { 'node-0': ['bound', 'failed-deleting'], 'node-1': ['pinned'], 'node-2': ['succeeded', 'running-deleting'] });
});

function obj(labels: Record<string, string>, opts: { owner?: string; ownerKind?: string; controller?: boolean; namespace?: string; deleting?: boolean } = {}): KObject {
  const o: KObject = { metadata: { name: 'x', namespace: opts.namespace ?? 'default', uid: 'obj-uid', labels } };
  if (opts.owner) o.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: opts.ownerKind ?? 'DaemonSet', name: 'foo', uid: opts.owner, controller: opts.controller ?? true }];
  if (opts.deleting) o.metadata.deletionTimestamp = '2020-01-01T00:00:00Z';
  return o;
}

test('claim rules: keep, adopt, release, ignore', () => {
  const ds = newDS();
  const sel = fromLabelSelector(ds.spec!.selector);
  const other = { name: 'simple-daemon', type: 'test' };
  const cases: { name: string; o: KObject; deleting?: boolean; want: string }[] = [
    { name: 'ours and matching', o: obj(LABELS, { owner: 'ds-uid' }), want: 'keep' },
    { name: 'ours, not matching', o: obj(other, { owner: 'ds-uid' }), want: 'release' },
    { name: 'ours, not matching, DaemonSet deleting', o: obj(other, { owner: 'ds-uid' }), deleting: true, want: 'ignore' },
    { name: 'ours and matching, DaemonSet deleting', o: obj(LABELS, { owner: 'ds-uid' }), deleting: true, want: 'keep' },
    { name: 'another controller', o: obj(LABELS, { owner: 'other-uid' }), want: 'ignore' },
    { name: 'matching orphan', o: obj(LABELS), want: 'adopt' },
    { name: 'orphan with a non-controller owner', o: obj(LABELS, { owner: 'ds-uid', controller: false }), want: 'adopt' },
    { name: 'non-matching orphan', o: obj(other), want: 'ignore' },
    { name: 'orphan being deleted', o: obj(LABELS, { deleting: true }), want: 'ignore' },
    { name: 'orphan in another namespace', o: obj(LABELS, { namespace: 'other' }), want: 'ignore' },
    { name: 'orphan, DaemonSet deleting', o: obj(LABELS), deleting: true, want: 'ignore' },
  ];
  for (const c of cases) assert.equal(claimAction(ds, sel, c.o, c.deleting ?? false), c.want, c.name);
});

test('claim: adopts after a live re-check, releases, and skips objects already gone', async () => {
  const ds = newDS();
  const sel = fromLabelSelector(ds.spec!.selector);
  const patches: unknown[] = [];
  let checks = 0;
  const keep = obj(LABELS, { owner: 'ds-uid' });
  const orphan1 = { ...obj(LABELS), metadata: { ...obj(LABELS).metadata, name: 'o1' } };
  const orphan2 = { ...obj(LABELS), metadata: { ...obj(LABELS).metadata, name: 'gone' } };
  const released = obj({ name: 'simple-daemon', type: 'test' }, { owner: 'ds-uid' });
  const claimed = await claim(ds, sel, [keep, orphan1, orphan2, released], {
    canAdopt: async () => {
      checks++;
    },
    patch: async (o, body) => {
      patches.push(body);
      if (o.metadata.name === 'gone') throw Object.assign(new Error('not found'), { code: 404 });
      return { ...o, metadata: { ...o.metadata, ownerReferences: [controllerRefTo(ds)] } };
    },
  });
  assert.equal(checks, 1, 'one live check for all adoptions');
  assert.deepEqual(claimed.map((o) => o.metadata.name), ['x', 'o1']);
  assert.deepEqual(patches[0], adoptPatch(ds, orphan1));
  assert.deepEqual(patches[2], releasePatch(ds, released));
  assert.deepEqual(patches[2], { metadata: { ownerReferences: [{ $patch: 'delete', uid: 'ds-uid' }], uid: 'obj-uid' } });

  await assert.rejects(
    claim(ds, sel, [orphan1], { canAdopt: async () => Promise.reject(new Error('DaemonSet is gone')), patch: async (o) => o }),
    /DaemonSet is gone/,
  );
});

test('expectations: satisfied when observed, lowered or expired', () => {
  let now = 0;
  const e = new Expectations(() => new Date(now));
  assert.equal(e.satisfied('default/foo'), true, 'no record');
  e.set('default/foo', 2, 1);
  assert.equal(e.satisfied('default/foo'), false);
  e.creationObserved('default/foo');
  e.creationObserved('default/foo');
  assert.equal(e.satisfied('default/foo'), false, 'a delete is outstanding');
  e.deletionObserved('default/foo');
  assert.equal(e.satisfied('default/foo'), true);
  e.deletionObserved('default/foo');
  assert.deepEqual(e.pending('default/foo'), { add: 0, del: -1 }, 'counts may go negative');
  e.set('default/foo', 5, 0);
  e.lower('default/foo', 5, 0);
  assert.equal(e.satisfied('default/foo'), true);
  e.set('default/foo', 1, 0);
  now += EXPECTATIONS_TIMEOUT_MS;
  assert.equal(e.satisfied('default/foo'), false);
  now += 1;
  assert.equal(e.satisfied('default/foo'), true, 'expired');
  e.set('default/foo', 1, 0);
  e.delete('default/foo');
  assert.equal(e.satisfied('default/foo'), true);
  assert.equal(e.pending('default/foo'), undefined);
});

test('failed-pod back-off: 1 s doubling, up to 15 min, reset after twice the maximum', () => {
  const b = new Backoff();
  const at = (ms: number) => new Date(ms);
  assert.equal(b.inBackoff('k', at(0)), false);
  b.next('k', at(0));
  assert.equal(b.get('k'), 1000);
  assert.equal(b.inBackoff('k', at(999)), true);
  assert.equal(b.inBackoff('k', at(1000)), false);
  b.next('k', at(1000));
  assert.equal(b.get('k'), 2000);
  for (let i = 0; i < 20; i++) b.next('k', at(2000));
  assert.equal(b.get('k'), 15 * 60 * 1000);
  b.next('k', at(2000 + 2 * 15 * 60 * 1000 + 1));
  assert.equal(b.get('k'), 1000, 'expired entries start over');
  b.gc(at(10 ** 10));
  assert.equal(b.get('k'), 0);
});
