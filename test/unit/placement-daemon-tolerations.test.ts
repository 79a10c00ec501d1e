import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Affinity, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import {
  addOrUpdateToleration,
  daemonPodTolerations,
  daemonTolerations,
  nodeNameAffinity,
  targetNodeName,
} from '../../src/placement/index.js';

const AUTO: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const NETWORK: Toleration = { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' };

test('automatic daemon tolerations, network-unavailable only with hostNetwork', () => {
  assert.deepEqual(daemonTolerations(false), AUTO);
  assert.deepEqual(daemonTolerations(true), [...AUTO, NETWORK]);
  assert.deepEqual(daemonPodTolerations(undefined), AUTO);
  assert.deepEqual(daemonPodTolerations({ containers: [] }), AUTO);
  assert.deepEqual(daemonPodTolerations({ containers: [], hostNetwork: true }), [...AUTO, NETWORK]);
  assert.deepEqual(daemonPodTolerations({ containers: [], hostNetwork: false }), AUTO);
});

test('user tolerations come first; same-identity ones are overwritten in place', () => {
  const master: Toleration = { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' };
  assert.deepEqual(daemonPodTolerations({ containers: [], tolerations: [master] }), [master, ...AUTO]);

  // not-ready Exists NoExecute with 60s becomes infinite, keeping its position.
  const bounded: Toleration = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 };
  const got = daemonPodTolerations({ containers: [], tolerations: [master, bounded] });
  assert.deepEqual(got, [master, AUTO[0], ...AUTO.slice(1)]);

  // A different operator (Equal with empty value) is a different toleration: kept, auto one appended.
  const equal: Toleration = { key: 'node.kubernetes.io/not-ready', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 60 };
  assert.deepEqual(daemonPodTolerations({ containers: [], tolerations: [equal] }), [equal, ...AUTO]);

  // Already identical: not duplicated.
  const same = daemonPodTolerations({ containers: [], tolerations: [AUTO[3]!] });
  assert.deepEqual(same, [AUTO[3], AUTO[0], AUTO[1], AUTO[2], AUTO[4], AUTO[5]]);

  // The input is never modified.
  const input = [bounded];
  daemonPodTolerations({ containers: [], tolerations: input });
  assert.deepEqual(input, [bounded]);
});

test('addOrUpdateToleration walks the list exactly as upstream', () => {
  const want: Toleration = { key: 'k', operator: 'Exists', effect: 'NoExecute' };
  const bounded = { ...want, tolerationSeconds: 10 };
  const other: Toleration = { key: 'x', operator: 'Exists' };
  assert.deepEqual(addOrUpdateToleration(undefined, want), [want]);
  assert.deepEqual(addOrUpdateToleration([other], want), [other, want]);
  assert.deepEqual(addOrUpdateToleration([bounded, other], want), [want, other]);
  // Two same-identity entries: both replaced.
  assert.deepEqual(addOrUpdateToleration([bounded, { ...want, tolerationSeconds: 20 }], want), [want, want]);
  // An identical entry anywhere stops the walk: the list stays as it was.
  assert.deepEqual(addOrUpdateToleration([bounded, want], want), [bounded, want]);
  // Missing fields equal empty ones.
  assert.deepEqual(addOrUpdateToleration([{ key: 'k', operator: 'Exists', effect: 'NoExecute', value: '' }], want), [
    { key: 'k', operator: 'Exists', effect: 'NoExecute', value: '' },
  ]);
});

test('ReplaceDaemonSetPodNodeNameNodeAffinity vectors', () => {
  const pinned = (name: string) => ({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }] });
  const preferred = [{ weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }];
  const cases: [string, Affinity | undefined, Affinity][] = [
    ['nil affinity', undefined, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } }],
    ['empty affinity', {}, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } }],
    [
      'hostname matchExpressions term replaced',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['host_1'] }] }],
          },
        },
      },
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } },
    ],
    [
      'preferred terms kept, required added',
      { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } },
      { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred, requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } },
    ],
    [
      'In [host_1, host_2] → [host_1]',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_1', 'host_2'] }] }],
          },
        },
      },
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } },
    ],
    [
      'two terms → one',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host_2'] }] },
              { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
            ],
          },
        },
      },
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } },
    ],
    [
      'NotIn [host_2] → In [host_1]',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['host_2'] }] }],
          },
        },
      },
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } },
    ],
    [
      'unknown field key replaced',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.foo', operator: 'In', values: ['bar'] }] }],
          },
        },
      },
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') } },
    ],
    [
      'pod affinity kept',
      { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone' }] } },
      {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone' }] },
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pinned('host_1') },
      },
    ],
  ];
  for (const [name, input, want] of cases) {
    const before = structuredClone(input);
    assert.deepEqual(nodeNameAffinity(input, 'host_1'), want, name);
    assert.deepEqual(input, before, `${name}: input unchanged`);
  }
});

test('GetTargetNodeName vectors', () => {
  const pod = (spec: Pod['spec']): Pod => ({ metadata: { name: 'p', namespace: 'default' }, spec });
  const fields = (...values: string[]) => ({
    containers: [],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values }] }],
        },
      },
    },
  });
  assert.deepEqual(targetNodeName(pod({ containers: [], nodeName: 'node-1' })), { nodeName: 'node-1' });
  assert.deepEqual(targetNodeName(pod({ ...fields('node-2'), nodeName: 'node-1' })), { nodeName: 'node-1' });
  assert.deepEqual(targetNodeName(pod(fields('node-1'))), { nodeName: 'node-1' });
  assert.ok('error' in targetNodeName(pod(fields('node-1', 'node-2'))));
  assert.ok('error' in targetNodeName(pod(fields())));
  assert.ok('error' in targetNodeName(pod({ containers: [] })));
  assert.ok('error' in targetNodeName(pod({ containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } })));
  const notIn = fields('node-1');
  notIn.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]!.matchFields[0]!.operator = 'NotIn';
  assert.ok('error' in targetNodeName(pod(notIn)));
  // The pin written by nodeNameAffinity reads back.
  assert.deepEqual(targetNodeName(pod({ containers: [], affinity: nodeNameAffinity(undefined, 'node-9') })), { nodeName: 'node-9' });
  const err = targetNodeName(pod(fields('a', 'b')));
  assert.ok('error' in err && err.error.includes('default/p'));
});
