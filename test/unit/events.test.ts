// The event recorder: repeats aggregate into one Event, a burst per object is allowed and then
// dropped (upstream's spam filter), and an expired Event is recorded afresh.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/client/client.js';
import { EventRecorder } from '../../src/client/events.js';
import type { KObject } from '../../src/api/object.js';
import { startLocalApi } from '../helpers/local-api.js';

const ds: KObject = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'fluentd', namespace: 'default', uid: 'uid-1' } };

async function events(api: Awaited<ReturnType<typeof startLocalApi>>): Promise<KObject[]> {
  return (await api.client.list(R.events, 'default')).items;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

it('the same event twice is one Event with count 2; another message is a second Event', async () => {
  const api = await startLocalApi();
  const rec = new EventRecorder(api.client, 'daemonset-controller');
  rec.event(ds, 'Normal', 'SuccessfulCreate', 'Created pod: a');
  await settle();
  rec.event(ds, 'Normal', 'SuccessfulCreate', 'Created pod: a');
  rec.event(ds, 'Normal', 'SuccessfulCreate', 'Created pod: b');
  await settle();
  const list = await events(api);
  assert.equal(list.length, 2);
  const a = list.find((e) => e.message === 'Created pod: a')!;
  assert.equal(a.count, 2);
  assert.deepEqual(a.involvedObject, { kind: 'DaemonSet', namespace: 'default', name: 'fluentd', uid: 'uid-1', apiVersion: 'apps/v1' });
  assert.deepEqual(a.source, { component: 'daemonset-controller' });
});

it('after a burst of 25 events about one object, more are dropped; other objects are unaffected', async () => {
  const api = await startLocalApi();
  const rec = new EventRecorder(api.client, 'daemonset-controller');
  for (let i = 0; i < 40; i++) rec.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: p${i}`);
  const other = { ...ds, metadata: { ...ds.metadata, name: 'other', uid: 'uid-2' } };
  rec.event(other, 'Normal', 'SuccessfulCreate', 'Created pod: q');
  await settle();
  const list = await events(api);
  assert.equal(list.filter((e) => (e.involvedObject as { uid: string }).uid === 'uid-1').length, 25);
  assert.equal(list.filter((e) => (e.involvedObject as { uid: string }).uid === 'uid-2').length, 1);
});

it('an Event deleted meanwhile (expired) is created again instead of patched', async () => {
  const api = await startLocalApi();
  const rec = new EventRecorder(api.client, 'node-controller');
  rec.event(ds, 'Warning', 'Gone', 'once');
  await settle();
  const [first] = await events(api);
  await api.client.delete(R.events, 'default', first!.metadata.name!);
  rec.event(ds, 'Warning', 'Gone', 'once');
  await settle();
  const list = await events(api);
  assert.equal(list.length, 1);
  assert.notEqual(list[0]!.metadata.name, first!.metadata.name);
  assert.equal(list[0]!.count, 1);
});
