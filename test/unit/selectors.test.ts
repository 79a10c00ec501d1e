// Label selectors (string and structured forms) and field selectors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatLabelSelector,
  formatLabels,
  fromLabelSelector,
  isEverythingSelector,
  labelSelectorMatches,
  parseSelector,
  selectorMatches,
  SelectorParseError,
} from '../../src/placement/labels.js';
import { fieldSelectorMatches, parseFieldSelector, FieldSelectorError } from '../../src/api/field-selector.js';

const labels = { app: 'fluentd', tier: 'logging', version: '3' };

describe('label selector strings (?labelSelector=)', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['app=fluentd', true],
    ['app==fluentd', true],
    ['app=other', false],
    ['app!=other', true],
    ['app!=fluentd', false],
    ['missing!=x', true],
    ['app in (fluentd,other)', true],
    ['app in (a, b)', false],
    ['app notin (a,b)', true],
    ['app notin (fluentd)', false],
    ['missing notin (a)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['version>2', true],
    ['version<3', false],
    ['missing>1', false],
    ['app=fluentd,tier=logging', true],
    ['app=fluentd, tier=other', false],
    ['  app = fluentd ,  !missing ', true],
    ['app=', false],
  ];
  for (const [text, want] of cases) {
    it(`${JSON.stringify(text)} → ${want}`, () => assert.equal(selectorMatches(parseSelector(text), labels), want));
  }

  it('an empty value matches an empty label value', () => {
    assert.equal(selectorMatches(parseSelector('k='), { k: '' }), true);
  });

  for (const bad of ['app in fluentd', 'app in (a', '=x', 'app=a,', 'version>x', 'app ~ x', '!']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseSelector(bad), SelectorParseError));
  }
});

describe('structured label selectors', () => {
  it('matchLabels and matchExpressions must all hold', () => {
    const sel = { matchLabels: { app: 'fluentd' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['logging', 'x'] }, { key: 'gone', operator: 'DoesNotExist' }] };
    assert.equal(labelSelectorMatches(sel, labels), true);
    assert.equal(labelSelectorMatches(sel, { ...labels, gone: 'y' }), false);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['logging'] }] }, labels), false);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels), true);
  });

  it('an empty selector selects everything; an absent one selects nothing', () => {
    assert.equal(isEverythingSelector({}), true);
    assert.equal(labelSelectorMatches({}, labels), true);
    assert.equal(labelSelectorMatches(undefined, labels), false);
    assert.equal(fromLabelSelector(null), null);
  });

  it('an unknown operator is an error', () => {
    assert.throws(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Near' }] }), SelectorParseError);
  });

  it('renders like kubectl: sorted by key, values sorted, <none> when empty', () => {
    assert.equal(formatLabelSelector({ matchLabels: { name: 'fluentd' } }), 'name=fluentd');
    assert.equal(
      formatLabelSelector({
        matchLabels: { z: '1' },
        matchExpressions: [
          { key: 'b', operator: 'In', values: ['y', 'x'] },
          { key: 'a', operator: 'NotIn', values: ['q'] },
          { key: 'c', operator: 'Exists' },
          { key: 'd', operator: 'DoesNotExist' },
        ],
      }),
      'a notin (q),b in (x,y),c,!d,z=1',
    );
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector(undefined), '<none>');
    assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
    assert.equal(formatLabels({}), '<none>');
  });
});

describe('field selectors', () => {
  const pod: Record<string, string> = { 'spec.nodeName': 'node-1', 'status.phase': 'Running', 'metadata.name': 'a,b=c' };
  const get = (f: string): string => pod[f] ?? '';

  it('=, == and != in any order', () => {
    assert.equal(fieldSelectorMatches(parseFieldSelector('spec.nodeName=node-1,status.phase!=Failed'), get), true);
    assert.equal(fieldSelectorMatches(parseFieldSelector('status.phase!=Failed,spec.nodeName==node-1'), get), true);
    assert.equal(fieldSelectorMatches(parseFieldSelector('spec.nodeName=node-2'), get), false);
    assert.equal(fieldSelectorMatches(parseFieldSelector('status.phase!=Running'), get), false);
  });

  it('an empty value matches an empty or missing field (kubectl sends involvedObject.namespace=)', () => {
    assert.equal(fieldSelectorMatches(parseFieldSelector('involvedObject.namespace='), get), true);
    assert.deepEqual(parseFieldSelector('a='), [{ field: 'a', negate: false, value: '' }]);
  });

  it('backslash escapes commas and equals signs in values', () => {
    assert.deepEqual(parseFieldSelector('metadata.name=a\\,b\\=c'), [{ field: 'metadata.name', negate: false, value: 'a,b=c' }]);
    assert.equal(fieldSelectorMatches(parseFieldSelector('metadata.name=a\\,b\\=c'), get), true);
  });

  it('the empty string selects everything; a term without an operator is an error', () => {
    assert.deepEqual(parseFieldSelector(''), []);
    assert.throws(() => parseFieldSelector('spec.nodeName'), FieldSelectorError);
  });
});
