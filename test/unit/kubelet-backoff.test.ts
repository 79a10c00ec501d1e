import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { backOffEventMessage, backOffWaitingMessage, CrashLoopBackOff, goDuration } from '../../src/agent/kubelet/backoff.js';

/** A clock the test moves by hand. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => number } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/**
 * Simulates a container that crashes `runMs` after each start; returns the waits before each
 * restart, as the kubelet would impose them.
 */
function crashLoop(b: CrashLoopBackOff, c: ReturnType<typeof clock>, runs: number[]): number[] {
  const waits: number[] = [];
  for (const runMs of runs) {
    const finishedAt = c.advance(runMs);
    const wait = b.remaining('app', finishedAt);
    waits.push(wait);
    if (wait > 0) {
      assert.equal(b.isInBackOffSince('app', finishedAt), true);
      c.advance(wait);
      assert.equal(b.isInBackOffSince('app', finishedAt), false);
    }
    b.next('app', finishedAt);
  }
  return waits;
}

test('CrashLoopBackOff: first restart at once, then 10s doubling to 5m', () => {
  const c = clock();
  const b = new CrashLoopBackOff({ now: c.now });
  const waits = crashLoop(b, c, Array(10).fill(1000));
  assert.deepEqual(
    waits.map((w) => w / 1000),
    [0, 10, 20, 40, 80, 160, 300, 300, 300, 300],
  );
  assert.equal(b.get('app'), 300_000);
});

test('CrashLoopBackOff: a container that ran more than 10 minutes starts over', () => {
  const c = clock();
  const b = new CrashLoopBackOff({ now: c.now });
  crashLoop(b, c, [1000, 1000, 1000]); // back-off now 40s
  assert.equal(b.get('app'), 40_000);
  // Ran exactly 10 minutes after the restart: still within the window, so it waits and the back-off doubles.
  assert.deepEqual(crashLoop(b, c, [600_000]), [40_000]);
  assert.equal(b.get('app'), 80_000);
  // Ran 10 minutes and 1 second: forgotten, restarted at once with the initial back-off.
  assert.deepEqual(crashLoop(b, c, [600_001]), [0]);
  assert.equal(b.get('app'), 10_000);
  assert.deepEqual(crashLoop(b, c, [1000, 1000]).map((w) => w / 1000), [10, 20]);
});

test('CrashLoopBackOff: keys are independent, timings configurable', () => {
  const c = clock();
  const b = new CrashLoopBackOff({ now: c.now, initialMs: 20, maxMs: 100 });
  b.next('a', c.now());
  b.next('a', c.now());
  b.next('a', c.now());
  b.next('a', c.now());
  assert.equal(b.get('a'), 100);
  assert.equal(b.get('b'), 0);
  assert.equal(b.isInBackOffSince('b', c.now()), false);
  assert.equal(b.remaining('a', c.now() - 30), 70);
  // Reset after twice the (shortened) maximum.
  c.advance(201);
  b.next('a', c.now());
  assert.equal(b.get('a'), 20);
});

test('Go durations as the messages print them', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [20, '20ms'],
    [1500, '1.5s'],
    [10_000, '10s'],
    [40_000, '40s'],
    [80_000, '1m20s'],
    [160_000, '2m40s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
  ];
  for (const [ms, want] of cases) assert.equal(goDuration(ms), want, String(ms));
});

test('back-off messages name the container and the pod as upstream', () => {
  const pod: Pod = { metadata: { name: 'web-1', namespace: 'prod', uid: 'u-9' } };
  assert.equal(backOffWaitingMessage(20_000, 'app', pod), 'back-off 20s restarting failed container=app pod=web-1_prod(u-9)');
  assert.equal(backOffWaitingMessage(300_000, 'app', pod), 'back-off 5m0s restarting failed container=app pod=web-1_prod(u-9)');
  assert.equal(backOffEventMessage('app', pod), 'Back-off restarting failed container app in pod web-1_prod(u-9)');
});
