import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { patchMetaFor, type PatchMeta } from '../../src/api/patch-meta.js';
import { strategicMergePatch } from '../../src/apiserver/patch/strategic.js';

const ds = patchMetaFor('apps', 'DaemonSet');
const node = patchMetaFor('', 'Node');
const pod = patchMetaFor('', 'Pod');

/** Recursively freezes a value so that any attempt to modify it throws. */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}

const isDirective = (k: string) => ['$patch', '$retainKeys'].includes(k) || /^\$(setElementOrder|deleteFromPrimitiveList)\//.test(k);

function directiveKeys(v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => directiveKeys(x, `${path}[${i}]`));
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => (isDirective(k) ? [`${path}.${k}`] : directiveKeys(x, `${path}.${k}`)));
}

/** Applies the patch to frozen inputs and checks the result carries no directive. */
function apply(original: unknown, patch: unknown, meta: PatchMeta = ds): unknown {
  const before = JSON.stringify([original, patch]);
  const result = strategicMergePatch(deepFreeze(original), deepFreeze(patch), meta);
  assert.equal(JSON.stringify([original, patch]), before);
  assert.deepEqual(directiveKeys(result), []);
  return result;
}

const podSpec = (spec: Record<string, unknown>) => ({ spec: { template: { spec } } });

function fluentd(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'fluentd', namespace: 'logging', labels: { app: 'fluentd' }, annotations: { keep: 'me' } },
    spec: {
      selector: { matchLabels: { name: 'fluentd' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      template: {
        metadata: { labels: { name: 'fluentd' }, annotations: { old: 'x' } },
        spec: {
          containers: [
            {
              name: 'fluentd',
              image: 'fluentd:v1.16',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 24224, protocol: 'TCP' }],
              volumeMounts: [{ name: 'varlog', mountPath: '/var/log' }],
              args: ['-c', 'a.conf'],
            },
            { name: 'sidecar', image: 'busybox' },
          ],
          tolerations: [
            { key: 'a', operator: 'Exists' },
            { key: 'b', operator: 'Exists' },
          ],
          volumes: [{ name: 'varlog', hostPath: { path: '/var/log', type: '' } }],
        },
      },
    },
    status: { conditions: [{ type: 'Ready', status: 'False', reason: 'x' }], numberReady: 0 },
  };
}

interface Case {
  name: string;
  original: unknown;
  patch: unknown;
  want: unknown;
  meta?: PatchMeta;
}

const cases: Case[] = [
  // --- maps and null ---
  { name: 'maps merge recursively', original: { a: { b: 1, c: 2 }, d: 1 }, patch: { a: { c: 3, e: 4 } }, want: { a: { b: 1, c: 3, e: 4 }, d: 1 } },
  { name: 'null deletes a key', original: { a: 1, b: 2 }, patch: { a: null }, want: { b: 2 } },
  { name: 'null for an absent key is a no-op', original: { a: 1 }, patch: { z: null }, want: { a: 1 } },
  { name: 'nulls inside a new map are dropped', original: {}, patch: { a: { b: null, c: 1 } }, want: { a: { c: 1 } } },
  { name: 'a value of another type replaces an untyped field', original: { a: [1, 2] }, patch: { a: { b: 1 } }, want: { a: { b: 1 } } },
  { name: 'a non-object original is treated as empty', original: 'junk', patch: { a: 1 }, want: { a: 1 } },
  { name: 'empty patch changes nothing', original: fluentd(), patch: {}, want: fluentd() },
  { name: 'other $-keys are plain fields', original: { schema: { $ref: 'a' } }, patch: { schema: { $ref: 'b', $id: 'c' } }, want: { schema: { $ref: 'b', $id: 'c' } } },

  // --- kubectl command bodies (kubectl-wire.md §2) ---
  {
    name: 'cordon',
    meta: node,
    original: { metadata: { name: 'n1' }, spec: { podCIDR: '10.0.0.0/24' } },
    patch: { spec: { unschedulable: true } },
    want: { metadata: { name: 'n1' }, spec: { podCIDR: '10.0.0.0/24', unschedulable: true } },
  },
  {
    name: 'uncordon',
    meta: node,
    original: { metadata: { name: 'n1' }, spec: { unschedulable: true } },
    patch: { spec: { unschedulable: null } },
    want: { metadata: { name: 'n1' }, spec: {} },
  },
  {
    name: 'taint add: taints are atomic',
    meta: node,
    original: { spec: { taints: [{ key: 'other', value: 'x', effect: 'NoExecute' }] } },
    patch: { spec: { taints: [{ effect: 'NoExecute', key: 'other', value: 'x' }, { effect: 'NoSchedule', key: 'dedicated', value: 'logging' }] } },
    want: { spec: { taints: [{ effect: 'NoExecute', key: 'other', value: 'x' }, { effect: 'NoSchedule', key: 'dedicated', value: 'logging' }] } },
  },
  {
    name: 'taint remove one: the full remaining list replaces the old one',
    meta: node,
    original: { spec: { taints: [{ key: 'other', value: 'x', effect: 'NoExecute' }, { key: 'dedicated', value: 'logging', effect: 'NoSchedule' }] } },
    patch: { spec: { taints: [{ effect: 'NoExecute', key: 'other', value: 'x' }] } },
    want: { spec: { taints: [{ effect: 'NoExecute', key: 'other', value: 'x' }] } },
  },
  {
    name: 'taint remove last',
    meta: node,
    original: { spec: { taints: [{ key: 'other', value: 'x', effect: 'NoExecute' }], unschedulable: true } },
    patch: { spec: { taints: null } },
    want: { spec: { unschedulable: true } },
  },
  {
    name: 'label via a strategic patch merges the label map',
    meta: node,
    original: { metadata: { labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { b: null, c: '3' } } },
    want: { metadata: { labels: { a: '1', c: '3' } } },
  },
  {
    name: 'rollout restart adds a template annotation',
    original: { spec: { template: { metadata: { annotations: { old: 'x' } } } } },
    patch: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-22T04:40:38Z' } } } } },
    want: { spec: { template: { metadata: { annotations: { old: 'x', 'kubectl.kubernetes.io/restartedAt': '2026-11-22T04:40:38Z' } } } } },
  },
  {
    name: 'set image with $setElementOrder',
    original: podSpec({ containers: [{ name: 'fluentd', image: 'fluentd:v1.16' }, { name: 'sidecar', image: 'busybox' }] }),
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'fluentd' }, { name: 'sidecar' }], containers: [{ image: 'fluentd:v1.17', name: 'fluentd' }] }),
    want: podSpec({ containers: [{ name: 'fluentd', image: 'fluentd:v1.17' }, { name: 'sidecar', image: 'busybox' }] }),
  },
  {
    name: 'edit changing the image of the only container',
    original: podSpec({ containers: [{ name: 'fluentd', image: 'fluentd:v1.16', args: ['x'] }] }),
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'fluentd' }], containers: [{ image: 'fluentd:v2.0', name: 'fluentd' }] }),
    want: podSpec({ containers: [{ name: 'fluentd', image: 'fluentd:v2.0', args: ['x'] }] }),
  },
  {
    name: 'rollout undo: $patch replace on spec.template, creationTimestamp null dropped',
    original: {
      metadata: { name: 'fluentd', generation: 3 },
      spec: {
        selector: { matchLabels: { name: 'fluentd' } },
        template: {
          metadata: { labels: { name: 'fluentd' }, annotations: { 'kubectl.kubernetes.io/restartedAt': 't' } },
          spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1.17', env: [{ name: 'X', value: '1' }] }], nodeSelector: { a: 'b' } },
        },
      },
    },
    patch: {
      spec: {
        template: {
          $patch: 'replace',
          metadata: { creationTimestamp: null, labels: { name: 'fluentd' } },
          spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1.16' }] },
        },
      },
    },
    want: {
      metadata: { name: 'fluentd', generation: 3 },
      spec: {
        selector: { matchLabels: { name: 'fluentd' } },
        template: { metadata: { labels: { name: 'fluentd' } }, spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1.16' }] } },
      },
    },
  },

  // --- list directives ---
  {
    name: '$patch delete removes a list item by merge key',
    original: podSpec({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }),
    patch: podSpec({ containers: [{ $patch: 'delete', name: 'b' }] }),
    want: podSpec({ containers: [{ name: 'a' }, { name: 'c' }] }),
  },
  {
    name: '$patch delete of a missing item is a no-op',
    original: podSpec({ containers: [{ name: 'a' }] }),
    patch: podSpec({ containers: [{ $patch: 'delete', name: 'zzz' }] }),
    want: podSpec({ containers: [{ name: 'a' }] }),
  },
  {
    name: '$patch replace as a list item replaces the list with the other items',
    original: podSpec({ containers: [{ name: 'a', image: 'x' }, { name: 'b' }] }),
    patch: podSpec({ containers: [{ $patch: 'replace' }, { name: 'c', image: 'y' }, { name: 'a' }] }),
    want: podSpec({ containers: [{ name: 'c', image: 'y' }, { name: 'a' }] }),
  },
  {
    name: '$patch replace as the only list item empties the list',
    original: podSpec({ volumes: [{ name: 'a', emptyDir: {} }] }),
    patch: podSpec({ volumes: [{ $patch: 'replace' }] }),
    want: podSpec({ volumes: [] }),
  },
  {
    name: '$patch replace in a map replaces it wholesale',
    original: { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } } },
    patch: { spec: { updateStrategy: { $patch: 'replace', type: 'OnDelete' } } },
    want: { spec: { updateStrategy: { type: 'OnDelete' } } },
  },
  {
    name: '$patch delete in a map empties it',
    original: { metadata: { labels: { a: '1' }, name: 'x' } },
    patch: { metadata: { labels: { $patch: 'delete' } } },
    want: { metadata: { labels: {}, name: 'x' } },
  },
  {
    name: '$patch merge in a map is the default merge',
    original: { metadata: { labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'merge', b: '2' } } },
    want: { metadata: { labels: { a: '1', b: '2' } } },
  },
  {
    name: '$retainKeys: switching a volume from hostPath to emptyDir',
    original: podSpec({ volumes: [{ name: 'varlog', hostPath: { path: '/var/log' } }, { name: 'other', configMap: { name: 'c' } }] }),
    patch: podSpec({ volumes: [{ $retainKeys: ['emptyDir', 'name'], emptyDir: {}, name: 'varlog' }] }),
    want: podSpec({ volumes: [{ name: 'varlog', emptyDir: {} }, { name: 'other', configMap: { name: 'c' } }] }),
  },
  {
    name: '$retainKeys with the explicit null kubectl also sends',
    original: podSpec({ volumes: [{ name: 'v', hostPath: { path: '/p' } }] }),
    patch: podSpec({ volumes: [{ $retainKeys: ['emptyDir', 'name'], emptyDir: { medium: 'Memory' }, hostPath: null, name: 'v' }] }),
    want: podSpec({ volumes: [{ name: 'v', emptyDir: { medium: 'Memory' } }] }),
  },
  {
    name: '$setElementOrder alone reorders the live list',
    original: podSpec({ containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] }),
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] }),
    want: podSpec({ containers: [{ name: 'b', image: '2' }, { name: 'a', image: '1' }] }),
  },
  {
    name: '$setElementOrder places a new item where it says',
    original: podSpec({ containers: [{ name: 'a' }, { name: 'c' }] }),
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'c' }], containers: [{ name: 'b', image: 'new' }] }),
    want: podSpec({ containers: [{ name: 'a' }, { name: 'b', image: 'new' }, { name: 'c' }] }),
  },
  {
    name: '$setElementOrder: live items it does not name keep their place relative to the live list',
    original: podSpec({ containers: [{ name: 'a' }, { name: 'x' }, { name: 'b' }] }),
    patch: podSpec({ '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] }),
    want: podSpec({ containers: [{ name: 'x' }, { name: 'b' }, { name: 'a' }] }),
  },
  {
    name: '$setElementOrder for a list absent from both sides creates nothing',
    original: podSpec({}),
    patch: podSpec({ '$setElementOrder/initContainers': [{ name: 'a' }] }),
    want: podSpec({}),
  },
  {
    name: '$setElementOrder on an atomic list is ignored',
    original: podSpec({ tolerations: [{ key: 'a' }] }),
    patch: podSpec({ '$setElementOrder/tolerations': [{ key: 'b' }], tolerations: [{ key: 'b' }] }),
    want: podSpec({ tolerations: [{ key: 'b' }] }),
  },
  {
    name: 'a plain patch adding an item puts it first, as upstream does',
    original: podSpec({ containers: [{ name: 'patch-demo-ctr', image: 'nginx' }] }),
    patch: podSpec({ containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] }),
    want: podSpec({ containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }, { name: 'patch-demo-ctr', image: 'nginx' }] }),
  },
  {
    name: 'a plain patch naming live items orders them as the patch does',
    original: podSpec({ containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }),
    patch: podSpec({ containers: [{ name: 'c', image: 'c2' }, { name: 'a', image: 'a2' }] }),
    want: podSpec({ containers: [{ name: 'b' }, { name: 'c', image: 'c2' }, { name: 'a', image: 'a2' }] }),
  },
  {
    name: 'an empty patch list leaves a merge list alone',
    original: podSpec({ containers: [{ name: 'a' }] }),
    patch: podSpec({ containers: [] }),
    want: podSpec({ containers: [{ name: 'a' }] }),
  },
  {
    name: 'a merge list absent from the original is taken from the patch',
    original: podSpec({}),
    patch: podSpec({ initContainers: [{ name: 'init', image: 'i', env: [{ $patch: 'delete', name: 'Q' }, { name: 'E', value: null }] }] }),
    want: podSpec({ initContainers: [{ name: 'init', image: 'i', env: [{ name: 'E' }] }] }),
  },

  // --- nested lists and merge keys ---
  {
    name: 'env inside containers: update, add and delete by name',
    original: podSpec({ containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] }),
    patch: podSpec({
      containers: [{ name: 'c', '$setElementOrder/env': [{ name: 'B' }, { name: 'C' }], env: [{ name: 'B', value: '22' }, { name: 'C', value: '3' }, { $patch: 'delete', name: 'A' }] }],
    }),
    want: podSpec({ containers: [{ name: 'c', env: [{ name: 'B', value: '22' }, { name: 'C', value: '3' }] }] }),
  },
  {
    name: 'env valueFrom switched to value with null',
    original: podSpec({ containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }] }),
    patch: podSpec({ containers: [{ name: 'c', env: [{ name: 'A', value: 'x', valueFrom: null }] }] }),
    want: podSpec({ containers: [{ name: 'c', env: [{ name: 'A', value: 'x' }] }] }),
  },
  {
    name: 'container ports merge on containerPort',
    original: podSpec({ containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }] }),
    patch: podSpec({ containers: [{ name: 'c', ports: [{ containerPort: 443, name: 'https' }] }] }),
    want: podSpec({ containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443, name: 'https' }] }] }),
  },
  {
    name: 'volumeMounts merge on mountPath',
    original: podSpec({ containers: [{ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/a' }] }] }),
    patch: podSpec({ containers: [{ name: 'c', volumeMounts: [{ mountPath: '/a', readOnly: true }] }] }),
    want: podSpec({ containers: [{ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/a', readOnly: true }] }] }),
  },
  {
    name: 'args, command and envFrom are atomic',
    original: podSpec({ containers: [{ name: 'c', args: ['a', 'b'], command: ['x'], envFrom: [{ configMapRef: { name: 'm' } }] }] }),
    patch: podSpec({ containers: [{ name: 'c', args: ['z'], command: ['y', 'y'], envFrom: [{ secretRef: { name: 's' } }] }] }),
    want: podSpec({ containers: [{ name: 'c', args: ['z'], command: ['y', 'y'], envFrom: [{ secretRef: { name: 's' } }] }] }),
  },
  {
    name: 'imagePullSecrets and initContainers merge on name',
    original: podSpec({ imagePullSecrets: [{ name: 'a' }], initContainers: [{ name: 'i', image: '1' }] }),
    patch: podSpec({ imagePullSecrets: [{ name: 'b' }], initContainers: [{ name: 'i', image: '2' }] }),
    want: podSpec({ imagePullSecrets: [{ name: 'b' }, { name: 'a' }], initContainers: [{ name: 'i', image: '2' }] }),
  },
  {
    name: 'selector matchExpressions are atomic',
    original: { spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } } },
    patch: { spec: { selector: { matchExpressions: [{ key: 'b', operator: 'Exists' }] } } },
    want: { spec: { selector: { matchExpressions: [{ key: 'b', operator: 'Exists' }] } } },
  },
  {
    name: 'daemonset status conditions merge on type',
    original: { status: { conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'False', reason: 'r' }] } },
    patch: { status: { conditions: [{ type: 'B', status: 'True', reason: null }] } },
    want: { status: { conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'True' }] } },
  },
  {
    name: 'pod status conditions merge on type and podIPs on ip',
    meta: pod,
    original: { status: { conditions: [{ type: 'Ready', status: 'False' }], podIPs: [{ ip: '10.0.0.1' }] } },
    patch: { status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.0.0.1' }] } },
    want: { status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.0.0.1' }] } },
  },
  {
    name: 'pod spec containers merge like the template ones',
    meta: pod,
    original: { spec: { containers: [{ name: 'a', image: '1' }], tolerations: [{ key: 'x' }] } },
    patch: { spec: { containers: [{ name: 'a', image: '2' }], tolerations: [] } },
    want: { spec: { containers: [{ name: 'a', image: '2' }], tolerations: [] } },
  },
  {
    name: 'node status conditions and addresses merge on type',
    meta: node,
    original: { status: { conditions: [{ type: 'Ready', status: 'False', lastHeartbeatTime: 't0' }], addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }] } },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 't1' }], addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] } },
    want: { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 't1' }], addresses: [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n1' }] } },
  },
  {
    name: 'node capacity merges as a map',
    meta: node,
    original: { status: { capacity: { cpu: '2', memory: '1Gi' } } },
    patch: { status: { capacity: { cpu: '4' } } },
    want: { status: { capacity: { cpu: '4', memory: '1Gi' } } },
  },
  {
    name: 'node podCIDRs merge as a set',
    meta: node,
    original: { spec: { podCIDRs: ['10.0.0.0/24'] } },
    patch: { spec: { podCIDRs: ['10.0.0.0/24', 'fd00::/64'] } },
    want: { spec: { podCIDRs: ['10.0.0.0/24', 'fd00::/64'] } },
  },
  {
    name: 'ownerReferences merge on uid',
    original: { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', controller: true }, { uid: 'u2', name: 'b' }] } },
    patch: { metadata: { ownerReferences: [{ uid: 'u1', controller: null }, { $patch: 'delete', uid: 'u2' }] } },
    want: { metadata: { ownerReferences: [{ uid: 'u1', name: 'a' }] } },
  },

  // --- primitive sets ---
  {
    name: 'finalizers merge as a de-duplicated set',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['b', 'c', 'b'] } },
    want: { metadata: { finalizers: ['a', 'b', 'c'] } },
  },
  {
    name: 'a patch naming live finalizers orders them as the patch does',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['b', 'a'] } },
    want: { metadata: { finalizers: ['b', 'a'] } },
  },
  {
    name: 'a new finalizer goes first, as upstream does',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['c'] } },
    want: { metadata: { finalizers: ['c', 'a', 'b'] } },
  },
  {
    name: '$deleteFromPrimitiveList removes finalizers',
    original: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'zz'] } },
    want: { metadata: { finalizers: ['a', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList with additions and $setElementOrder',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['a', 'c'], '$deleteFromPrimitiveList/finalizers': ['b'], finalizers: ['c'] } },
    want: { metadata: { finalizers: ['a', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList on an absent list does nothing',
    original: { metadata: { name: 'x' } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { name: 'x' } },
  },
  {
    name: '$setElementOrder reorders a primitive set',
    original: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'] } },
    want: { metadata: { finalizers: ['c', 'b', 'a'] } },
  },

  // --- other kinds ---
  {
    name: 'namespace spec.finalizers are atomic, metadata.finalizers a set',
    meta: patchMetaFor('', 'Namespace'),
    original: { metadata: { finalizers: ['x'] }, spec: { finalizers: ['kubernetes', 'other'] } },
    patch: { metadata: { finalizers: ['x', 'y'] }, spec: { finalizers: ['kubernetes'] } },
    want: { metadata: { finalizers: ['x', 'y'] }, spec: { finalizers: ['kubernetes'] } },
  },
  {
    name: 'lease spec fields merge',
    meta: patchMetaFor('coordination.k8s.io', 'Lease'),
    original: { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', renewTime: 't0' } },
    patch: { spec: { renewTime: 't1' } },
    want: { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', renewTime: 't1' } },
  },
  {
    name: 'priority class value changes',
    meta: patchMetaFor('scheduling.k8s.io', 'PriorityClass'),
    original: { metadata: { name: 'p' }, value: 1, description: 'd' },
    patch: { value: 2, description: null },
    want: { metadata: { name: 'p' }, value: 2 },
  },
  {
    name: 'event count and series',
    meta: patchMetaFor('', 'Event'),
    original: { metadata: { name: 'e' }, count: 1, lastTimestamp: 't0' },
    patch: { count: 2, lastTimestamp: 't1' },
    want: { metadata: { name: 'e' }, count: 2, lastTimestamp: 't1' },
  },
  {
    name: 'controller revision data merges as a plain map',
    meta: patchMetaFor('apps', 'ControllerRevision'),
    original: { metadata: { name: 'r' }, revision: 1, data: { spec: { template: { a: 1 } } } },
    patch: { revision: 4 },
    want: { metadata: { name: 'r' }, revision: 4, data: { spec: { template: { a: 1 } } } },
  },
  {
    name: 'unknown kind: lists are atomic, metadata still typed',
    meta: patchMetaFor('example.com', 'Widget'),
    original: { metadata: { finalizers: ['a'] }, spec: { items: [{ name: 'a', v: 1 }, { name: 'b' }] } },
    patch: { metadata: { finalizers: ['b'] }, spec: { items: [{ name: 'a', v: 2 }] } },
    want: { metadata: { finalizers: ['b', 'a'] }, spec: { items: [{ name: 'a', v: 2 }] } },
  },
];

for (const c of cases) {
  test(`strategic merge: ${c.name}`, () => {
    assert.deepEqual(apply(c.original, c.patch, c.meta), c.want);
  });
}

test('strategic merge: the apply sample from kubectl-wire.md §1.8', () => {
  const lastApplied = '{"apiVersion":"apps/v1","kind":"DaemonSet"}\n';
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'fluentd' }],
          '$setElementOrder/volumes': [{ name: 'varlog' }],
          containers: [{ '$setElementOrder/env': [{ name: 'B' }], env: [{ $patch: 'delete', name: 'A' }], name: 'fluentd' }, { $patch: 'delete', name: 'sidecar' }],
          tolerations: [{ key: 'b', operator: 'Exists' }],
          volumes: [{ $retainKeys: ['emptyDir', 'name'], emptyDir: {}, hostPath: null, name: 'varlog' }],
        },
      },
      updateStrategy: { rollingUpdate: null, type: 'OnDelete' },
    },
  };
  const want = fluentd() as any;
  want.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = lastApplied;
  want.spec.updateStrategy = { type: 'OnDelete' };
  const tpl = want.spec.template.spec;
  tpl.containers = [{ ...tpl.containers[0], env: [{ name: 'B', value: '2' }] }];
  tpl.tolerations = [{ key: 'b', operator: 'Exists' }];
  tpl.volumes = [{ name: 'varlog', emptyDir: {} }];
  assert.deepEqual(apply(fluentd(), patch), want);
});

test('strategic merge: $patch replace on the root replaces the whole object', () => {
  assert.deepEqual(apply({ a: 1, b: { c: 2 } }, { $patch: 'replace', b: { d: 3, e: null } }), { b: { d: 3 } });
});

interface ErrorCase {
  name: string;
  patch: unknown;
  original?: unknown;
  meta?: PatchMeta;
  message: RegExp;
}

const errorCases: ErrorCase[] = [
  { name: 'a patch that is a list', patch: [{ a: 1 }], message: /must be a JSON object/ },
  { name: 'a patch that is a string', patch: 'x', message: /must be a JSON object/ },
  { name: 'a patch that is null', patch: null, message: /must be a JSON object/ },
  { name: 'a list where a map is expected', patch: { spec: { template: [] } }, message: /spec\.template: expected an object, got a list/ },
  { name: 'a string where a map is expected', patch: { metadata: { labels: 'x' } }, message: /metadata\.labels: expected an object/ },
  { name: 'a map where a list is expected', patch: podSpec({ containers: { name: 'a' } }), message: /containers: expected a list, got an object/ },
  { name: 'a string where a list is expected', patch: { metadata: { finalizers: 'a' } }, message: /finalizers: expected a list/ },
  { name: 'an unknown $patch value in a map', patch: { spec: { $patch: 'bogus' } }, message: /unknown \$patch directive "bogus"/ },
  { name: '$patch merge as a list item', patch: podSpec({ containers: [{ $patch: 'merge', name: 'a' }] }), message: /unsupported \$patch directive "merge"/ },
  { name: 'an unknown $patch value in a list item', patch: podSpec({ containers: [{ $patch: 'nope', name: 'a' }] }), message: /unsupported \$patch directive/ },
  { name: 'a list item without its merge key', patch: podSpec({ containers: [{ image: 'x' }] }), message: /containers: list item .* has no merge key "name"/ },
  { name: 'a delete item without its merge key', patch: podSpec({ containers: [{ $patch: 'delete' }] }), message: /no merge key "name"/ },
  { name: 'a merge key that is not a primitive', patch: podSpec({ containers: [{ name: { a: 1 } }] }), message: /containers\.name: expected a list of primitive values/ },
  { name: 'a list item that is not an object', patch: podSpec({ containers: ['fluentd'] }), message: /list items must be objects/ },
  { name: 'an object in a primitive set', patch: { metadata: { finalizers: [{ a: 1 }] } }, message: /metadata\.finalizers: expected a list of primitive values/ },
  { name: 'a __proto__ field', patch: JSON.parse('{"metadata":{"__proto__":{"polluted":true}}}'), message: /"__proto__" is not allowed/ },
  { name: 'a directive prefix without a field', patch: { spec: { '$setElementOrder/': [] } }, message: /spec: directive "\$setElementOrder\/" names no field/ },
  { name: '$setElementOrder that is not a list', patch: podSpec({ '$setElementOrder/containers': { name: 'a' } }), message: /\$setElementOrder\/containers: must be a list/ },
  { name: '$setElementOrder missing a patched item', patch: podSpec({ '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b' }] }), message: /does not contain the patch items/ },
  { name: '$setElementOrder in another order than the patch', patch: podSpec({ '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a' }, { name: 'b' }] }), message: /does not contain the patch items in patch order/ },
  { name: '$setElementOrder items without the merge key', patch: podSpec({ '$setElementOrder/containers': [{ image: 'a' }] }), original: podSpec({ containers: [{ name: 'a' }] }), message: /no merge key "name"/ },
  { name: '$retainKeys that is not a list', patch: podSpec({ volumes: [{ name: 'v', $retainKeys: 'name' }] }), message: /\$retainKeys: must be a list of field names/ },
  { name: 'a field missing from $retainKeys', patch: podSpec({ volumes: [{ name: 'v', emptyDir: {}, $retainKeys: ['name'] }] }), message: /field "emptyDir" is set by the patch but not listed in \$retainKeys/ },
  { name: '$deleteFromPrimitiveList on a map list', patch: podSpec({ '$deleteFromPrimitiveList/containers': ['a'] }), original: podSpec({ containers: [{ name: 'a' }] }), message: /applies only to lists that merge primitives/ },
  { name: '$deleteFromPrimitiveList on an atomic list', patch: podSpec({ containers: [{ name: 'a', '$deleteFromPrimitiveList/args': ['x'] }] }), original: podSpec({ containers: [{ name: 'a', args: ['x'] }] }), message: /applies only to lists that merge primitives/ },
  { name: 'list directives on a map field', patch: { '$setElementOrder/metadata': [], metadata: { name: 'x' } }, message: /metadata: list directives given for a field that is not a list/ },
];

for (const c of errorCases) {
  test(`strategic merge rejects ${c.name} with 400`, () => {
    assert.throws(
      () => strategicMergePatch(c.original ?? fluentd(), c.patch, c.meta ?? ds),
      (e: unknown) => {
        assert.ok(e instanceof ApiError, `not an ApiError: ${String(e)}`);
        assert.equal(e.code, 400);
        assert.equal(e.reason, 'BadRequest');
        assert.match(e.message, c.message);
        assert.equal((Object.prototype as any).polluted, undefined);
        return true;
      },
    );
  });
}

test('strategic merge: the result shares nothing with its inputs', () => {
  const original = fluentd();
  const patch = podSpec({ containers: [{ name: 'fluentd', args: ['new'] }], tolerations: [{ key: 'z' }] });
  const snapshot = JSON.stringify([original, patch]);
  const result = strategicMergePatch(original, patch, ds) as any;
  result.metadata.labels.app = 'changed';
  result.spec.template.spec.containers[0].args.push('more');
  result.spec.template.spec.tolerations[0].key = 'changed';
  result.spec.template.spec.volumes[0].hostPath.path = '/changed';
  result.status.conditions.pop();
  assert.equal(JSON.stringify([original, patch]), snapshot);
});

/** A small seeded generator (mulberry32) so the property check is reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPodSpec(next: () => number, asPatch: boolean): Record<string, unknown> {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
  const names = ['a', 'b', 'c', 'd'];
  const env = () =>
    names.filter(() => next() < 0.5).map((name) => (asPatch && next() < 0.2 ? { $patch: 'delete', name } : { name, value: pick(['1', '2', null]) }));
  const containers = names
    .filter(() => next() < 0.6)
    .map((name) => (asPatch && next() < 0.15 ? { $patch: 'delete', name } : { name, image: pick(['x', 'y', null]), env: env(), args: [pick(['p', 'q'])] }));
  const spec: Record<string, unknown> = { containers, tolerations: [{ key: pick(names) }] };
  if (next() < 0.5) spec.volumes = [{ name: 'v', ...(next() < 0.5 ? { emptyDir: {} } : { hostPath: { path: '/p' } }) }];
  if (asPatch && next() < 0.5) spec['$setElementOrder/containers'] = containers.filter((c) => !('$patch' in c)).map((c) => ({ name: c.name }));
  return { metadata: { finalizers: names.filter(() => next() < 0.4), labels: { [pick(names)]: pick(['1', null]) } }, spec: { template: { spec } } };
}

test('strategic merge: property check — inputs are never mutated and results carry no directive', () => {
  const next = rng(42);
  let applied = 0;
  for (let i = 0; i < 300; i++) {
    const original = randomPodSpec(next, false);
    const patch = randomPodSpec(next, true);
    const before = JSON.stringify([original, patch]);
    try {
      const result = strategicMergePatch(deepFreeze(original), deepFreeze(patch), ds);
      assert.deepEqual(directiveKeys(result), []);
      applied++;
    } catch (e) {
      assert.ok(e instanceof ApiError && e.code === 400, `unexpected error: ${String(e)}`);
    }
    assert.equal(JSON.stringify([original, patch]), before);
  }
  assert.ok(applied > 250, `only ${applied} of 300 random patches applied`);
});
