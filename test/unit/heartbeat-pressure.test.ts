import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import type { KObject } from '../../src/api/object.js';
import type { Client } from '../../src/client/client.js';
import { NodeHeartbeat } from '../../src/agent/heartbeat.js';
import type { NodePressure } from '../../src/agent/node-status.js';

/** Just enough of a Client for heartbeats: leases are created, node status patches recorded. */
function fakeClient(): { client: Client; statusPatches: NodeCondition[][] } {
  const statusPatches: NodeCondition[][] = [];
  const client = {
    async create(_r: unknown, _ns: unknown, obj: KObject) {
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: '1' } };
    },
    async update(_r: unknown, _ns: unknown, obj: KObject) {
      return obj;
    },
    async patch(_r: unknown, _ns: unknown, name: string, _type: unknown, patch: { status: { conditions: NodeCondition[] } }) {
      statusPatches.push(patch.status.conditions);
      return { metadata: { name }, status: { conditions: patch.status.conditions } };
    },
  } as unknown as Client;
  return { client, statusPatches };
}

const node: Node = { metadata: { name: 'n1', uid: 'u1' }, status: { conditions: [] } };
const statusOf = (cs: NodeCondition[], type: string): string | undefined => cs.find((c) => c.type === type)?.status;
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the heartbeat reports the measured pressure, at once when refreshed and again every interval', async () => {
  const { client, statusPatches } = fakeClient();
  let pressure: NodePressure = { memory: false, disk: false, pid: false };
  const hb = new NodeHeartbeat(node, { client, log: pino({ level: 'silent' }), renewIntervalMs: 60_000, statusIntervalMs: 300, pressure: () => pressure });
  hb.start();
  try {
    await wait(50);
    assert.equal(statusPatches.length, 0, 'the first status write waits for the interval');
    pressure = { memory: true, disk: false, pid: false };
    hb.refresh();
    await wait(50);
    assert.equal(statusPatches.length, 1);
    assert.equal(statusOf(statusPatches[0]!, 'MemoryPressure'), 'True');
    assert.equal(statusOf(statusPatches[0]!, 'Ready'), 'True');
    pressure = { memory: false, disk: true, pid: false };
    await wait(350);
    assert.ok(statusPatches.length >= 2, 'written again after the interval');
    const last = statusPatches.at(-1)!;
    assert.deepEqual(['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((t) => statusOf(last, t)), ['False', 'True', 'False', 'True']);
  } finally {
    hb.stop();
  }
});

test('without a pressure source the heartbeat reports a healthy node (simulated nodes)', async () => {
  const { client, statusPatches } = fakeClient();
  const hb = new NodeHeartbeat(node, { client, log: pino({ level: 'silent' }), renewIntervalMs: 60_000, statusIntervalMs: 60_000 });
  hb.start();
  try {
    hb.refresh();
    await wait(50);
    assert.deepEqual(statusPatches[0]!.map((c) => [c.type, c.status]), [
      ['MemoryPressure', 'False'],
      ['DiskPressure', 'False'],
      ['PIDPressure', 'False'],
      ['Ready', 'True'],
    ]);
  } finally {
    hb.stop();
  }
});
