import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import {
  countUntoleratedPreferNoSchedule,
  doNotSchedule,
  findUntoleratedTaint,
  formatTaint,
  noExecute,
  toleratesTaint,
  tolerationSecondsFor,
  tolerationsTolerateTaint,
  untoleratedTaints,
} from '../../src/placement/index.js';

const dedicated: Taint = { key: 'dedicated', value: 'user1', effect: 'NoSchedule' };

test('toleratesTaint: effect, key, operator and value rules', () => {
  const cases: [string, Toleration, Taint, boolean][] = [
    ['Equal, same key/value/effect', { key: 'dedicated', operator: 'Equal', value: 'user1', effect: 'NoSchedule' }, dedicated, true],
    ['no operator means Equal', { key: 'dedicated', value: 'user1', effect: 'NoSchedule' }, dedicated, true],
    ['Equal, other value', { key: 'dedicated', operator: 'Equal', value: 'user2', effect: 'NoSchedule' }, dedicated, false],
    ['Equal, empty value vs value', { key: 'dedicated', operator: 'Equal', effect: 'NoSchedule' }, dedicated, false],
    ['Equal, empty value vs empty value', { key: 'k', operator: 'Equal', effect: 'NoSchedule' }, { key: 'k', effect: 'NoSchedule' }, true],
    ['Exists ignores value', { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, dedicated, true],
    ['other key', { key: 'other', operator: 'Exists', effect: 'NoSchedule' }, dedicated, false],
    ['other effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, dedicated, false],
    ['empty effect matches every effect', { key: 'dedicated', operator: 'Exists' }, { ...dedicated, effect: 'NoExecute' }, true],
    ['empty key + Exists tolerates everything', { operator: 'Exists' }, dedicated, true],
    ['empty key + Exists + effect', { operator: 'Exists', effect: 'NoExecute' }, dedicated, false],
    ['empty key + Equal: key unchecked, value compared', { operator: 'Equal', value: 'user1' }, dedicated, true],
    ['Lt (alpha, off) tolerates nothing', { key: 'dedicated', operator: 'Lt', value: '5' }, { key: 'dedicated', value: '1', effect: 'NoSchedule' }, false],
    ['Gt (alpha, off) tolerates nothing', { key: 'dedicated', operator: 'Gt', value: '0' }, { key: 'dedicated', value: '1', effect: 'NoSchedule' }, false],
    ['unknown operator', { key: 'dedicated', operator: 'Foo', value: 'user1' }, dedicated, false],
    ['PreferNoSchedule', { key: 'k', operator: 'Exists', effect: 'PreferNoSchedule' }, { key: 'k', effect: 'PreferNoSchedule' }, true],
  ];
  for (const [name, toleration, taint, want] of cases) assert.equal(toleratesTaint(toleration, taint), want, name);
  assert.equal(tolerationsTolerateTaint(undefined, dedicated), false);
  assert.equal(tolerationsTolerateTaint([{ key: 'x', operator: 'Exists' }, { key: 'dedicated', operator: 'Exists' }], dedicated), true);
});

test('findUntoleratedTaint: first untolerated taint in node order, through the effect filter', () => {
  const taints: Taint[] = [
    { key: 'soft', effect: 'PreferNoSchedule' },
    { key: 'a', value: '1', effect: 'NoSchedule' },
    { key: 'b', effect: 'NoExecute' },
  ];
  assert.deepEqual(findUntoleratedTaint(taints, [], doNotSchedule), taints[1]);
  assert.deepEqual(findUntoleratedTaint(taints, []), taints[0]);
  assert.deepEqual(findUntoleratedTaint(taints, [{ key: 'a', operator: 'Exists' }], doNotSchedule), taints[2]);
  assert.deepEqual(findUntoleratedTaint(taints, [], noExecute), taints[2]);
  assert.equal(findUntoleratedTaint(taints, [{ operator: 'Exists' }], doNotSchedule), undefined);
  assert.equal(findUntoleratedTaint(undefined, undefined, doNotSchedule), undefined);
  assert.deepEqual(untoleratedTaints(taints, [], doNotSchedule), [taints[1], taints[2]]);
  assert.deepEqual(untoleratedTaints(taints, [{ key: 'b', operator: 'Exists' }], doNotSchedule), [taints[1]]);
});

test('tolerationSecondsFor: how long the taint-eviction controller lets a pod stay', () => {
  const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  const cases: [string, Taint[], Toleration[], number][] = [
    ['no taints', [], [], Infinity],
    ['NoSchedule taints do not evict', [{ key: 'x', effect: 'NoSchedule' }], [], Infinity],
    ['untolerated NoExecute: now', [notReady], [], 0],
    ['tolerated forever', [notReady], [{ key: notReady.key, operator: 'Exists', effect: 'NoExecute' }], Infinity],
    ['tolerated 300s', [notReady], [{ key: notReady.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }], 300],
    [
      'minimum over the used tolerations',
      [notReady, unreachable],
      [
        { key: notReady.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      ],
      60,
    ],
    [
      'one forever, one bounded: bounded',
      [notReady, unreachable],
      [
        { key: notReady.key, operator: 'Exists', effect: 'NoExecute' },
        { key: unreachable.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      ],
      60,
    ],
    ['one of two untolerated: now', [notReady, unreachable], [{ key: notReady.key, operator: 'Exists' }], 0],
    ['zero seconds: now', [notReady], [{ key: notReady.key, operator: 'Exists', tolerationSeconds: 0 }], 0],
    ['negative seconds: now', [notReady], [{ key: notReady.key, operator: 'Exists', tolerationSeconds: -5 }], 0],
    [
      // §7.4 edge: the first tolerating toleration in pod order is the one used.
      'first matching toleration wins',
      [notReady],
      [
        { key: notReady.key, operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 30 },
        { key: notReady.key, operator: 'Exists', effect: 'NoExecute' },
      ],
      30,
    ],
    [
      'a later bounded toleration for the same taint is not used',
      [notReady],
      [
        { key: notReady.key, operator: 'Exists', effect: 'NoExecute' },
        { key: notReady.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
      Infinity,
    ],
  ];
  for (const [name, taints, tolerations, want] of cases) assert.equal(tolerationSecondsFor(taints, tolerations), want, name);
});

test('countUntoleratedPreferNoSchedule: only tolerations with empty or PreferNoSchedule effect count', () => {
  const taints: Taint[] = [
    { key: 'a', effect: 'PreferNoSchedule' },
    { key: 'b', value: 'x', effect: 'PreferNoSchedule' },
    { key: 'c', effect: 'NoSchedule' },
  ];
  assert.equal(countUntoleratedPreferNoSchedule(taints, []), 2);
  assert.equal(countUntoleratedPreferNoSchedule(taints, [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }]), 2);
  assert.equal(countUntoleratedPreferNoSchedule(taints, [{ key: 'a', operator: 'Exists' }]), 1);
  assert.equal(countUntoleratedPreferNoSchedule(taints, [{ key: 'b', value: 'x', effect: 'PreferNoSchedule' }]), 1);
  assert.equal(countUntoleratedPreferNoSchedule(taints, [{ operator: 'Exists' }]), 0);
  assert.equal(countUntoleratedPreferNoSchedule(undefined, undefined), 0);
});

test('formatTaint uses kubectl notation', () => {
  assert.equal(formatTaint(dedicated), 'dedicated=user1:NoSchedule');
  assert.equal(formatTaint({ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }), 'node-role.kubernetes.io/master:NoSchedule');
  assert.equal(formatTaint({ key: 'k', value: '' , effect: 'NoExecute' }), 'k:NoExecute');
});
