// clone (src/api/object.ts): a deep copy of JSON-shaped values that shares nothing with its
// source, keeps `undefined` members as structuredClone does, and leaves primitives as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clone } from '../../src/api/object.js';

const cases: { name: string; value: unknown }[] = [
  { name: 'null', value: null },
  { name: 'undefined', value: undefined },
  { name: 'string', value: 'fluentd' },
  { name: 'number', value: 42.5 },
  { name: 'boolean', value: false },
  { name: 'empty object', value: {} },
  { name: 'empty array', value: [] },
  { name: 'nested object', value: { metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } } },
  { name: 'array of mixed values', value: [1, 'two', null, { three: [3] }, [4, [5]]] },
  { name: 'member holding undefined', value: { a: undefined, b: 1 } },
  { name: 'null members', value: { lastProbeTime: null, items: [null] } },
];

for (const { name, value } of cases) {
  test(`clone: ${name} is deep-equal to its source`, () => {
    assert.deepStrictEqual(clone(value), value);
  });
}

test('clone keeps a member holding undefined (as structuredClone does)', () => {
  const copy = clone({ a: undefined, b: 1 });
  assert.ok(Object.hasOwn(copy, 'a'));
  assert.deepStrictEqual(Object.keys(copy), ['a', 'b']);
});

test('clone keeps key order', () => {
  assert.deepStrictEqual(Object.keys(clone({ z: 1, a: 2, m: 3 })), ['z', 'a', 'm']);
});

test('clone shares no object or array with its source', () => {
  const source = { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }] }] }, status: { conditions: [] as unknown[] } };
  const copy = clone(source);
  copy.spec.containers[0]!.env[0]!.value = '2';
  copy.spec.containers.push({ name: 'd', env: [] });
  copy.status.conditions.push({ type: 'Ready' });
  assert.equal(source.spec.containers[0]!.env[0]!.value, '1');
  assert.equal(source.spec.containers.length, 1);
  assert.equal(source.status.conditions.length, 0);
  assert.notEqual(copy.spec, source.spec);
  assert.notEqual(copy.spec.containers, source.spec.containers);
});

test('clone of a copy mutated later does not change the first copy', () => {
  const first = clone({ labels: { app: 'x' } });
  const second = clone(first);
  second.labels.app = 'y';
  assert.equal(first.labels.app, 'x');
});
