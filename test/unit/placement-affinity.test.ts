import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from 'kubernetes-types/core/v1.js';
import {
  matchNodeSelectorTerms,
  matchRequiredNodeAffinity,
  nodeSelectorTermMatches,
  preferredAffinityScore,
} from '../../src/placement/index.js';

function node(name: string, labels: Record<string, string> = {}): Node {
  return { metadata: { name, labels } };
}

function req(key: string, operator: string, values?: string[]): NodeSelectorRequirement {
  return values === undefined ? { key, operator } : { key, operator, values };
}

function required(...terms: NodeSelectorTerm[]): PodSpec {
  return { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } };
}

const labels = { type: 'production', color: 'blue', cpus: '8', big: '9223372036854775807', word: 'abc' };

test('label expressions: one requirement against a labelled node', () => {
  const cases: [NodeSelectorRequirement, boolean][] = [
    [req('type', 'In', ['production']), true],
    [req('type', 'In', ['test', 'production']), true],
    [req('type', 'In', ['test']), false],
    [req('missing', 'In', ['x']), false],
    [req('type', 'NotIn', ['test']), true],
    [req('type', 'NotIn', ['production']), false],
    [req('missing', 'NotIn', ['x']), true],
    [req('type', 'Exists'), true],
    [req('missing', 'Exists'), false],
    [req('type', 'DoesNotExist'), false],
    [req('missing', 'DoesNotExist'), true],
    [req('cpus', 'Gt', ['4']), true],
    [req('cpus', 'Gt', ['8']), false],
    [req('cpus', 'Lt', ['9']), true],
    [req('cpus', 'Lt', ['8']), false],
    [req('missing', 'Gt', ['1']), false],
    [req('missing', 'Lt', ['1']), false],
    [req('word', 'Gt', ['1']), false], // node value is not an integer
    [req('word', 'Lt', ['1']), false],
    [req('big', 'Gt', ['9223372036854775806']), true], // int64 precision, not float
    [req('big', 'Lt', ['9223372036854775807']), false],
    [req('cpus', 'Gt', ['07']), true], // leading zeros parse as base 10
    [req('cpus', 'Gt', ['+7']), false], // not a valid label value: a parse error
  ];
  for (const [r, want] of cases) {
    assert.equal(nodeSelectorTermMatches({ matchExpressions: [r] }, node('n', labels)), want, JSON.stringify(r));
  }
});

test('unparsable requirements make the whole term fail, even where the node would match', () => {
  const invalid: NodeSelectorRequirement[] = [
    req('type', 'Equals', ['production']), // unknown operator
    req('type', 'In', []), // In needs values
    req('type', 'In'),
    req('type', 'NotIn', []),
    req('type', 'Exists', ['production']), // Exists takes none
    req('missing', 'DoesNotExist', ['x']),
    req('cpus', 'Gt', ['4', '5']), // exactly one value
    req('cpus', 'Gt', []),
    req('cpus', 'Gt', ['four']),
    req('cpus', 'Gt', ['1.5']),
    req('cpus', 'Lt', ['99999999999999999999']), // out of int64 range
    req('cpus', 'Gt', ['-1']), // an integer, but not a valid label value
    req('bad key!', 'DoesNotExist'),
    req('/type', 'Exists'),
    req('a/b/c', 'DoesNotExist'),
    req('type', 'In', ['production', 'not a value']),
  ];
  for (const r of invalid) {
    const term = { matchExpressions: [req('type', 'Exists'), r] };
    assert.equal(nodeSelectorTermMatches(term, node('n', labels)), false, JSON.stringify(r));
    const why = matchNodeSelectorTerms({ nodeSelectorTerms: [term] }, node('n', labels)).explanations[0]!;
    assert.match(why, /^term 1: invalid: /, JSON.stringify(r));
  }
  // A prefixed key is fine.
  assert.equal(nodeSelectorTermMatches({ matchExpressions: [req('example.com/type', 'DoesNotExist')] }, node('n', labels)), true);
});

test('matchFields: only metadata.name, only In/NotIn with exactly one value', () => {
  const n = node('node-1');
  const cases: [NodeSelectorRequirement, boolean][] = [
    [req('metadata.name', 'In', ['node-1']), true],
    [req('metadata.name', 'In', ['node-2']), false],
    [req('metadata.name', 'NotIn', ['node-2']), true],
    [req('metadata.name', 'NotIn', ['node-1']), false],
    [req('metadata.name', 'In', ['node-1', 'node-2']), false], // parse error
    [req('metadata.name', 'In', []), false],
    [req('metadata.name', 'Exists'), false],
    [req('metadata.name', 'Gt', ['1']), false],
    [req('metadata.uid', 'In', ['node-1']), false], // unknown field reads as ""
    [req('metadata.uid', 'NotIn', ['node-1']), true],
  ];
  for (const [r, want] of cases) assert.equal(nodeSelectorTermMatches({ matchFields: [r] }, n), want, JSON.stringify(r));
  // A node without a name skips field checks (upstream quirk).
  assert.equal(nodeSelectorTermMatches({ matchFields: [req('metadata.name', 'In', ['x'])] }, { metadata: {} }), true);
});

test('terms are ORed; inside a term expressions AND fields; empty terms match nothing', () => {
  const n = node('node-1', { zone: 'a' });
  const cases: [NodeSelectorTerm[], boolean][] = [
    [[], false],
    [[{}], false],
    [[{ matchExpressions: [], matchFields: [] }], false],
    [[{}, { matchExpressions: [req('zone', 'In', ['a'])] }], true],
    [[{ matchExpressions: [req('zone', 'In', ['b'])] }, { matchExpressions: [req('zone', 'In', ['a'])] }], true],
    [[{ matchExpressions: [req('zone', 'In', ['a'])], matchFields: [req('metadata.name', 'In', ['node-1'])] }], true],
    [[{ matchExpressions: [req('zone', 'In', ['a'])], matchFields: [req('metadata.name', 'In', ['node-2'])] }], false],
    [[{ matchExpressions: [req('zone', 'In', ['a']), req('gpu', 'Exists')] }], false],
    // A broken term does not stop another from matching.
    [[{ matchExpressions: [req('zone', 'Bogus', ['a'])] }, { matchFields: [req('metadata.name', 'In', ['node-1'])] }], true],
  ];
  for (const [terms, want] of cases) {
    assert.equal(matchNodeSelectorTerms({ nodeSelectorTerms: terms }, n).matches, want, JSON.stringify(terms));
    assert.equal(matchRequiredNodeAffinity(required(...terms), n).matches, want);
  }
});

test('required affinity: absent means any node; nodeSelector and terms must both hold', () => {
  const n = node('node-1', { disk: 'ssd', type: 'production' });
  assert.equal(matchRequiredNodeAffinity(undefined, n).matches, true);
  assert.equal(matchRequiredNodeAffinity({ containers: [] }, n).matches, true);
  assert.equal(matchRequiredNodeAffinity({ containers: [], nodeSelector: {} }, n).matches, true);
  assert.equal(matchRequiredNodeAffinity({ containers: [], affinity: {} }, n).matches, true);
  assert.equal(matchRequiredNodeAffinity({ containers: [], affinity: { nodeAffinity: {} } }, n).matches, true);
  assert.equal(matchRequiredNodeAffinity({ containers: [], nodeSelector: { disk: 'ssd' } }, n).matches, true);
  assert.equal(matchRequiredNodeAffinity({ containers: [], nodeSelector: { disk: 'ssd', type: 'test' } }, n).matches, false);
  const both = { ...required({ matchExpressions: [req('type', 'In', ['production'])] }), nodeSelector: { disk: 'ssd' } };
  assert.equal(matchRequiredNodeAffinity(both, n).matches, true);
  assert.equal(matchRequiredNodeAffinity({ ...both, nodeSelector: { disk: 'hdd' } }, n).matches, false);
  // An empty-string selector value needs the label to exist with an empty value.
  assert.equal(matchRequiredNodeAffinity({ containers: [], nodeSelector: { gpu: '' } }, n).matches, false);
  assert.equal(matchRequiredNodeAffinity({ containers: [], nodeSelector: { gpu: '' } }, node('x', { gpu: '' })).matches, true);
});

test('reasons name each failing nodeSelector key and explain every term', () => {
  const spec: PodSpec = {
    containers: [],
    nodeSelector: { disk: 'ssd', zone: 'a' },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [req('type', 'In', ['platform-tools'])] },
            { matchExpressions: [req('type', 'In', ['a', 'b']), req('cpus', 'Gt', ['16'])] },
            {},
            { matchExpressions: [req('type', 'Nope')] },
            { matchFields: [req('metadata.name', 'In', ['other'])] },
          ],
        },
      },
    },
  };
  const result = matchRequiredNodeAffinity(spec, node('n1', { disk: 'hdd', cpus: '8' }));
  assert.equal(result.matches, false);
  assert.deepEqual(
    result.reasons.map((r) => [r.code, r.message]),
    [
      ['NodeSelectorMismatch', 'nodeSelector disk=ssd: node has disk=hdd'],
      ['NodeSelectorMismatch', 'nodeSelector zone=a: node has no label zone'],
      [
        'NodeAffinityMismatch',
        'node affinity: no term matches (term 1: type In [platform-tools]: node has no label type; ' +
          'term 2: type In [a, b]: node has no label type and cpus Gt 16: node has cpus=8; ' +
          'term 3: empty term matches nothing; ' +
          'term 4: invalid: operator "Nope" is not supported; ' +
          'term 5: metadata.name In [other]: node name is n1)',
      ],
    ],
  );
  const none = matchRequiredNodeAffinity(required(), node('n1'));
  assert.deepEqual(none.reasons.map((r) => r.message), ['node affinity: no nodeSelectorTerms, so no node matches']);
});

test('preferred affinity score: sum of weights of matching terms', () => {
  const spec: PodSpec = {
    containers: [],
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 1, preference: { matchExpressions: [req('instance-type', 'In', ['t2.large'])] } },
          { weight: 5, preference: { matchExpressions: [req('zone', 'In', ['a'])] } },
          { weight: 0, preference: { matchExpressions: [req('zone', 'In', ['a'])] } }, // ignored
          { weight: 7, preference: {} }, // empty: ignored
          { weight: 9, preference: { matchExpressions: [req('zone', 'Bad', ['a'])] } }, // unparsable
          { weight: 3, preference: { matchFields: [req('metadata.name', 'In', ['n1'])] } },
        ],
      },
    },
  };
  assert.equal(preferredAffinityScore(spec, node('n1', { 'instance-type': 't2.large', zone: 'a' })), 9);
  assert.equal(preferredAffinityScore(spec, node('n2', { zone: 'a' })), 5);
  assert.equal(preferredAffinityScore(spec, node('n2')), 0);
  assert.equal(preferredAffinityScore({ containers: [] }, node('n1')), 0);
});
