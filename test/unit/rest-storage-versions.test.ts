// Stored versions of an object are immutable: what a watcher received for one version stays
// exactly that after later writes (status updates, spec and metadata updates, graceful
// deletion), and each kind of write changes only what it may change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../src/api/object.js';
import { R } from '../../src/client/client.js';
import { startLocalApi } from '../helpers/local-api.js';

const NS = 'default';

function pod(name: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'nginx:1.25', resources: { requests: { cpu: '100m' } } }] },
  };
}

const runningStatus = (ready: string) => ({
  phase: 'Running',
  conditions: [{ type: 'Ready', status: ready, lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' }],
});

interface Write {
  name: string;
  /** Performs the write on the pod's latest version. */
  apply(api: Awaited<ReturnType<typeof startLocalApi>>, latest: KObject): Promise<unknown>;
  /** What must be unchanged between the version before and after. */
  unchanged: ('spec' | 'status' | 'labels')[];
}

const writes: Write[] = [
  {
    name: 'status update',
    apply: (api, latest) => api.client.update(R.pods, NS, { ...latest, status: runningStatus('False') }, 'status'),
    unchanged: ['spec', 'labels'],
  },
  {
    name: 'status update whose body carries another spec (ignored)',
    apply: (api, latest) => api.client.update(R.pods, NS, { ...latest, spec: { ...(latest.spec as object), activeDeadlineSeconds: 5 }, status: runningStatus('True') }, 'status'),
    unchanged: ['spec', 'labels'],
  },
  {
    name: 'label patch',
    apply: (api, latest) => api.client.patch(R.pods, NS, latest.metadata.name!, 'merge', { metadata: { labels: { tier: 'front' } } }),
    unchanged: ['spec', 'status'],
  },
  {
    name: 'graceful delete',
    apply: (api, latest) => api.client.delete(R.pods, NS, latest.metadata.name!, { gracePeriodSeconds: 30 }),
    unchanged: ['spec', 'status', 'labels'],
  },
];

test('every version a watcher received stays as received, and each write changes only its part', async () => {
  const api = await startLocalApi();
  const received: { object: KObject; json: string }[] = [];
  const watch = api.client.watch(R.pods, NS, {}, {
    onEvent: (_type, object) => received.push({ object, json: JSON.stringify(object) }),
    onClose: () => {},
  });
  await api.client.create(R.pods, NS, pod('p'));
  let latest = await api.client.get(R.pods, NS, 'p');
  for (const w of writes) {
    const before = structuredClone(latest);
    await w.apply(api, latest);
    const after = await api.client.get(R.pods, NS, 'p');
    assert.notEqual(after.metadata.resourceVersion, before.metadata.resourceVersion, `${w.name} wrote a new version`);
    for (const part of w.unchanged) {
      const get = (o: KObject) => (part === 'labels' ? o.metadata.labels : o[part]);
      assert.deepStrictEqual(get(after), get(before), `${w.name} left ${part} unchanged`);
    }
    latest = after;
  }
  await new Promise((r) => setImmediate(r));
  watch.stop();
  assert.equal(received.length, 1 + writes.length);
  for (const [i, r] of received.entries()) assert.equal(JSON.stringify(r.object), r.json, `version ${i} is unchanged`);
  assert.deepStrictEqual((latest.status as { phase: string }).phase, 'Running');
  assert.equal(latest.metadata.labels?.tier, 'front');
  assert.ok(latest.metadata.deletionTimestamp);
});

test('a status update after a spec change keeps the new spec', async () => {
  const api = await startLocalApi();
  await api.client.create(R.pods, NS, pod('q'));
  const created = await api.client.get(R.pods, NS, 'q');
  await api.client.patch(R.pods, NS, 'q', 'merge', { spec: { activeDeadlineSeconds: 60 } });
  const patched = await api.client.get(R.pods, NS, 'q');
  await api.client.update(R.pods, NS, { ...patched, status: runningStatus('True') }, 'status');
  const latest = await api.client.get(R.pods, NS, 'q');
  assert.equal((latest.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds, 60);
  assert.equal((created.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds, undefined, 'the first version is unchanged');
});
