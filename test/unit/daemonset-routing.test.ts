// Which DaemonSets an informer event wakes, and what it tells the expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../src/api/object.js';
import { Expectations } from '../../src/controllers/daemonset/expectations.js';
import { EventRouter, shouldIgnoreNodeUpdate } from '../../src/controllers/daemonset/routing.js';

const LABELS = { name: 'simple-daemon', type: 'production' };

function ds(name: string, selector: Record<string, string> = LABELS, extra: { nodeSelector?: Record<string, string>; minReadySeconds?: number } = {}): DaemonSet {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      selector: { matchLabels: selector },
      template: { metadata: { labels: selector }, spec: { containers: [], nodeSelector: extra.nodeSelector } },
      minReadySeconds: extra.minReadySeconds,
    },
  };
}

function setup(dss: DaemonSet[] = [ds('foo1'), ds('foo2'), ds('foo3', { name: 'other' })]) {
  const queued: string[] = [];
  const delayed: [string, number][] = [];
  const expectations = new Expectations(() => new Date(0));
  const router = new EventRouter({
    daemonSet: (ns, name) => dss.find((d) => d.metadata?.namespace === ns && d.metadata?.name === name),
    daemonSets: () => dss,
    enqueue: (k) => queued.push(k),
    enqueueAfter: (k, ms) => delayed.push([k, ms]),
    expectations,
  });
  return { router, queued, delayed, expectations };
}

let rv = 0;
function pod(labels: Record<string, string> = LABELS, owner?: DaemonSet, extra: Partial<NonNullable<Pod['metadata']>> = {}): Pod {
  const p: Pod = { metadata: { name: 'pod', namespace: 'default', labels, resourceVersion: String(++rv), ...extra }, spec: { containers: [] } };
  if (owner) p.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true }];
  return p;
}

function bump(p: Pod, change: (p: Pod) => void = () => {}): Pod {
  const c = structuredClone(p);
  (c.metadata as { resourceVersion?: string }).resourceVersion = String(++rv);
  change(c);
  return c;
}

test('owned pods wake exactly their owner and count toward its expectations', () => {
  const { router, queued, expectations } = setup();
  const foo1 = ds('foo1');
  expectations.set('default/foo1', 1, 1);
  const p = pod(LABELS, foo1);
  router.addPod(p);
  assert.deepEqual(queued, ['default/foo1']);
  assert.deepEqual(expectations.pending('default/foo1'), { add: 0, del: 1 });
  router.updatePod(bump(p), p);
  assert.deepEqual(queued, ['default/foo1', 'default/foo1']);
  router.deletePod(p);
  assert.deepEqual(queued, ['default/foo1', 'default/foo1', 'default/foo1']);
  assert.deepEqual(expectations.pending('default/foo1'), { add: 0, del: 0 });
});

test('a pod marked for deletion counts as deleted', () => {
  const { router, queued, expectations } = setup();
  expectations.set('default/foo1', 0, 2);
  const p = pod(LABELS, ds('foo1'));
  router.updatePod(bump(p, (c) => ((c.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2020-01-01T00:00:00Z')), p);
  router.addPod(pod(LABELS, ds('foo1'), { deletionTimestamp: '2020-01-01T00:00:00Z' }));
  assert.deepEqual(expectations.pending('default/foo1'), { add: 0, del: 0 });
  assert.deepEqual(queued, ['default/foo1', 'default/foo1']);
});

test('a controllerRef to another incarnation or kind resolves to nothing', () => {
  const { router, queued } = setup();
  const stale = pod(LABELS);
  stale.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo1', uid: 'old-uid', controller: true }];
  router.addPod(stale);
  const rs = pod(LABELS);
  rs.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'foo1', uid: 'uid-foo1', controller: true }];
  router.addPod(rs);
  assert.deepEqual(queued, []);
});

test('orphans wake the DaemonSets that select them', () => {
  const { router, queued } = setup();
  const orphan = pod();
  router.addPod(orphan);
  assert.deepEqual(queued, ['default/foo1', 'default/foo2']);
  queued.length = 0;
  router.updatePod(bump(orphan), orphan);
  assert.deepEqual(queued, [], 'same labels: nothing');
  router.updatePod(bump(orphan, (c) => (c.metadata!.labels = { name: 'other' })), orphan);
  assert.deepEqual(queued, ['default/foo3'], 'labels changed: the DaemonSets selecting it now');
  queued.length = 0;
  router.deletePod(orphan);
  assert.deepEqual(queued, [], 'orphan deletions wake nobody');
  router.updatePod(orphan, orphan);
  assert.deepEqual(queued, [], 'same resourceVersion: a resync, ignored');
  router.addPod(pod(LABELS, undefined, { namespace: 'elsewhere' }));
  assert.deepEqual(queued, [], 'other namespaces are not selected');
});

test('a changed controllerRef wakes the old and the new owner', () => {
  const { router, queued } = setup();
  const owned = pod(LABELS, ds('foo1'));
  router.updatePod(bump(owned, (c) => (c.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo2', uid: 'uid-foo2', controller: true }])), owned);
  assert.deepEqual(queued, ['default/foo1', 'default/foo2']);
  queued.length = 0;
  // Released: the old owner, and (as an orphan) every DaemonSet selecting it.
  router.updatePod(bump(owned, (c) => delete c.metadata!.ownerReferences), owned);
  assert.deepEqual(queued, ['default/foo1', 'default/foo1', 'default/foo2']);
});

test('non-daemon pods being deleted wake nobody', () => {
  const { router, queued } = setup();
  const other = pod({ app: 'x' });
  other.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true }];
  router.deletePod(other);
  router.deletePod({ ...pod({ app: 'x' }), spec: { nodeName: 'node-0', containers: [] } });
  assert.deepEqual(queued, []);
});

test('becoming ready with minReadySeconds: synced again once available', () => {
  const foo = ds('foo1', LABELS, { minReadySeconds: 5 });
  const { router, delayed } = setup([foo]);
  const p = pod(LABELS, foo);
  router.updatePod(bump(p, (c) => ((c as { status?: unknown }).status = { conditions: [{ type: 'Ready', status: 'True' }] })), p);
  assert.deepEqual(delayed, [['default/foo1', 6000]]);
});

test('an empty selector selects no orphan', () => {
  const { router, queued } = setup([{ ...ds('all'), spec: { ...ds('all').spec!, selector: {} } }]);
  router.addPod(pod());
  assert.deepEqual(queued, []);
});

test('ControllerRevisions: orphans wake selecting DaemonSets; owned ones only on update and delete', () => {
  const { router, queued } = setup();
  const owned: KObject = { metadata: { name: 'r', namespace: 'default', labels: LABELS, resourceVersion: '1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'foo1', uid: 'uid-foo1', controller: true }] } };
  router.addRevision(owned);
  assert.deepEqual(queued, []);
  router.updateRevision({ ...owned, metadata: { ...owned.metadata, resourceVersion: '2' } }, owned);
  router.deleteRevision(owned);
  assert.deepEqual(queued, ['default/foo1', 'default/foo1']);
  queued.length = 0;
  router.addRevision({ metadata: { name: 'o', namespace: 'default', labels: LABELS, resourceVersion: '3' } });
  assert.deepEqual(queued, ['default/foo1', 'default/foo2']);
});

test('DaemonSet events: recreated under the same name drops the old expectations', () => {
  const { router, queued, expectations } = setup();
  const old = ds('foo1');
  expectations.set('default/foo1', 3, 0);
  router.updateDaemonSet(ds('foo1'), old);
  assert.equal(expectations.satisfied('default/foo1'), false, 'same uid: kept');
  router.updateDaemonSet({ ...ds('foo1'), metadata: { ...ds('foo1').metadata, uid: 'new' } }, old);
  assert.equal(expectations.satisfied('default/foo1'), true);
  expectations.set('default/foo1', 3, 0);
  router.deleteDaemonSet(old);
  assert.equal(expectations.satisfied('default/foo1'), true);
  router.addDaemonSet(ds('foo2'));
  assert.deepEqual(queued, ['default/foo1', 'default/foo1', 'default/foo1', 'default/foo2']);
});

function node(labels: Record<string, string> = {}, taints: NonNullable<Node['spec']>['taints'] = [], allocatable: Record<string, string> = { cpu: '1' }): Node {
  return { metadata: { name: 'node-0', labels, resourceVersion: String(++rv) }, spec: { taints }, status: { allocatable } };
}

test('node events wake the DaemonSets whose placement there changed', () => {
  const blue = ds('blue', LABELS, { nodeSelector: { color: 'blue' } });
  const any = ds('any');
  const { router, queued } = setup([blue, any]);
  router.addNode(node());
  assert.deepEqual(queued, ['default/any'], 'add: the DaemonSets that should run there');
  queued.length = 0;
  router.updateNode(node(), node());
  assert.deepEqual(queued, [], 'nothing changed');
  router.updateNode(node({}, [], { cpu: '2' }), node());
  assert.deepEqual(queued, [], 'only allocatable changed');
  router.updateNode(node({ color: 'blue' }), node());
  assert.deepEqual(queued, ['default/blue'], 'now matches');
  queued.length = 0;
  const tainted = node({}, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
  router.updateNode(node(), tainted);
  assert.deepEqual(queued, ['default/any'], 'NoSchedule taint removed');
  queued.length = 0;
  router.updateNode(node({ unrelated: 'x' }), node());
  assert.deepEqual(queued, [], 'labels changed without changing any placement');
});

test('shouldIgnoreNodeUpdate: only labels and taints matter', () => {
  assert.equal(shouldIgnoreNodeUpdate(node(), node()), true);
  assert.equal(shouldIgnoreNodeUpdate(node({ a: 'b' }), node()), false);
  assert.equal(shouldIgnoreNodeUpdate(node({}, [{ key: 'k', effect: 'NoSchedule' }]), node()), false);
  assert.equal(shouldIgnoreNodeUpdate(node({}, [], { cpu: '9' }), node()), true);
});
