// Command-line option parsing: durations, counts and the --controllers list.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerList, duration, positiveInt, wholeNumber } from '../../src/cli/parse.js';

it('durations in Kubernetes style, in seconds', () => {
  assert.equal(duration('40s'), 40);
  assert.equal(duration('2m'), 120);
  assert.equal(duration('1m30s'), 90);
  assert.equal(duration('1h'), 3600);
  assert.equal(duration('500ms'), 0.5);
  assert.equal(duration('7'), 7);
  for (const bad of ['', 'abc', '5x', '-3s', '1m 30s', '0s', '0']) assert.throws(() => duration(bad), /expected a duration/, bad);
});

it('whole numbers and positive counts', () => {
  assert.equal(wholeNumber('0'), 0);
  assert.equal(positiveInt('250'), 250);
  assert.throws(() => positiveInt('0'), /1 or more/);
  for (const bad of ['-1', '1.5', 'x', '']) assert.throws(() => positiveInt(bad), /whole number/, bad);
});

it('--controllers: *, names, -name to leave out, empty for none', () => {
  const all = controllerList('*');
  for (const name of ['daemonset', 'scheduler', 'nodelifecycle', 'tainteviction', 'garbagecollector', 'namespace']) assert.ok(all.has(name), name);
  assert.deepEqual([...controllerList('*,-scheduler')].includes('scheduler'), false);
  assert.deepEqual([...controllerList('namespace')], ['namespace']);
  assert.equal(controllerList('').size, 0);
  assert.throws(() => controllerList('daemonsets'), /unknown controller "daemonsets"/);
});
