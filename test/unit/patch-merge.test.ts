// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and the Content-Type dispatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { patchMetaFor } from '../../src/api/patch-meta.js';
import { applyJsonPatch, applyPatch } from '../../src/apiserver/patch/json-patch.js';
import { jsonMergePatch } from '../../src/apiserver/patch/merge.js';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}

function expectApiError(fn: () => unknown, code: number, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, `not an ApiError: ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

const mergeCases: { name: string; original: unknown; patch: unknown; want: unknown }[] = [
  { name: 'kubectl label adds a label', original: { metadata: { name: 'n1', labels: { a: '1' } } }, patch: { metadata: { labels: { disktype: 'ssd' } } }, want: { metadata: { name: 'n1', labels: { a: '1', disktype: 'ssd' } } } },
  { name: 'kubectl label key- removes it', original: { metadata: { labels: { a: '1', disktype: 'ssd' } } }, patch: { metadata: { labels: { disktype: null } } }, want: { metadata: { labels: { a: '1' } } } },
  { name: 'kubectl annotate', original: { metadata: {} }, patch: { metadata: { annotations: { note: 'x' } } }, want: { metadata: { annotations: { note: 'x' } } } },
  { name: 'a value replaces another', original: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'a new key is added', original: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
  { name: 'null removes a key', original: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
  { name: 'null for a missing key does nothing', original: { a: 1 }, patch: { b: null }, want: { a: 1 } },
  { name: 'lists are replaced whole', original: { a: [{ name: 'x', v: 1 }, { name: 'y' }] }, patch: { a: [{ name: 'x', v: 2 }] }, want: { a: [{ name: 'x', v: 2 }] } },
  { name: 'nulls inside a list are kept', original: {}, patch: { a: [1, null, { b: null }] }, want: { a: [1, null, { b: null }] } },
  { name: 'an object replaces a scalar and merges into nothing', original: { a: 'x' }, patch: { a: { b: 'c', d: null } }, want: { a: { b: 'c' } } },
  { name: 'a scalar replaces an object', original: { a: { b: 'c' } }, patch: { a: 1 }, want: { a: 1 } },
  { name: 'nested objects merge', original: { a: { b: { c: 1, d: 2 } } }, patch: { a: { b: { d: null, e: 3 } } }, want: { a: { b: { c: 1, e: 3 } } } },
  { name: 'an empty patch changes nothing', original: { a: { b: 1 } }, patch: {}, want: { a: { b: 1 } } },
  { name: 'a non-object original is replaced by the merged object', original: ['x'], patch: { a: 1 }, want: { a: 1 } },
  { name: 'a non-object patch replaces the document', original: { a: 1 }, patch: ['b'], want: ['b'] },
  { name: 'a null patch replaces the document with null', original: { a: 1 }, patch: null, want: null },
  { name: '$-keys have no special meaning', original: { a: 1 }, patch: { $patch: 'replace' }, want: { a: 1, $patch: 'replace' } },
];

for (const c of mergeCases) {
  test(`json merge patch: ${c.name}`, () => {
    const before = JSON.stringify([c.original, c.patch]);
    assert.deepEqual(jsonMergePatch(deepFreeze(c.original), deepFreeze(c.patch)), c.want);
    assert.equal(JSON.stringify([c.original, c.patch]), before);
  });
}

test('json merge patch: the result shares nothing with its inputs', () => {
  const original = { a: { b: [1] }, c: { d: 1 } };
  const patch = { e: [{ f: 1 }], c: { g: { h: 1 } } };
  const result = jsonMergePatch(original, patch) as any;
  result.a.b.push(2);
  result.e[0].f = 2;
  result.c.g.h = 2;
  assert.deepEqual(original, { a: { b: [1] }, c: { d: 1 } });
  assert.deepEqual(patch, { e: [{ f: 1 }], c: { g: { h: 1 } } });
});

test('json merge patch: a __proto__ key is rejected without touching Object.prototype', () => {
  const patch = JSON.parse('{"metadata":{"__proto__":{"polluted":true}}}');
  expectApiError(() => jsonMergePatch({ metadata: {} }, patch), 400, /"__proto__" is not allowed/);
  assert.equal((Object.prototype as any).polluted, undefined);
});

const doc = { metadata: { name: 'n1', labels: { a: '1' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };

const jsonPatchCases: { name: string; ops: unknown[]; want: unknown }[] = [
  { name: 'add a label', ops: [{ op: 'add', path: '/metadata/labels/b', value: '2' }], want: { ...doc, metadata: { name: 'n1', labels: { a: '1', b: '2' } } } },
  { name: 'escaped path segments', ops: [{ op: 'add', path: '/metadata/labels/example.com~1role', value: 'x' }], want: { ...doc, metadata: { name: 'n1', labels: { a: '1', 'example.com/role': 'x' } } } },
  { name: 'remove a list item', ops: [{ op: 'remove', path: '/spec/taints/0' }], want: { ...doc, spec: { taints: [] } } },
  { name: 'append to a list', ops: [{ op: 'add', path: '/spec/taints/-', value: { key: 'z' } }], want: { ...doc, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'z' }] } } },
  { name: 'a passing test then replace', ops: [{ op: 'test', path: '/metadata/name', value: 'n1' }, { op: 'replace', path: '/metadata/name', value: 'n2' }], want: { ...doc, metadata: { name: 'n2', labels: { a: '1' } } } },
  { name: 'move and copy', ops: [{ op: 'copy', from: '/metadata/labels', path: '/spec/labels' }, { op: 'move', from: '/spec/taints', path: '/taints' }], want: { metadata: doc.metadata, spec: { labels: { a: '1' } }, taints: doc.spec.taints } },
  { name: 'no operations', ops: [], want: doc },
];

for (const c of jsonPatchCases) {
  test(`json patch: ${c.name}`, () => {
    const before = JSON.stringify([doc, c.ops]);
    assert.deepEqual(applyJsonPatch(deepFreeze(doc), deepFreeze(c.ops)), c.want);
    assert.equal(JSON.stringify([doc, c.ops]), before);
  });
}

test('json patch: added values are not shared with the operations', () => {
  const ops = [{ op: 'add', path: '/x', value: { y: [1] } }];
  const result = applyJsonPatch({}, ops) as any;
  result.x.y.push(2);
  assert.deepEqual(ops[0]!.value, { y: [1] });
});

const jsonPatchErrors: { name: string; ops: unknown; code: number; message: RegExp }[] = [
  { name: 'a body that is not a list', ops: { op: 'add' }, code: 400, message: /must be a JSON array of operations/ },
  { name: 'an operation that is not an object', ops: ['x'], code: 400, message: /operation 0: Operation is not an object/ },
  { name: 'an unknown op', ops: [{ op: 'frob', path: '/a' }], code: 400, message: /operation 0 \(frob \/a\)/ },
  { name: 'a path without a leading slash', ops: [{ op: 'add', path: 'a', value: 1 }], code: 400, message: /must start with "\/"/ },
  { name: 'add without a value', ops: [{ op: 'add', path: '/a' }], code: 400, message: /`value` property is not present/ },
  { name: 'move without from', ops: [{ op: 'move', path: '/a' }], code: 400, message: /`from` property is not present/ },
  { name: 'a prototype path', ops: [{ op: 'add', path: '/__proto__/polluted', value: 1 }], code: 400, message: /banned/ },
  { name: 'a failing test', ops: [{ op: 'test', path: '/metadata/name', value: 'other' }], code: 422, message: /operation 0 \(test \/metadata\/name\): Test operation failed/ },
  { name: 'a failing test after a good op', ops: [{ op: 'add', path: '/x', value: 1 }, { op: 'test', path: '/x', value: 2 }], code: 422, message: /operation 1 / },
  { name: 'removing a missing path', ops: [{ op: 'remove', path: '/metadata/nope' }], code: 422, message: /path that does not exist/ },
  { name: 'replacing a missing path', ops: [{ op: 'replace', path: '/spec/nope/deeper', value: 1 }], code: 422, message: /operation 0 \(replace/ },
  { name: 'an index past the end', ops: [{ op: 'add', path: '/spec/taints/5', value: {} }], code: 422, message: /greater than the number of elements/ },
];

for (const c of jsonPatchErrors) {
  test(`json patch rejects ${c.name} with ${c.code}`, () => {
    expectApiError(() => applyJsonPatch(doc, c.ops), c.code, c.message);
    assert.equal((Object.prototype as any).polluted, undefined);
  });
}

const meta = patchMetaFor('apps', 'DaemonSet');
const live = { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] } } } };

test('applyPatch dispatches strategic merge patches (parameters and case ignored)', () => {
  const patch = { spec: { template: { spec: { containers: [{ name: 'a', image: '9' }] } } } };
  const want = { spec: { template: { spec: { containers: [{ name: 'a', image: '9' }, { name: 'b', image: '2' }] } } } };
  assert.deepEqual(applyPatch('application/strategic-merge-patch+json', live, patch, meta), want);
  assert.deepEqual(applyPatch('Application/Strategic-Merge-Patch+JSON; charset=utf-8', live, patch, meta), want);
});

test('applyPatch dispatches merge patches: lists replaced whole', () => {
  const patch = { spec: { template: { spec: { containers: [{ name: 'a', image: '9' }] } } } };
  assert.deepEqual(applyPatch('application/merge-patch+json', live, patch, meta), patch);
});

test('applyPatch dispatches json patches', () => {
  const ops = [{ op: 'replace', path: '/spec/template/spec/containers/1/image', value: '3' }];
  const want = { spec: { template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '3' }] } } } };
  assert.deepEqual(applyPatch('application/json-patch+json', live, ops, meta), want);
});

test('applyPatch rejects a merge patch that is not an object', () => {
  expectApiError(() => applyPatch('application/merge-patch+json', live, ['x'], meta), 400, /merge patch: the patch body must be a JSON object/);
});

test('applyPatch rejects a strategic patch that is not an object', () => {
  expectApiError(() => applyPatch('application/strategic-merge-patch+json', live, 7, meta), 400, /must be a JSON object/);
});

for (const type of ['application/json', 'application/apply-patch+yaml', 'text/plain', '']) {
  test(`applyPatch answers 415 for content type "${type}"`, () => {
    expectApiError(() => applyPatch(type, live, {}, meta), 415, /unknown format/);
  });
}
