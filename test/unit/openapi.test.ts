import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createOpenApi, generatedSchemas, type OpenApiResource } from '../../src/apiserver/openapi.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The schemas are a build artefact (loaded on first use); generate them if this checkout has not yet.
if (!existsSync(path.join(repoRoot, 'src/generated/openapi-schemas.json'))) {
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/gen-openapi.mjs')], { stdio: 'ignore' });
}

type Json = { [key: string]: any };

interface TestResource extends OpenApiResource {
  shortNames: string[];
}

const RESOURCES: TestResource[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, subresources: ['status'], shortNames: ['ns'] },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, subresources: ['status'], shortNames: ['no'] },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    subresources: ['status', 'binding', 'eviction', 'log'],
    shortNames: ['po'],
  },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, subresources: [], shortNames: ['ev'] },
  { group: '', version: 'v1', kind: 'Binding', plural: 'bindings', namespaced: true, subresources: [], shortNames: [] },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, subresources: ['status'], shortNames: ['ds'] },
  { group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true, subresources: [], shortNames: [] },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true, subresources: [], shortNames: [] },
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, subresources: [], shortNames: ['pc'] },
];

const openApi = createOpenApi(RESOURCES);
const doc = (gv: string) => {
  const d = openApi.v3Doc(gv) as Json | undefined;
  assert.ok(d, `no document for ${gv}`);
  return d;
};
const schemaOf = (gv: string, name: string): Json => {
  const s = doc(gv).components.schemas[name];
  assert.ok(s, `${name} missing from ${gv}`);
  return s;
};
const REF = '#/components/schemas/';
const GV_PATHS = ['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/scheduling.k8s.io/v1'];

// ---- documents ------------------------------------------------------------------------------

test('generatedSchemas() exposes the build output: named schemas with GVK tags', () => {
  const { source, schemas } = generatedSchemas();
  assert.match(source, /^kubernetes-models@\d+\.\d+\.\d+$/);
  assert.ok(schemas['io.k8s.api.apps.v1.DaemonSet']);
  assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.equal(generatedSchemas(), generatedSchemas(), 'read once');
  const kinds = Object.values(schemas).flatMap((s) => (s['x-kubernetes-group-version-kind'] as Json[] | undefined) ?? []);
  for (const kind of ['Namespace', 'Node', 'Pod', 'Event', 'Binding', 'Eviction', 'DaemonSet', 'ControllerRevision', 'Lease', 'PriorityClass', 'Status']) {
    assert.ok(kinds.some((g) => g.kind === kind), kind);
  }
  for (const list of ['NamespaceList', 'NodeList', 'PodList', 'EventList', 'DaemonSetList', 'ControllerRevisionList', 'LeaseList', 'PriorityClassList']) {
    assert.ok(kinds.some((g) => g.kind === list), list);
  }
});

test('/openapi/v2 is an empty body (a valid, empty protobuf document)', () => {
  const body = openApi.v2Body();
  assert.ok(Buffer.isBuffer(body));
  assert.equal(body.length, 0);
});

test('the v3 index lists exactly the group-versions that have resources, with hashed URLs', () => {
  const index = openApi.v3Index() as Json;
  assert.deepEqual(Object.keys(index.paths).sort(), [...GV_PATHS].sort());
  for (const gv of GV_PATHS) {
    assert.match(index.paths[gv].serverRelativeURL, new RegExp(`^/openapi/v3/${gv.replace(/\./g, '\\.')}\\?hash=[0-9A-F]{128}$`));
  }
});

test('index hashes are stable across instances and change with the document', () => {
  const urls = (resources: OpenApiResource[]) => (createOpenApi(resources).v3Index() as Json).paths;
  assert.deepEqual(urls(RESOURCES), urls(RESOURCES));
  const withoutRevisions = RESOURCES.filter((r) => r.kind !== 'ControllerRevision');
  assert.notEqual(urls(withoutRevisions)['apis/apps/v1'].serverRelativeURL, urls(RESOURCES)['apis/apps/v1'].serverRelativeURL);
  assert.equal(urls(withoutRevisions)['api/v1'].serverRelativeURL, urls(RESOURCES)['api/v1'].serverRelativeURL);
});

test('v3Doc answers only served group-versions and tolerates surrounding slashes', () => {
  const cases: [string, boolean][] = [
    ['api/v1', true],
    ['/apis/apps/v1', true],
    ['apis/apps/v1/', true],
    ['apis/apps/v2', false],
    ['apis/policy/v1', false],
    ['api', false],
    ['', false],
  ];
  for (const [gv, served] of cases) assert.equal(openApi.v3Doc(gv) !== undefined, served, gv);
  assert.equal(openApi.v3Doc('api/v1'), openApi.v3Doc('/api/v1/'), 'documents are built once and cached');
});

test('every document is OpenAPI 3 with info, paths and components', () => {
  for (const gv of GV_PATHS) {
    const d = doc(gv);
    assert.equal(d.openapi, '3.0.0');
    assert.equal(typeof d.info.title, 'string');
    assert.ok(Object.keys(d.paths).length > 0, gv);
    assert.ok(Object.keys(d.components.schemas).length > 0, gv);
  }
});

test('operations carry action and GVK on every path explain and validation look at', () => {
  const cases: [string, string, string, string, string][] = [
    // [gv, path, method, action, kind]
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets', 'get', 'list', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets', 'post', 'post', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets', 'delete', 'deletecollection', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/daemonsets', 'get', 'list', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}', 'get', 'get', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}', 'put', 'put', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}', 'patch', 'patch', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}', 'delete', 'delete', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}/status', 'patch', 'patch', 'DaemonSet'],
    ['apis/apps/v1', '/apis/apps/v1/namespaces/{namespace}/controllerrevisions/{name}', 'get', 'get', 'ControllerRevision'],
    ['api/v1', '/api/v1/namespaces', 'post', 'post', 'Namespace'],
    ['api/v1', '/api/v1/namespaces/{name}', 'patch', 'patch', 'Namespace'],
    ['api/v1', '/api/v1/nodes/{name}', 'patch', 'patch', 'Node'],
    ['api/v1', '/api/v1/nodes/{name}/status', 'get', 'get', 'Node'],
    ['api/v1', '/api/v1/pods', 'get', 'list', 'Pod'],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}', 'get', 'get', 'Pod'],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/log', 'get', 'get', 'Pod'],
    ['api/v1', '/api/v1/namespaces/{namespace}/pods/{name}/binding', 'post', 'post', 'Binding'],
    ['api/v1', '/api/v1/namespaces/{namespace}/events/{name}', 'patch', 'patch', 'Event'],
    ['api/v1', '/api/v1/namespaces/{namespace}/bindings', 'post', 'post', 'Binding'],
    ['apis/coordination.k8s.io/v1', '/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}', 'put', 'put', 'Lease'],
    ['apis/scheduling.k8s.io/v1', '/apis/scheduling.k8s.io/v1/priorityclasses/{name}', 'get', 'get', 'PriorityClass'],
  ];
  for (const [gv, p, method, action, kind] of cases) {
    const op = doc(gv).paths[p]?.[method];
    assert.ok(op, `${method} ${p}`);
    assert.equal(op['x-kubernetes-action'], action, `${method} ${p}`);
    const group = gv.startsWith('apis/') ? gv.split('/')[1] : '';
    assert.deepEqual(op['x-kubernetes-group-version-kind'], { group, kind, version: 'v1' }, `${method} ${p}`);
  }
});

test('the eviction subresource is tagged with policy/v1 Eviction and its schema is in the core document', () => {
  const op = doc('api/v1').paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post;
  assert.deepEqual(op['x-kubernetes-group-version-kind'], { group: 'policy', kind: 'Eviction', version: 'v1' });
  assert.equal(op.requestBody.content['*/*'].schema.$ref, `${REF}io.k8s.api.policy.v1.Eviction`);
  assert.ok(schemaOf('api/v1', 'io.k8s.api.policy.v1.Eviction'));
});

test('a kind without a List type (Binding) is create-only, as upstream', () => {
  const paths = doc('api/v1').paths;
  assert.deepEqual(Object.keys(paths['/api/v1/namespaces/{namespace}/bindings']).sort(), ['parameters', 'post']);
  assert.equal(paths['/api/v1/namespaces/{namespace}/bindings/{name}'], undefined);
  assert.equal(paths['/api/v1/bindings'], undefined);
});

test('every PATCH, PUT and POST takes fieldValidation (and PATCH force) as an operation-level query parameter', () => {
  let patches = 0;
  for (const gv of GV_PATHS) {
    for (const [p, item] of Object.entries<Json>(doc(gv).paths)) {
      for (const method of ['patch', 'put', 'post']) {
        const op = item[method];
        if (!op) continue;
        const names = (op.parameters ?? []).filter((q: Json) => q.in === 'query').map((q: Json) => q.name);
        for (const expected of ['fieldValidation', 'fieldManager', 'dryRun']) {
          assert.ok(names.includes(expected), `${method} ${p} lacks ${expected}`);
        }
        if (method === 'patch') {
          patches++;
          assert.ok(names.includes('force'), `${p} patch lacks force`);
        }
      }
    }
  }
  assert.equal(patches, 12, 'item + status PATCH of every listable kind');
});

test('PATCH bodies leave strategic merge out so kubectl uses its built-in patch metadata', () => {
  const op = doc('apis/apps/v1').paths['/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}'].patch;
  assert.deepEqual(Object.keys(op.requestBody.content).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
  ]);
  assert.equal(op.requestBody.content['application/merge-patch+json'].schema.$ref, `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.Patch`);
});

test('path parameters: namespace and name where the path has them', () => {
  for (const gv of GV_PATHS) {
    for (const [p, item] of Object.entries<Json>(doc(gv).paths)) {
      const declared = (item.parameters ?? []).filter((q: Json) => q.in === 'path').map((q: Json) => q.name).sort();
      const inPath = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(declared, inPath, p);
    }
  }
});

test('every $ref in every document resolves inside that document', () => {
  for (const gv of GV_PATHS) {
    const d = doc(gv);
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (v && typeof v === 'object') {
        for (const [k, c] of Object.entries(v)) {
          if (k === '$ref') refs.add(c as string);
          else walk(c);
        }
      }
    };
    walk(d);
    assert.ok(refs.size > 0);
    for (const ref of refs) {
      assert.ok(ref.startsWith(REF), ref);
      assert.ok(d.components.schemas[ref.slice(REF.length)], `${gv}: unresolved ${ref}`);
    }
  }
});

test('documents contain only the schemas reachable from their own kinds', () => {
  const cases: [string, string, boolean][] = [
    ['apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSet', true],
    ['apis/apps/v1', 'io.k8s.api.core.v1.PodTemplateSpec', true],
    ['apis/apps/v1', 'io.k8s.api.core.v1.Pod', false],
    ['apis/apps/v1', 'io.k8s.api.core.v1.Node', false],
    ['api/v1', 'io.k8s.api.apps.v1.DaemonSet', false],
    ['api/v1', 'io.k8s.api.core.v1.NodeList', true],
    ['api/v1', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status', true],
    ['api/v1', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', true],
    ['apis/coordination.k8s.io/v1', 'io.k8s.api.coordination.v1.Lease', true],
    ['apis/coordination.k8s.io/v1', 'io.k8s.api.core.v1.PodSpec', false],
    ['apis/scheduling.k8s.io/v1', 'io.k8s.api.scheduling.v1.PriorityClassList', true],
  ];
  for (const [gv, name, present] of cases) {
    assert.equal(name in doc(gv).components.schemas, present, `${name} in ${gv}`);
  }
});

test('top-level kinds carry a GVK list; nested types carry none', () => {
  const cases: [string, string, object[] | undefined][] = [
    ['apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSet', [{ group: 'apps', kind: 'DaemonSet', version: 'v1' }]],
    ['apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSetList', [{ group: 'apps', kind: 'DaemonSetList', version: 'v1' }]],
    ['apis/apps/v1', 'io.k8s.api.apps.v1.ControllerRevision', [{ group: 'apps', kind: 'ControllerRevision', version: 'v1' }]],
    ['api/v1', 'io.k8s.api.core.v1.Pod', [{ group: '', kind: 'Pod', version: 'v1' }]],
    ['api/v1', 'io.k8s.api.core.v1.Namespace', [{ group: '', kind: 'Namespace', version: 'v1' }]],
    ['api/v1', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status', [{ group: '', kind: 'Status', version: 'v1' }]],
    ['apis/coordination.k8s.io/v1', 'io.k8s.api.coordination.v1.Lease', [{ group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' }]],
    ['apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSetSpec', undefined],
    ['api/v1', 'io.k8s.api.core.v1.PodSpec', undefined],
    ['api/v1', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', undefined],
  ];
  for (const [gv, name, gvks] of cases) assert.deepEqual(schemaOf(gv, name)['x-kubernetes-group-version-kind'], gvks, name);
  const deleteOptions = schemaOf('apis/apps/v1', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  assert.ok(deleteOptions['x-kubernetes-group-version-kind'].some((g: Json) => g.group === 'apps' && g.kind === 'DeleteOptions'));
});

test('field schemas: types, formats, refs and descriptions as upstream shapes them', () => {
  const APPS = 'apis/apps/v1';
  const CORE = 'api/v1';
  const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
  const cases: [string, string, string, Json][] = [
    [APPS, 'io.k8s.api.apps.v1.DaemonSetSpec', 'minReadySeconds', { type: 'integer', format: 'int32' }],
    [APPS, 'io.k8s.api.apps.v1.DaemonSetSpec', 'revisionHistoryLimit', { type: 'integer', format: 'int32' }],
    [APPS, 'io.k8s.api.apps.v1.DaemonSetStatus', 'observedGeneration', { type: 'integer', format: 'int64' }],
    [APPS, 'io.k8s.api.apps.v1.ControllerRevision', 'revision', { type: 'integer', format: 'int64' }],
    [APPS, 'io.k8s.api.apps.v1.ControllerRevision', 'data', { allOf: [{ $ref: 'io.k8s.apimachinery.pkg.runtime.RawExtension' }] }],
    [APPS, 'io.k8s.api.apps.v1.DaemonSetSpec', 'selector', { allOf: [{ $ref: `${META}.LabelSelector` }] }],
    [APPS, 'io.k8s.api.apps.v1.DaemonSetSpec', 'template', { allOf: [{ $ref: 'io.k8s.api.core.v1.PodTemplateSpec' }] }],
    [APPS, 'io.k8s.api.apps.v1.DaemonSetUpdateStrategy', 'type', { type: 'string', enum: ['OnDelete', 'RollingUpdate'] }],
    [APPS, 'io.k8s.api.apps.v1.DaemonSet', 'apiVersion', { type: 'string' }],
    [APPS, 'io.k8s.api.apps.v1.DaemonSet', 'kind', { type: 'string' }],
    [CORE, `${META}.ObjectMeta`, 'generation', { type: 'integer', format: 'int64' }],
    [CORE, `${META}.ObjectMeta`, 'labels', { type: 'object', additionalProperties: { type: 'string' } }],
    [CORE, `${META}.ObjectMeta`, 'finalizers', { type: 'array', items: { type: 'string' } }],
    [CORE, `${META}.ObjectMeta`, 'creationTimestamp', { allOf: [{ $ref: `${META}.Time` }] }],
    [CORE, 'io.k8s.api.core.v1.PodSpec', 'containers', { type: 'array', items: { $ref: 'io.k8s.api.core.v1.Container' } }],
    [CORE, 'io.k8s.api.core.v1.PodSpec', 'terminationGracePeriodSeconds', { type: 'integer', format: 'int64' }],
    [CORE, 'io.k8s.api.core.v1.PodSpec', 'hostNetwork', { type: 'boolean' }],
    [CORE, 'io.k8s.api.core.v1.PodSecurityContext', 'supplementalGroups', { type: 'array', items: { type: 'integer', format: 'int64' } }],
    [CORE, 'io.k8s.api.core.v1.ContainerPort', 'protocol', { type: 'string', enum: ['SCTP', 'TCP', 'UDP'] }],
    [CORE, 'io.k8s.api.core.v1.ResourceRequirements', 'limits', { type: 'object', additionalProperties: { $ref: 'io.k8s.apimachinery.pkg.api.resource.Quantity' } }],
    [CORE, 'io.k8s.api.core.v1.Taint', 'effect', { type: 'string', enum: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] }],
    [CORE, 'io.k8s.api.core.v1.Event', 'count', { type: 'integer', format: 'int32' }],
  ];
  const refsExpanded = (v: any): any =>
    Array.isArray(v)
      ? v.map(refsExpanded)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, c]) => [k, k === '$ref' ? REF + c : refsExpanded(c)]))
        : v;
  for (const [gv, name, field, expected] of cases) {
    const { description, ...shape } = schemaOf(gv, name).properties[field];
    assert.deepEqual(shape, refsExpanded(expected), `${name}.${field}`);
    assert.equal(typeof description, 'string', `${name}.${field} has a description`);
  }
});

test('scalar named schemas: IntOrString, Quantity, Time', () => {
  const intOrString = schemaOf('apis/apps/v1', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  assert.equal(intOrString.format, 'int-or-string');
  assert.equal(intOrString['x-kubernetes-int-or-string'], true);
  assert.deepEqual(intOrString.oneOf, [{ type: 'integer' }, { type: 'string' }]);
  assert.equal(intOrString.type, undefined, 'no type, so explain prints <IntOrString>');

  const quantity = schemaOf('api/v1', 'io.k8s.apimachinery.pkg.api.resource.Quantity');
  assert.deepEqual(quantity.oneOf, [{ type: 'string' }, { type: 'number' }]);
  assert.equal(quantity.type, undefined);

  const time = schemaOf('api/v1', 'io.k8s.apimachinery.pkg.apis.meta.v1.Time');
  assert.equal(time.type, 'string');
  assert.equal(time.format, 'date-time');
});

test('maxUnavailable and maxSurge are int-or-string', () => {
  const rolling = schemaOf('apis/apps/v1', 'io.k8s.api.apps.v1.RollingUpdateDaemonSet');
  for (const field of ['maxUnavailable', 'maxSurge']) {
    const ref: string = rolling.properties[field].allOf[0].$ref;
    assert.equal(schemaOf('apis/apps/v1', ref.slice(REF.length)).format, 'int-or-string', field);
  }
});

test('required lists follow the typings', () => {
  const cases: [string, string, string[]][] = [
    ['apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSetSpec', ['selector', 'template']],
    ['apis/apps/v1', 'io.k8s.api.apps.v1.ControllerRevision', ['revision']],
    ['apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSetList', ['items']],
    ['api/v1', 'io.k8s.api.core.v1.Container', ['name']],
    ['api/v1', 'io.k8s.api.core.v1.PodSpec', ['containers']],
    ['api/v1', 'io.k8s.api.core.v1.Taint', ['effect', 'key']],
  ];
  for (const [gv, name, required] of cases) assert.deepEqual([...schemaOf(gv, name).required].sort(), required, name);
  for (const [gv, name] of [['apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSet'], ['api/v1', 'io.k8s.api.core.v1.Pod']]) {
    assert.equal(schemaOf(gv!, name!).required, undefined, `${name}: apiVersion/kind are optional`);
  }
});

test('descriptions keep upstream line structure (enum lists)', () => {
  const type = schemaOf('apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSetUpdateStrategy').properties.type;
  assert.match(type.description, /Default is RollingUpdate\.\n\nPossible enum values:\n - `"OnDelete"` /);
  assert.equal(schemaOf('apis/apps/v1', 'io.k8s.api.apps.v1.DaemonSetSpec').description, 'DaemonSetSpec is the specification of a daemon set.');
});

// ---- end to end: the real kubectl binaries against a tiny server ----------------------------

const execFileAsync = promisify(execFile);

async function withKubectl(
  binary: string,
  objects: Record<string, object>,
  body: (run: (...args: string[]) => Promise<string>, tmp: string, server: Awaited<ReturnType<typeof startServer>>) => Promise<void>,
) {
  const server = await startServer(objects);
  const tmp = mkdtempSync(path.join(tmpdir(), 'everynode-openapi-'));
  try {
    const kubeconfig = path.join(tmp, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server.port));
    const run = async (...args: string[]) =>
      (await execFileAsync(binary, ['--kubeconfig', kubeconfig, '--cache-dir', path.join(tmp, 'cache'), ...args])).stdout;
    await body(run, tmp, server);
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function kubectlDir(): string | undefined {
  try {
    const resolved = execFileSync('sh', ['-c', 'readlink -f "$(command -v kubectl)"'], { encoding: 'utf8' }).trim();
    return resolved ? path.dirname(resolved) : undefined;
  } catch {
    return undefined;
  }
}

function discovery(resources: TestResource[]): Map<string, object> {
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  const bodies = new Map<string, object>();
  const groups = new Map<string, string[]>();
  for (const r of resources) {
    const gv = r.group ? `${r.group}/${r.version}` : r.version;
    const key = r.group ? `/apis/${gv}` : `/api/${r.version}`;
    const list = (bodies.get(key) as Json | undefined) ?? { kind: 'APIResourceList', groupVersion: gv, resources: [] };
    list.resources.push({ name: r.plural, namespaced: r.namespaced, kind: r.kind, verbs, shortNames: r.shortNames });
    bodies.set(key, list);
    if (r.group && !groups.get(r.group)?.includes(r.version)) groups.set(r.group, [...(groups.get(r.group) ?? []), r.version]);
  }
  bodies.set('/api', { kind: 'APIVersions', versions: ['v1'] });
  bodies.set('/apis', {
    kind: 'APIGroupList',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
    })),
  });
  bodies.set('/version', { major: '1', minor: '33', gitVersion: 'v1.33.0' });
  return bodies;
}

interface RecordedPatch {
  contentType: string;
  body: Json;
}

/**
 * Serves discovery and the OpenAPI endpoints, plus `objects` for GETs by path; records requests;
 * answers POST with the body it got and PATCH with the stored object.
 */
async function startServer(objects: Record<string, object> = {}) {
  const bodies = discovery(RESOURCES);
  const requests: string[] = [];
  const patches: RecordedPatch[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: object | Buffer) => {
      res.writeHead(status, { 'content-type': Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json' });
      res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (req.method === 'POST' || req.method === 'PATCH') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (req.method === 'POST') return send(201, body);
        patches.push({ contentType: req.headers['content-type'] ?? '', body });
        send(200, objects[url.pathname] ?? body);
      });
      return;
    }
    let body: object | Buffer | undefined;
    if (url.pathname === '/openapi/v2') body = openApi.v2Body();
    else if (url.pathname === '/openapi/v3') body = openApi.v3Index();
    else if (url.pathname.startsWith('/openapi/v3/')) body = openApi.v3Doc(url.pathname.slice('/openapi/v3/'.length));
    else body = bodies.get(url.pathname) ?? objects[url.pathname];
    if (body) send(200, body);
    else send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, requests, patches, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** `enums` are printed from kubectl 1.28 on; 1.27's template has no enum line. */
const EXPLAIN_CASES: { args: string[]; expect: (string | RegExp)[]; enums?: string[]; absent?: string[] }[] = [
  {
    args: ['explain', 'daemonset.spec.updateStrategy'],
    expect: [
      /^GROUP:      apps\nKIND:       DaemonSet\nVERSION:    v1\n\nFIELD: updateStrategy <DaemonSetUpdateStrategy>\n/,
      'DESCRIPTION:\n    An update strategy to replace existing DaemonSet pods with new pods.\n    DaemonSetUpdateStrategy is a struct',
      'FIELDS:\n  rollingUpdate\t<RollingUpdateDaemonSet>\n    Rolling update config params. Present only if type = "RollingUpdate".',
      '  type\t<string>\n',
      '    Type of daemon set update. Can be "RollingUpdate" or "OnDelete". Default is\n    RollingUpdate.',
      '     - `"OnDelete"` Replace the old daemons only',
    ],
    enums: ['  type\t<string>\n  enum: OnDelete, RollingUpdate\n    Type of daemon set update.'],
  },
  {
    args: ['explain', 'ds.spec.updateStrategy.rollingUpdate.maxSurge'],
    expect: [
      'KIND:       DaemonSet',
      /\nFIELD: maxSurge <IntOrString>\n/,
      'DESCRIPTION:\n    The maximum number of nodes with an existing available DaemonSet pod that',
      '    IntOrString is a type that can hold an int32 or a string.',
    ],
    absent: ['FIELDS:'],
  },
  {
    args: ['explain', 'pods.spec.containers'],
    expect: [
      /^KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <\[\]Container>\n/,
      '    A single application container that you want to run within a pod.',
      '  image\t<string>\n',
      '  imagePullPolicy\t<string>\n',
      '  name\t<string> -required-\n',
      '  ports\t<[]ContainerPort>\n',
      '  resources\t<ResourceRequirements>\n',
      '  env\t<[]EnvVar>\n',
    ],
    enums: ['  imagePullPolicy\t<string>\n  enum: Always, IfNotPresent, Never\n'],
    absent: ['GROUP:'],
  },
  {
    args: ['explain', 'node.spec'],
    expect: ['KIND:       Node', 'FIELD: spec <NodeSpec>', '  taints\t<[]Taint>\n', '  unschedulable\t<boolean>\n', '  podCIDRs\t<[]string>\n'],
  },
  {
    args: ['explain', 'pods.spec.containers.resources'],
    expect: ['  limits\t<map[string]Quantity>\n', '  requests\t<map[string]Quantity>\n'],
  },
  {
    args: ['explain', 'pod.metadata'],
    expect: ['FIELD: metadata <ObjectMeta>', '  labels\t<map[string]string>\n', '  generation\t<integer>\n', '  ownerReferences\t<[]OwnerReference>\n'],
  },
  {
    args: ['explain', 'lease.spec'],
    expect: [/^GROUP:      coordination\.k8s\.io\nKIND:       Lease\n/, 'FIELD: spec <LeaseSpec>', '  acquireTime\t<string>\n', '  leaseDurationSeconds\t<integer>\n'],
  },
  {
    args: ['explain', 'priorityclass'],
    expect: [/^GROUP:      scheduling\.k8s\.io\nKIND:       PriorityClass\n/, '  value\t<integer> -required-\n', '  preemptionPolicy\t<string>\n'],
  },
  {
    args: ['explain', 'ds', '--recursive'],
    expect: [
      /^GROUP:      apps\nKIND:       DaemonSet\nVERSION:    v1\n\nDESCRIPTION:\n    DaemonSet represents the configuration of a daemon set.\n/,
      '  spec\t<DaemonSetSpec>\n    minReadySeconds\t<integer>\n',
      '    selector\t<LabelSelector> -required-\n',
      '    template\t<PodTemplateSpec> -required-\n',
      '        maxSurge\t<IntOrString>\n        maxUnavailable\t<IntOrString>\n',
      '      type\t<string>\n',
    ],
    enums: ['      type\t<string>\n      enum: OnDelete, RollingUpdate\n'],
  },
];

const DAEMONSET_YAML = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: fluentd, namespace: default}
spec:
  selector: {matchLabels: {name: fluentd}}
  template:
    metadata: {labels: {name: fluentd}}
    spec: {containers: [{name: fluentd, image: fluentd:v1}]}
`;

const DS_PATH = '/apis/apps/v1/namespaces/default/daemonsets/fluentd';

for (const version of ['1.27', '1.33']) {
  const dir = kubectlDir();
  const binary = dir ? path.join(dir, `kubectl.${version}`) : '';
  const skip = !(binary && existsSync(binary)) && 'kubectl not installed';

  test(`kubectl ${version} explain prints types, fields and descriptions from our documents`, { skip }, () =>
    withKubectl(binary, {}, async (run) => {
      for (const { args, expect, enums = [], absent = [] } of EXPLAIN_CASES) {
        const stdout = await run(...args);
        if (process.env['SHOW_KUBECTL_OUTPUT']) console.log(`--- kubectl.${version} ${args.join(' ')}\n${stdout}`);
        for (const e of version === '1.27' ? expect : [...expect, ...enums]) {
          if (typeof e === 'string') assert.ok(stdout.includes(e), `${args.join(' ')}: missing ${JSON.stringify(e)} in\n${stdout}`);
          else assert.match(stdout, e, args.join(' '));
        }
        for (const a of absent) assert.ok(!stdout.includes(a), `${args.join(' ')}: unexpected ${a}`);
      }
    }),
  );

  test(`kubectl ${version} create -f passes validation and leaves it to the server (fieldValidation=Strict)`, { skip }, () =>
    withKubectl(binary, {}, async (run, tmp, server) => {
      const manifest = path.join(tmp, 'ds.yaml');
      writeFileSync(manifest, DAEMONSET_YAML);
      assert.match(await run('create', '-f', manifest), /daemonset\.apps\/fluentd created/);
      const post = server.requests.find((r) => r.startsWith('POST /apis/apps/v1/namespaces/default/daemonsets'));
      assert.ok(post?.includes('fieldValidation=Strict'), post);
      if (version === '1.33') {
        // 1.29+ consult v3 first; our PATCH operations list fieldValidation, so v2 is never needed.
        assert.ok(server.requests.some((r) => r.startsWith('GET /openapi/v3/apis/apps/v1?hash=')), server.requests.join('\n'));
        assert.ok(!server.requests.some((r) => r.startsWith('GET /openapi/v2')), server.requests.join('\n'));
      } else {
        assert.ok(server.requests.some((r) => r.startsWith('GET /openapi/v2')), server.requests.join('\n'));
      }
    }),
  );

  test(`kubectl ${version} client-side apply still builds strategic-merge patches with merge keys`, { skip }, () =>
    withKubectl(binary, { [DS_PATH]: appliedDaemonSet() }, async (run, tmp, server) => {
      const manifest = path.join(tmp, 'ds.yaml');
      writeFileSync(
        manifest,
        DAEMONSET_YAML.replace('[{name: fluentd, image: fluentd:v1}]', '[{name: fluentd, image: fluentd:v2}, {name: sidecar, image: busybox}]'),
      );
      const stdout = await run('apply', '-f', manifest);
      assert.match(stdout, /daemonset\.apps\/fluentd configured/);
      assert.equal(server.patches.length, 1);
      const [patch] = server.patches;
      assert.equal(patch!.contentType, 'application/strategic-merge-patch+json');
      // Keyed by name (kubectl's built-in metadata), not a wholesale list replacement.
      assert.deepEqual(patch!.body.spec.template.spec['$setElementOrder/containers'], [{ name: 'fluentd' }, { name: 'sidecar' }]);
    }),
  );
}

/** The DaemonSet as a server would hold it after `kubectl apply` of DAEMONSET_YAML. */
function appliedDaemonSet(): Json {
  const manifest = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'fluentd', namespace: 'default' },
    spec: {
      selector: { matchLabels: { name: 'fluentd' } },
      template: { metadata: { labels: { name: 'fluentd' } }, spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1' }] } },
    },
  };
  const lastApplied = JSON.stringify(manifest);
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      uid: '6f1f6c0e-0000-4000-8000-000000000001',
      resourceVersion: '7',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied },
    },
  };
}

function kubeconfigYaml(port: number): string {
  return `apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: t, user: {token: x}}]
contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]
current-context: t
`;
}
