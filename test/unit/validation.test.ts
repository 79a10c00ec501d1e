import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KObject } from '../../src/api/object.js';
import type { FieldError } from '../../src/api/validation/field-errors.js';
import { defaultDaemonSet, defaultPod, defaultPriorityClass, prepareNamespaceForCreate, defaultNamespace } from '../../src/api/defaults/index.js';
import * as v from '../../src/api/validation/kinds.js';
import { validateObjectMetaCreate } from '../../src/api/validation/meta.js';
import { generateNameFrom, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, nameIsDNSSubdomain } from '../../src/api/validation/names.js';
import {
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  canonicalQuantity,
  compareQuantities,
  integerValue,
  milliValue,
  parseQuantity,
  quantityError,
} from '../../src/api/validation/quantity.js';

/** What kubectl prints: one `field: message` line per cause. */
const lines = (errs: FieldError[]): string[] => errs.map((e) => `${e.field}: ${e.message}`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;
type Mutate = (o: Obj) => void;

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const PERCENT_MSG =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

function baseDaemonSet(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'fluentd', namespace: 'logging', resourceVersion: '5', uid: 'u1', creationTimestamp: '2024-01-02T03:04:05Z' },
    spec: {
      selector: { matchLabels: { name: 'fluentd' } },
      template: { metadata: { labels: { name: 'fluentd' } }, spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1' }] } },
    },
  };
}

/** A user's DaemonSet (base + mutation), defaulted as the server would before validating. */
function daemonSet(mutate: Mutate = () => {}): KObject {
  const ds = baseDaemonSet();
  mutate(ds);
  defaultDaemonSet(ds);
  return ds;
}

function basePod(mutate: Mutate = () => {}): KObject {
  const pod: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', resourceVersion: '3', uid: 'p1' },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
  };
  mutate(pod);
  defaultPod(pod);
  return pod;
}

function runTable(name: string, cases: [string, KObject, string[]][], validate: (o: KObject) => FieldError[]): void {
  for (const [title, obj, expected] of cases) {
    test(`${name}: ${title}`, () => assert.deepEqual(lines(validate(obj)), expected));
  }
}

// ---- the example manifests ------------------------------------------------------------------

test('the four example manifests validate cleanly after defaulting', () => {
  for (const file of ['fluentd-elasticsearch', 'fluentd-logging-affinity', 'pod-node-affinity', 'ssd-monitor']) {
    for (const doc of parseAllDocuments(readFileSync(`/work/shared/examples/${file}.yaml`, 'utf8'))) {
      const obj = doc.toJS() as Obj;
      let errs: FieldError[];
      if (obj.kind === 'DaemonSet') {
        obj.metadata.namespace ??= 'default';
        defaultDaemonSet(obj);
        errs = v.validateDaemonSetCreate(obj);
      } else if (obj.kind === 'Pod') {
        obj.metadata.namespace ??= 'default';
        defaultPod(obj);
        errs = v.validatePodCreate(obj);
      } else {
        defaultPriorityClass(obj);
        errs = v.validatePriorityClassCreate(obj);
      }
      assert.deepEqual(lines(errs), [], `${file} ${obj.kind}`);
    }
  }
});

// ---- DaemonSet create (semantics §1.4, §10) ------------------------------------------------

const DS_TEMPLATE_LABELS_PATH = 'spec.template.metadata.labels';

runTable(
  'DaemonSet create',
  [
    ['a minimal DaemonSet is valid', daemonSet(), []],
    [
      'selector that does not match the template labels',
      daemonSet((o) => (o.spec.template.metadata.labels = { name: 'other' })),
      [`${DS_TEMPLATE_LABELS_PATH}: Invalid value: map[string]string{"name":"other"}: \`selector\` does not match template \`labels\``],
    ],
    [
      'template labels are printed sorted, Go style',
      daemonSet((o) => (o.spec.template.metadata.labels = { z: '1', a: '2' })),
      [`${DS_TEMPLATE_LABELS_PATH}: Invalid value: map[string]string{"a":"2", "z":"1"}: \`selector\` does not match template \`labels\``],
    ],
    [
      'missing template labels render as a nil map',
      daemonSet((o) => delete o.spec.template.metadata),
      [`${DS_TEMPLATE_LABELS_PATH}: Invalid value: map[string]string(nil): \`selector\` does not match template \`labels\``],
    ],
    [
      'a missing selector selects nothing, so it never matches',
      daemonSet((o) => delete o.spec.selector),
      [`${DS_TEMPLATE_LABELS_PATH}: Invalid value: map[string]string{"name":"fluentd"}: \`selector\` does not match template \`labels\``],
    ],
    [
      'an empty selector is rejected (and matches everything)',
      daemonSet((o) => (o.spec.selector = {})),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset'],
    ],
    [
      'an empty matchLabels map counts as empty too',
      daemonSet((o) => (o.spec.selector = { matchLabels: {}, matchExpressions: [] })),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement{}}: empty selector is invalid for daemonset'],
    ],
    [
      'matchExpressions select by In',
      daemonSet((o) => (o.spec.selector = { matchExpressions: [{ key: 'name', operator: 'In', values: ['fluentd', 'x'] }] })),
      [],
    ],
    [
      'matchExpressions that exclude the template fail the match',
      daemonSet((o) => (o.spec.selector = { matchLabels: { name: 'fluentd' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] })),
      [`${DS_TEMPLATE_LABELS_PATH}: Invalid value: map[string]string{"name":"fluentd"}: \`selector\` does not match template \`labels\``],
    ],
    [
      'In without values (no match check on a selector that does not parse)',
      daemonSet((o) => (o.spec.selector.matchExpressions = [{ key: 'tier', operator: 'In' }])),
      ["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
    ],
    [
      'Exists with values',
      daemonSet((o) => (o.spec.selector.matchExpressions = [{ key: 'name', operator: 'Exists', values: ['a'] }])),
      ["spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"],
    ],
    [
      'unknown selector operator',
      daemonSet((o) => (o.spec.selector.matchExpressions = [{ key: 'name', operator: 'Equals', values: ['a'] }])),
      ['spec.selector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator'],
    ],
    [
      'bad label value in selector and template (template labels are reported at spec.template.labels)',
      daemonSet((o) => {
        o.spec.selector.matchLabels = { name: 'bad value!' };
        o.spec.template.metadata.labels = { name: 'bad value!' };
      }),
      [`spec.selector.matchLabels: Invalid value: "bad value!": ${LABEL_VALUE_MSG}`, `spec.template.labels: Invalid value: "bad value!": ${LABEL_VALUE_MSG}`],
    ],
    [
      'restartPolicy Never',
      daemonSet((o) => (o.spec.template.spec.restartPolicy = 'Never')),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'restartPolicy OnFailure',
      daemonSet((o) => (o.spec.template.spec.restartPolicy = 'OnFailure')),
      ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    ],
    [
      'an unknown restartPolicy fails both the pod rule and the DaemonSet rule',
      daemonSet((o) => (o.spec.template.spec.restartPolicy = 'Sometimes')),
      [
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always"',
      ],
    ],
    [
      'activeDeadlineSeconds',
      daemonSet((o) => (o.spec.template.spec.activeDeadlineSeconds = 30)),
      ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported'],
    ],
    [
      'maxSurge alone: the defaulted maxUnavailable (1) makes it invalid',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxSurge: 1 } })),
      ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero'],
    ],
    [
      'maxSurge percent alone is printed bare',
      daemonSet((o) => (o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } })),
      ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 25%: may not be set when maxUnavailable is non-zero'],
    ],
    ['maxSurge with maxUnavailable 0 is valid', daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } })), []],
    ['"0%" counts as zero', daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxSurge: '10%', maxUnavailable: '0%' } })), []],
    [
      'both zero',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } })),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    ],
    [
      'both "0%"',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxSurge: '0%', maxUnavailable: '0%' } })),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    ],
    [
      'more than 100%',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: '150%' } })),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%'],
    ],
    ['exactly 100% is allowed', daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: '100%' } })), []],
    [
      'a string that is not a percent (and counts as 0)',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: 'abc' } })),
      [`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: abc: ${PERCENT_MSG}`, 'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    ],
    [
      'a numeric string is not a percent (but counts as its number)',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: '5' } })),
      [`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 5: ${PERCENT_MSG}`],
    ],
    [
      'a percent with a space',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: '5 %' } })),
      [`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 5 %: ${PERCENT_MSG}`, 'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0'],
    ],
    [
      'negative maxUnavailable',
      daemonSet((o) => (o.spec.updateStrategy = { rollingUpdate: { maxUnavailable: -1 } })),
      ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'OnDelete ignores whatever rollingUpdate says',
      daemonSet((o) => (o.spec.updateStrategy = { type: 'OnDelete', rollingUpdate: { maxSurge: 5, maxUnavailable: '500%' } })),
      [],
    ],
    [
      'unknown strategy type',
      daemonSet((o) => (o.spec.updateStrategy = { type: 'Recreate' })),
      ['spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Recreate", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"'],
    ],
    [
      'negative revisionHistoryLimit',
      daemonSet((o) => (o.spec.revisionHistoryLimit = -1)),
      ['spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0'],
    ],
    ['revisionHistoryLimit 0 is allowed', daemonSet((o) => (o.spec.revisionHistoryLimit = 0)), []],
    ['negative minReadySeconds', daemonSet((o) => (o.spec.minReadySeconds = -5)), ['spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0']],
    ['bad name', daemonSet((o) => (o.metadata.name = 'Fluentd_1')), [`metadata.name: Invalid value: "Fluentd_1": ${SUBDOMAIN_MSG}`]],
    ['missing namespace', daemonSet((o) => delete o.metadata.namespace), ['metadata.namespace: Required value']],
    ['missing name', daemonSet((o) => delete o.metadata.name), ['metadata.name: Required value: name or generateName is required']],
    ['no containers', daemonSet((o) => (o.spec.template.spec.containers = [])), ['spec.template.spec.containers: Required value']],
    [
      'no template at all',
      daemonSet((o) => delete o.spec.template),
      [`${DS_TEMPLATE_LABELS_PATH}: Invalid value: map[string]string(nil): \`selector\` does not match template \`labels\``, 'spec.template.spec.containers: Required value'],
    ],
    ['no image', daemonSet((o) => delete o.spec.template.spec.containers[0].image), ['spec.template.spec.containers[0].image: Required value']],
    ['templates tolerate whitespace around images (pods do not)', daemonSet((o) => (o.spec.template.spec.containers[0].image = ' fluentd ')), []],
    [
      'ephemeral containers in a template',
      daemonSet((o) => (o.spec.template.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox' }])),
      ['spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template'],
    ],
  ],
  v.validateDaemonSetCreate,
);

// ---- DaemonSet update and status -----------------------------------------------------------

runTable(
  'DaemonSet update',
  [
    ['template change is allowed', daemonSet((o) => (o.spec.template.spec.containers[0].image = 'fluentd:v2')), []],
    [
      'selector is immutable',
      daemonSet((o) => {
        o.spec.selector.matchLabels = { name: 'other' };
        o.spec.template.metadata.labels = { name: 'other' };
      }),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"name":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'],
    ],
    ['an empty matchExpressions list equals a missing one', daemonSet((o) => (o.spec.selector.matchExpressions = [])), []],
    ['name is immutable', daemonSet((o) => (o.metadata.name = 'fluentd2')), ['metadata.name: Invalid value: "fluentd2": field is immutable']],
    ['uid is immutable', daemonSet((o) => (o.metadata.uid = 'u2')), ['metadata.uid: Invalid value: "u2": field is immutable']],
    [
      'creationTimestamp is immutable (printed as Go time)',
      daemonSet((o) => (o.metadata.creationTimestamp = '2025-06-07T08:09:10Z')),
      ['metadata.creationTimestamp: Invalid value: 2025-06-07 08:09:10 +0000 UTC: field is immutable'],
    ],
    ['an update needs a resourceVersion', daemonSet((o) => delete o.metadata.resourceVersion), ['metadata.resourceVersion: Invalid value: "": must be specified for an update']],
  ],
  (o) => v.validateDaemonSetUpdate(o, daemonSet()),
);

test('DaemonSet update: bad selector values already stored stay tolerated', () => {
  const bad = (o: Obj): void => {
    o.spec.selector.matchExpressions = [{ key: 'name', operator: 'NotIn', values: ['bad value!'] }];
  };
  const old = daemonSet(bad);
  assert.equal(lines(v.validateDaemonSetCreate(old)).length, 1);
  assert.deepEqual(lines(v.validateDaemonSetUpdate(daemonSet(bad), old)), []);
});

const withStatus = (status: Obj): KObject => daemonSet((o) => (o.status = status));

runTable(
  'DaemonSet status update',
  [
    ['counters may move', withStatus({ currentNumberScheduled: 3, numberReady: 2, collisionCount: 2 }), []],
    ['collisionCount may grow', withStatus({ collisionCount: 3 }), []],
    ['collisionCount decremented', withStatus({ collisionCount: 1 }), ['status.collisionCount: Invalid value: 1: cannot be decremented']],
    ['collisionCount removed', withStatus({}), ['status.collisionCount: Invalid value: 0: cannot be decremented']],
    [
      'negative counters',
      withStatus({ numberReady: -1, observedGeneration: -2, collisionCount: 2 }),
      ['status.numberReady: Invalid value: -1: must be greater than or equal to 0', 'status.observedGeneration: Invalid value: -2: must be greater than or equal to 0'],
    ],
  ],
  (o) => v.validateDaemonSetStatusUpdate(o, withStatus({ collisionCount: 2 })),
);

// ---- names, labels, metadata ---------------------------------------------------------------

test('name syntax helpers return upstream details', () => {
  assert.deepEqual(isDNS1123Label('my-name'), []);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.match(isDNS1123Label('-x')[0]!, /^a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end/);
  assert.deepEqual(isDNS1123Subdomain('example.com'), []);
  assert.deepEqual(isDNS1123Subdomain('Example.com'), [SUBDOMAIN_MSG]);
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
  assert.deepEqual(isQualifiedName('example.com/My_Name-1'), []);
  assert.deepEqual(isQualifiedName('-bad'), [NAME_PART_MSG]);
  assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('Example.com/x'), [`prefix part ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(isQualifiedName('x/'), ['name part must be non-empty', NAME_PART_MSG]);
  assert.match(isQualifiedName('a/b/c')[0]!, /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
  assert.deepEqual(isQualifiedName('a'.repeat(64)), ['name part must be no more than 63 characters']);
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('bad value!'), [LABEL_VALUE_MSG]);
  assert.deepEqual(isValidLabelValue('v'.repeat(64)), ['must be no more than 63 characters']);
});

test('generateName: a trailing dash is fine, the generated name has 5 more characters', () => {
  assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
  assert.equal(nameIsDNSSubdomain('Web-', true).length, 1);
  const name = generateNameFrom('web-', () => 0);
  assert.equal(name, 'web-bbbbb');
  assert.equal(generateNameFrom('x'.repeat(70)).length, 63);
});

const metaErrors = (meta: Obj, namespaced = true): string[] =>
  lines(validateObjectMetaCreate(meta, { namespaced, nameRule: nameIsDNSSubdomain }));

test('ObjectMeta on create', () => {
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', labels: { app: 'bad value!' } }), [
    `metadata.labels: Invalid value: "bad value!": ${LABEL_VALUE_MSG}`,
  ]);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', labels: { '-bad': 'ok' } }), [`metadata.labels: Invalid value: "-bad": ${NAME_PART_MSG}`]);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', annotations: { 'Example.COM/Key': 'anything at all' } }), []);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', annotations: { big: 'x'.repeat(256 * 1024) } }), [
    'metadata.annotations: Too long: may not be more than 262144 bytes',
  ]);
  assert.deepEqual(metaErrors({ generateName: 'Web-', name: 'web-abcde', namespace: 'default' }), [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'Bad.NS' }), [
    'metadata.namespace: Invalid value: "Bad.NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
  ]);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default' }, false), ['metadata.namespace: Forbidden: not allowed on this type']);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', generation: -1 }), ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds' }] }), [
    'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
  ]);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/', kind: 'DaemonSet', name: 'ds', uid: '1' }] }), [
    'metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty',
  ]);
  const twoControllers = [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'a', uid: '1', controller: true },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'b', uid: '2', controller: true },
  ];
  assert.match(metaErrors({ name: 'x', namespace: 'default', ownerReferences: twoControllers })[0]!, /Only one reference can have Controller set to true\. Found "true" in references for DaemonSet\/a and DaemonSet\/b$/);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', finalizers: ['example.com/cleanup', 'kubernetes', 'orphan'] }), []);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', finalizers: ['cleanup'] }), [
    'metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  assert.deepEqual(metaErrors({ name: 'x', namespace: 'default', finalizers: ['orphan', 'foregroundDeletion'] }), [
    'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
  ]);
});

// ---- quantities ----------------------------------------------------------------------------

test('quantities print back in canonical form', () => {
  const table: [string | number, string][] = [
    ['100m', '100m'], ['0.1', '100m'], ['1000m', '1'], ['1.5', '1500m'], ['2k', '2k'], ['1500', '1500'], ['1.5k', '1500'],
    ['200Mi', '200Mi'], ['1024Mi', '1Gi'], ['1.5Gi', '1536Mi'], ['0.5Gi', '512Mi'], ['100Ki', '100Ki'], ['1000', '1k'],
    ['0', '0'], ['0Mi', '0'], ['512', '512'], ['1e3', '1e3'], ['12e2', '1200'], ['1E', '1E'], ['5n', '5n'], ['-1', '-1'],
    ['1.0000000001', '1000000001n'], ['+2', '2'], [1, '1'], [0.5, '500m'], ['500Mi', '500Mi'], ['1023Mi', '1023Mi'],
  ];
  for (const [input, canonical] of table) assert.equal(canonicalQuantity(input), canonical, String(input));
});

test('quantity errors use upstream texts', () => {
  for (const bad of ['abc', '', '1.2.3', '1 Gi', '1Gb', '1Kb', 'Gi!']) assert.equal(quantityError(bad), QUANTITY_FORMAT_ERROR, bad);
  for (const bad of ['1K', '5e', '1mi', '1e-']) assert.equal(quantityError(bad), QUANTITY_SUFFIX_ERROR, bad);
  assert.equal(quantityError({}), QUANTITY_FORMAT_ERROR);
  assert.equal(quantityError('250m'), undefined);
});

test('quantity comparison and numeric values', () => {
  const q = parseQuantity;
  assert.equal(compareQuantities(q('1Gi'), q('1G')), 1);
  assert.equal(compareQuantities(q('1000m'), q('1')), 0);
  assert.equal(compareQuantities(q('100m'), q('0.2')), -1);
  assert.equal(milliValue(q('100m')), 100);
  assert.equal(milliValue(q('2')), 2000);
  assert.equal(milliValue(q('0.0001')), 1);
  assert.equal(integerValue(q('200Mi')), 209715200);
  assert.equal(integerValue(q('1.5')), 2);
  assert.equal(integerValue(q('1e3')), 1000);
});

// ---- pods ----------------------------------------------------------------------------------

const c0 = 'spec.containers[0]';

runTable(
  'Pod create',
  [
    ['a minimal pod is valid', basePod(), []],
    ['duplicate container names', basePod((o) => o.spec.containers.push({ name: 'main', image: 'x' })), ['spec.containers[1].name: Duplicate value: "main"']],
    [
      'init container names collide with regular ones',
      basePod((o) => (o.spec.initContainers = [{ name: 'main', image: 'x' }])),
      ['spec.initContainers[0].name: Duplicate value: "main"'],
    ],
    [
      'container name must be a DNS label',
      basePod((o) => (o.spec.containers[0].name = 'Main')),
      [`${c0}.name: Invalid value: "Main": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`],
    ],
    ['image required', basePod((o) => (o.spec.containers[0].image = '')), [`${c0}.image: Required value`]],
    ['image whitespace', basePod((o) => (o.spec.containers[0].image = 'busybox ')), [`${c0}.image: Invalid value: "busybox ": must not have leading or trailing whitespace`]],
    ['port out of range', basePod((o) => (o.spec.containers[0].ports = [{ containerPort: 70000 }])), [`${c0}.ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive`]],
    ['port required', basePod((o) => (o.spec.containers[0].ports = [{ name: 'http' }])), [`${c0}.ports[0].containerPort: Required value`]],
    [
      'unknown protocol',
      basePod((o) => (o.spec.containers[0].ports = [{ containerPort: 80, protocol: 'HTTP' }])),
      [`${c0}.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`],
    ],
    [
      'duplicate port names',
      basePod((o) => (o.spec.containers[0].ports = [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }])),
      [`${c0}.ports[1].name: Duplicate value: "http"`],
    ],
    [
      'bad port name',
      basePod((o) => (o.spec.containers[0].ports = [{ name: 'HTTP_PORT', containerPort: 80 }])),
      [
        `${c0}.ports[0].name: Invalid value: "HTTP_PORT": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`,
        `${c0}.ports[0].name: Invalid value: "HTTP_PORT": must contain at least one letter (a-z)`,
      ],
    ],
    [
      'host port conflicts',
      basePod((o) => o.spec.containers.push({ name: 'b', image: 'x', ports: [{ containerPort: 8080, hostPort: 80 }] }, { name: 'c', image: 'x', ports: [{ containerPort: 8081, hostPort: 80 }] })),
      ['spec.containers[2].ports[0].hostPort: Duplicate value: "TCP//80"'],
    ],
    ['env name with =', basePod((o) => (o.spec.containers[0].env = [{ name: 'A=B', value: '1' }])), [`${c0}.env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`]],
    ['env name required', basePod((o) => (o.spec.containers[0].env = [{ value: '1' }])), [`${c0}.env[0].name: Required value`]],
    ['env valueFrom with value', basePod((o) => (o.spec.containers[0].env = [{ name: 'N', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])), [`${c0}.env[0].valueFrom: Invalid value: "": may not be specified when \`value\` is not empty`]],
    ['a volume without a source is an emptyDir', basePod((o) => (o.spec.volumes = [{ name: 'scratch' }])), []],
    ['two volume sources', basePod((o) => (o.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }])), ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type']],
    ['hostPath path required', basePod((o) => (o.spec.volumes = [{ name: 'v', hostPath: { path: '' } }])), ['spec.volumes[0].hostPath.path: Required value']],
    ['hostPath path backsteps', basePod((o) => (o.spec.volumes = [{ name: 'v', hostPath: { path: '/var/../etc' } }])), ['spec.volumes[0].hostPath.path: Invalid value: "/var/../etc": must not contain \'..\'']],
    [
      'hostPath type',
      basePod((o) => (o.spec.volumes = [{ name: 'v', hostPath: { path: '/x', type: 'Dir' } }])),
      ['spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"'],
    ],
    ['duplicate volumes', basePod((o) => (o.spec.volumes = [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }])), ['spec.volumes[1].name: Duplicate value: "v"']],
    ['mount of an unknown volume', basePod((o) => (o.spec.containers[0].volumeMounts = [{ name: 'nope', mountPath: '/x' }])), [`${c0}.volumeMounts[0].name: Not found: "nope"`]],
    [
      'mountPath required and unique',
      basePod((o) => {
        o.spec.volumes = [{ name: 'v', emptyDir: {} }];
        o.spec.containers[0].volumeMounts = [{ name: 'v', mountPath: '' }, { name: 'v', mountPath: '/a' }, { name: 'v', mountPath: '/a' }];
      }),
      [`${c0}.volumeMounts[0].mountPath: Required value`, `${c0}.volumeMounts[2].mountPath: Invalid value: "/a": must be unique`],
    ],
    [
      'requests above limits',
      basePod((o) => (o.spec.containers[0].resources = { limits: { cpu: '1' }, requests: { cpu: '2000m' } })),
      [`${c0}.resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`],
    ],
    ['requests equal to limits in other units', basePod((o) => (o.spec.containers[0].resources = { limits: { memory: '1Gi' }, requests: { memory: '1024Mi' } })), []],
    [
      'unparsable quantity',
      basePod((o) => (o.spec.containers[0].resources = { requests: { cpu: 'lots' } })),
      [`${c0}.resources.requests[cpu]: Invalid value: "lots": ${QUANTITY_FORMAT_ERROR}`],
    ],
    [
      'negative quantity (requests copied from limits on pods)',
      basePod((o) => (o.spec.containers[0].resources = { limits: { memory: '-1Mi' } })),
      [`${c0}.resources.limits[memory]: Invalid value: "-1Mi": must be greater than or equal to 0`, `${c0}.resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0`],
    ],
    [
      'unknown resource name',
      basePod((o) => (o.spec.containers[0].resources = { limits: { gpu: '1' } })),
      [
        `${c0}.resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified`,
        `${c0}.resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers`,
        `${c0}.resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified`,
        `${c0}.resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers`,
      ],
    ],
    [
      'extended resources must be whole and not overcommitted',
      basePod((o) => (o.spec.containers[0].resources = { limits: { 'example.com/gpu': '2' }, requests: { 'example.com/gpu': '1' } })),
      [`${c0}.resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2`],
    ],
    [
      'restartPolicy',
      basePod((o) => (o.spec.restartPolicy = 'Sometimes')),
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'dnsPolicy',
      basePod((o) => (o.spec.dnsPolicy = 'Google')),
      ['spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
    ],
    ['dnsPolicy None needs a dnsConfig', basePod((o) => (o.spec.dnsPolicy = 'None')), ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']],
    ['nodeSelector values are label values', basePod((o) => (o.spec.nodeSelector = { disk: 'fast ssd' })), [`spec.nodeSelector: Invalid value: "fast ssd": ${LABEL_VALUE_MSG}`]],
    ['runAsUser range', basePod((o) => (o.spec.securityContext = { runAsUser: -1 })), ['spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, inclusive']],
    [
      'container runAsUser range',
      basePod((o) => (o.spec.containers[0].securityContext = { runAsUser: 4294967296 })),
      [`${c0}.securityContext.runAsUser: Invalid value: 4294967296: must be between 0 and 4294967295, inclusive`],
    ],
    ['activeDeadlineSeconds must be positive', basePod((o) => (o.spec.activeDeadlineSeconds = 0)), ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']],
    ['priorityClassName', basePod((o) => (o.spec.priorityClassName = 'High')), [`spec.priorityClassName: Invalid value: "High": ${SUBDOMAIN_MSG}`]],
    ['preemptionPolicy', basePod((o) => (o.spec.preemptionPolicy = 'Sometimes')), ['spec.preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"']],
    ['nodeName', basePod((o) => (o.spec.nodeName = 'Node_1')), [`spec.nodeName: Invalid value: "Node_1": ${SUBDOMAIN_MSG}`]],
    ['ephemeral containers on create', basePod((o) => (o.spec.ephemeralContainers = [{ name: 'd', image: 'busybox' }])), ['spec.ephemeralContainers: Forbidden: cannot be set on create']],
    [
      'hostNetwork requires hostPort == containerPort (defaulted when absent)',
      basePod((o) => {
        o.spec.hostNetwork = true;
        o.spec.containers[0].ports = [{ containerPort: 80 }, { containerPort: 81, hostPort: 9000 }];
      }),
      [`${c0}.ports[1].hostPort: Invalid value: 9000: must match \`containerPort\` when \`hostNetwork\` is true`],
    ],
  ],
  v.validatePodCreate,
);

// ---- tolerations and node affinity ---------------------------------------------------------

const withTolerations = (tolerations: Obj[]): KObject => basePod((o) => (o.spec.tolerations = tolerations));

runTable(
  'Tolerations',
  [
    ['Exists with an empty key tolerates everything', withTolerations([{ operator: 'Exists' }]), []],
    ['Exists with an effect', withTolerations([{ operator: 'Exists', effect: 'NoSchedule' }]), []],
    ['Equal with key and value', withTolerations([{ key: 'app', operator: 'Equal', value: 'x', effect: 'NoExecute', tolerationSeconds: 30 }]), []],
    [
      'an empty key needs Exists',
      withTolerations([{ operator: 'Equal', value: 'x' }]),
      ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
    ],
    [
      'an empty key with the default operator',
      withTolerations([{ effect: 'NoSchedule' }]),
      ['spec.tolerations[0].operator: Invalid value: "": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
    ],
    ['Exists takes no value', withTolerations([{ key: 'a', operator: 'Exists', value: 'x' }]), ['spec.tolerations[0].operator: Invalid value: "x": value must be empty when `operator` is \'Exists\'']],
    [
      'tolerationSeconds only with NoExecute',
      withTolerations([{ key: 'a', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 10 }]),
      ["spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"],
    ],
    ['unknown operator', withTolerations([{ key: 'a', operator: 'Lt', value: '3' }]), ['spec.tolerations[0].operator: Unsupported value: "Lt": supported values: "Equal", "Exists"']],
    [
      'unknown effect',
      withTolerations([{ key: 'a', operator: 'Exists', effect: 'NoEntry' }]),
      ['spec.tolerations[0].effect: Unsupported value: "NoEntry": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
    ],
    ['bad key', withTolerations([{ key: 'a b', operator: 'Exists' }]), [`spec.tolerations[0].key: Invalid value: "a b": ${NAME_PART_MSG}`]],
    ['bad value', withTolerations([{ key: 'a', value: 'x y' }]), [`spec.tolerations[0].operator: Invalid value: "x y": ${LABEL_VALUE_MSG}`]],
  ],
  v.validatePodCreate,
);

const required = (terms: Obj[]): KObject =>
  basePod((o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } }));
const na = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';

runTable(
  'Node affinity',
  [
    ['In / Gt / Exists', required([{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }, { key: 'b', operator: 'Gt', values: ['3'] }, { key: 'c', operator: 'Exists' }] }]), []],
    ['matchFields on metadata.name', required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }]), []],
    ['an empty term is allowed', required([{}]), []],
    ['no terms', required([]), [`${na}: Required value: must have at least one node selector term`]],
    ['In without values', required([{ matchExpressions: [{ key: 'a', operator: 'In' }] }]), [`${na}[0].matchExpressions[0].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`]],
    ['Gt with two values', required([{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1', '2'] }] }]), [`${na}[0].matchExpressions[0].values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`]],
    ['DoesNotExist with values', required([{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['1'] }] }]), [`${na}[0].matchExpressions[0].values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`]],
    ['unknown operator', required([{ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['1'] }] }]), [`${na}[0].matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator`]],
    ['bad value', required([{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x y'] }] }]), [`${na}[0].matchExpressions[0].values[0]: Invalid value: "x y": ${LABEL_VALUE_MSG}`]],
    ['matchFields other key', required([{ matchFields: [{ key: 'metadata.labels', operator: 'In', values: ['x'] }] }]), [`${na}[0].matchFields[0].key: Invalid value: "metadata.labels": not a valid field selector key`]],
    ['matchFields Exists', required([{ matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }]), [`${na}[0].matchFields[0].operator: Invalid value: "Exists": not a valid selector operator`]],
    [
      'matchFields two values',
      required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] }]),
      [`${na}[0].matchFields[0].values: Required value: must be only one value when \`operator\` is 'In' or 'NotIn' for node field selector`],
    ],
    [
      'preferred weight and lenient values',
      basePod(
        (o) =>
          (o.spec.affinity = {
            nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'a', operator: 'In', values: ['x y'] }] } }] },
          }),
      ),
      ['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100'],
    ],
    [
      'pod anti-affinity needs a topologyKey',
      basePod((o) => (o.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } } }] } })),
      [
        'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
        `spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": name part must be non-empty`,
        `spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: "": ${NAME_PART_MSG}`,
      ],
    ],
  ],
  v.validatePodCreate,
);

// ---- pod updates ---------------------------------------------------------------------------

const POD_UPDATE_PREFIX =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n';

test('Pod update: what may change', () => {
  const old = basePod((o) => (o.spec.tolerations = [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }]));
  const update = (mutate: Mutate): string[] => {
    const next = structuredClone(old) as Obj;
    mutate(next);
    return lines(v.validatePodUpdate(next, old));
  };
  assert.deepEqual(update((o) => (o.spec.containers[0].image = 'busybox:2')), []);
  assert.deepEqual(update((o) => o.spec.tolerations.push({ key: 'b', operator: 'Exists' })), []);
  assert.deepEqual(update((o) => (o.spec.tolerations[0].tolerationSeconds = 20)), []);
  assert.deepEqual(update((o) => (o.spec.activeDeadlineSeconds = 100)), []);
  assert.deepEqual(update((o) => (o.metadata.labels = { a: 'b' })), []);
  assert.deepEqual(update((o) => (o.spec.tolerations = [])), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
  assert.deepEqual(update((o) => o.spec.containers.push({ ...o.spec.containers[0], name: 'two' })), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
  const changed = update((o) => (o.spec.restartPolicy = 'Never'));
  assert.equal(changed.length, 1);
  assert.ok(changed[0]!.startsWith(POD_UPDATE_PREFIX), changed[0]);
  assert.match(changed[0]!, /- \tRestartPolicy: "Always",\n\+ \tRestartPolicy: "Never",/);
});

test('Pod update: activeDeadlineSeconds may only shrink', () => {
  const old = basePod((o) => (o.spec.activeDeadlineSeconds = 100));
  const next = structuredClone(old) as Obj;
  next.spec.activeDeadlineSeconds = 200;
  assert.deepEqual(lines(v.validatePodUpdate(next, old)), ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']);
  delete next.spec.activeDeadlineSeconds;
  assert.deepEqual(lines(v.validatePodUpdate(next, old)), ['spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value']);
});

test('Pod status update: the node binding cannot move', () => {
  const old = basePod((o) => (o.spec.nodeName = 'n1'));
  const next = structuredClone(old) as Obj;
  assert.deepEqual(lines(v.validatePodStatusUpdate(next, old)), []);
  next.spec.nodeName = 'n2';
  assert.deepEqual(lines(v.validatePodStatusUpdate(next, old)), ['status.nodeName: Forbidden: may not be changed directly']);
});

// ---- other kinds ---------------------------------------------------------------------------

const node = (spec: Obj, name = 'node-1'): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, resourceVersion: '1' }, spec });

runTable(
  'Node create',
  [
    ['taints', node({ taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }, { key: 'b', value: 'x', effect: 'PreferNoSchedule' }] }), []],
    ['bad name', node({}, 'Node_1'), [`metadata.name: Invalid value: "Node_1": ${SUBDOMAIN_MSG}`]],
    ['effect required', node({ taints: [{ key: 'a' }] }), ['metadata.taints[0].effect: Required value']],
    [
      'unknown effect',
      node({ taints: [{ key: 'a', effect: 'Sometimes' }] }),
      ['metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
    ],
    ['bad key', node({ taints: [{ key: '', effect: 'NoSchedule' }] }), ['metadata.taints[0].key: Invalid value: "": name part must be non-empty', `metadata.taints[0].key: Invalid value: "": ${NAME_PART_MSG}`]],
    ['bad value', node({ taints: [{ key: 'a', value: 'x y', effect: 'NoSchedule' }] }), [`metadata.taints[0].value: Invalid value: "x y": ${LABEL_VALUE_MSG}`]],
    [
      'duplicate key and effect',
      node({ taints: [{ key: 'a', value: '1', effect: 'NoSchedule' }, { key: 'a', value: '2', effect: 'NoSchedule' }] }),
      ['metadata.taints[1]: Duplicate value: core.Taint{Key:"a", Value:"2", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair'],
    ],
    ['pod CIDRs', node({ podCIDRs: ['10.244.0.0/24', 'fd00::/64'] }), []],
    ['bad pod CIDR', node({ podCIDR: '10.244.0.0/33', podCIDRs: ['10.244.0.0/33'] }), ['spec.podCIDRs[0]: Invalid value: "10.244.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']],
    ['two CIDRs of one family', node({ podCIDRs: ['10.0.0.0/24', '10.1.0.0/24'] }), ['spec.podCIDRs: Invalid value: ["10.0.0.0/24","10.1.0.0/24"]: may specify no more than one CIDR for each IP family']],
  ],
  v.validateNodeCreate,
);

test('Node update: podCIDRs and providerID are set once', () => {
  const old = node({ podCIDRs: ['10.0.0.0/24'], providerID: 'p1' });
  assert.deepEqual(lines(v.validateNodeUpdate(node({ podCIDRs: ['10.0.0.0/24'], providerID: 'p1', unschedulable: true }), old)), []);
  assert.deepEqual(lines(v.validateNodeUpdate(node({ podCIDRs: ['10.9.0.0/24'], providerID: 'p2' }), old)), [
    'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
  ]);
  assert.deepEqual(lines(v.validateNodeUpdate(node({ podCIDRs: ['10.0.0.0/24'] }), node({}))), []);
});

test('Namespace', () => {
  const ns = (name: string, finalizers?: string[]): KObject => {
    const obj: Obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, resourceVersion: '1' }, spec: finalizers ? { finalizers } : {} };
    defaultNamespace(obj);
    prepareNamespaceForCreate(obj);
    return obj;
  };
  assert.deepEqual(lines(v.validateNamespaceCreate(ns('logging'))), []);
  assert.deepEqual(lines(v.validateNamespaceCreate(ns('a.b'))), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(lines(v.validateNamespaceCreate(ns('x', ['cleanup']))), ['spec.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified']);
  assert.deepEqual(lines(v.validateNamespaceFinalizeUpdate(ns('x', ['cleanup']), ns('x'))), [
    'spec.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  const terminating = ns('x') as Obj;
  terminating.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
  assert.deepEqual(lines(v.validateNamespaceStatusUpdate(terminating, terminating)), [
    'status.Phase: Invalid value: "Active": may only be \'Terminating\' if `deletionTimestamp` is not empty',
  ]);
});

test('ControllerRevision', () => {
  const cr = (data: unknown, revision: number): KObject => ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'fluentd-5d8f7c9b6', namespace: 'logging', resourceVersion: '1' },
    data,
    revision,
  });
  assert.deepEqual(lines(v.validateControllerRevisionCreate(cr({ spec: {} }, 1))), []);
  assert.deepEqual(lines(v.validateControllerRevisionCreate(cr(undefined, -1))), ['data: Required value: data is mandatory', 'revision: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(lines(v.validateControllerRevisionUpdate(cr({ spec: {} }, 7), cr({ spec: {} }, 1))), [], 'revision may change');
  const changed = lines(v.validateControllerRevisionUpdate(cr({ a: 1 }, 1), cr({ spec: {} }, 1)));
  assert.deepEqual(changed, ['data: Invalid value: runtime.RawExtension{Raw:[]uint8{0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d}, Object:runtime.Object(nil)}: field is immutable']);
});

test('Event (core/v1 rules are lenient)', () => {
  const ev = (ns: string, involvedNs: string | undefined, extra: Obj = {}): KObject => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'x.123', namespace: ns },
    involvedObject: { kind: 'Pod', name: 'p', namespace: involvedNs },
    reason: 'Started',
    type: 'Whatever',
    ...extra,
  });
  assert.deepEqual(lines(v.validateEventCreate(ev('logging', 'logging'))), []);
  assert.deepEqual(lines(v.validateEventCreate(ev('default', undefined))), [], 'events about cluster-scoped objects live in default');
  assert.deepEqual(lines(v.validateEventCreate(ev('logging', 'other'))), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  assert.deepEqual(lines(v.validateEventCreate(ev('logging', 'logging', { eventTime: '2024-01-01T00:00:00.000000Z' }))), [
    'reportingController: Required value',
    `reportingController: Invalid value: "": name part must be non-empty`,
    `reportingController: Invalid value: "": ${NAME_PART_MSG}`,
    'reportingInstance: Required value',
    'action: Required value',
  ]);
});

test('Lease', () => {
  const lease = (spec: Obj): KObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1', namespace: 'kube-node-lease', resourceVersion: '1' }, spec });
  assert.deepEqual(lines(v.validateLeaseCreate(lease({ holderIdentity: 'node-1', leaseDurationSeconds: 40 }))), []);
  assert.deepEqual(lines(v.validateLeaseCreate(lease({ leaseDurationSeconds: 0, leaseTransitions: -1 }))), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
  ]);
  assert.deepEqual(lines(v.validateLeaseUpdate(lease({ preferredHolder: 'a' }), lease({}))), ['spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined']);
});

test('PriorityClass', () => {
  const pc = (name: string, value: number, extra: Obj = {}): KObject => {
    const obj: Obj = { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name, resourceVersion: '1' }, value, ...extra };
    defaultPriorityClass(obj);
    return obj;
  };
  assert.deepEqual(lines(v.validatePriorityClassCreate(pc('high', 1_000_000_000))), []);
  assert.deepEqual(lines(v.validatePriorityClassCreate(pc('high', 1_000_000_001))), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
  assert.deepEqual(lines(v.validatePriorityClassCreate(pc('system-node-critical', 2_000_001_000))), []);
  assert.deepEqual(lines(v.validatePriorityClassCreate(pc('system-foo', 5))), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-foo is not a known system priority class",
  ]);
  assert.deepEqual(lines(v.validatePriorityClassCreate(pc('system-cluster-critical', 5))), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-cluster-critical PriorityClass must be 2000000000",
  ]);
  assert.deepEqual(lines(v.validatePriorityClassCreate(pc('x', 1, { preemptionPolicy: 'Sometimes' }))), [
    'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
  ]);
  assert.deepEqual(lines(v.validatePriorityClassUpdate(pc('x', 2, { preemptionPolicy: 'Never' }), pc('x', 1))), [
    'value: Forbidden: may not be changed in an update.',
    'preemptionPolicy: Invalid value: "Never": field is immutable',
  ]);
  assert.deepEqual(lines(v.validatePriorityClassUpdate(pc('x', 1, { description: 'new' }), pc('x', 1))), []);
});
