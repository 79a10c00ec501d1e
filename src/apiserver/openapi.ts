// OpenAPI documents for kubectl.
//
// - /openapi/v2 is answered with an empty body: a valid, empty protobuf Document. That is all
//   kubectl 1.27–1.33 need for apply/create/edit validation (anything JSON there breaks them).
// - /openapi/v3 is the index of group-versions, and /openapi/v3/<gv> one document per
//   group-version: paths tagged with x-kubernetes-group-version-kind (how `kubectl explain` maps a
//   resource to its kind, and where kubectl checks that PATCH takes `fieldValidation` before it
//   leaves validation to the server), plus the component schemas reachable from that GV's kinds.
//
// The schemas come from src/generated/openapi-schemas.json, which scripts/gen-openapi.mjs derives
// from the kubernetes-models typings at build time (it writes dist/generated/ too, so this relative
// URL works both under tsx from src/ and from the compiled dist/).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface OpenApiResource {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  subresources: string[];
}

export interface OpenApi {
  /** Body for GET /openapi/v2: always empty. */
  v2Body(): Buffer;
  /** Body for GET /openapi/v3. */
  v3Index(): object;
  /** Body for GET /openapi/v3/<gvPath>, e.g. `api/v1` or `apis/apps/v1`; undefined if not served. */
  v3Doc(gvPath: string): object | undefined;
}

type JsonObject = { [key: string]: unknown };

interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The build-time output of scripts/gen-openapi.mjs. */
export interface GeneratedSchemas {
  /** Which kubernetes-models release the schemas were derived from. */
  source: string;
  /** Component schemas by upstream name, e.g. `io.k8s.api.apps.v1.DaemonSetSpec`; `$ref`s point at `#/components/schemas/<name>`. */
  schemas: Record<string, JsonObject>;
}

const SCHEMAS_URL = new URL('../generated/openapi-schemas.json', import.meta.url);
const REF_PREFIX = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const STATUS_SCHEMA = `${META}.Status`;
const DELETE_OPTIONS_SCHEMA = `${META}.DeleteOptions`;
const PATCH_SCHEMA = `${META}.Patch`;

let loaded: GeneratedSchemas | undefined;

/** The generated schemas, read once per process. */
export function generatedSchemas(): GeneratedSchemas {
  if (!loaded) {
    let text: string;
    try {
      text = readFileSync(SCHEMAS_URL, 'utf8');
    } catch {
      throw new Error(`${fileURLToPath(SCHEMAS_URL)} is missing: run \`node scripts/gen-openapi.mjs\` (part of \`npm run build\`)`);
    }
    loaded = JSON.parse(text) as GeneratedSchemas;
  }
  return loaded;
}

export function createOpenApi(resources: OpenApiResource[]): OpenApi {
  let built: { index: object; docs: Map<string, object> } | undefined;
  const build = () => (built ??= buildAll(resources, generatedSchemas()));
  return {
    v2Body: () => Buffer.alloc(0),
    v3Index: () => build().index,
    v3Doc: (gvPath) => build().docs.get(gvPath.replace(/^\/+|\/+$/g, '')),
  };
}

function buildAll(resources: OpenApiResource[], generated: GeneratedSchemas) {
  const byGroupVersion = new Map<string, OpenApiResource[]>();
  for (const r of resources) {
    const key = groupVersionPath(r.group, r.version);
    byGroupVersion.set(key, [...(byGroupVersion.get(key) ?? []), r]);
  }
  const schemaForKind = indexByGvk(generated.schemas);
  const docs = new Map<string, object>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gvPath of [...byGroupVersion.keys()].sort()) {
    const doc = buildDocument(gvPath, byGroupVersion.get(gvPath) ?? [], generated, schemaForKind);
    docs.set(gvPath, doc);
    // The hash changes whenever the document does, so kubectl's disk cache never serves a stale one.
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    paths[gvPath] = { serverRelativeURL: `/openapi/v3/${gvPath}?hash=${hash}` };
  }
  return { index: { paths }, docs };
}

function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function buildDocument(
  gvPath: string,
  resources: OpenApiResource[],
  generated: GeneratedSchemas,
  schemaForKind: SchemaForKind,
): object {
  const paths: Record<string, JsonObject> = {};
  for (const r of [...resources].sort((a, b) => a.plural.localeCompare(b.plural))) {
    Object.assign(paths, resourcePaths(`/${gvPath}`, r, schemaForKind));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'everynode', version: generated.source },
    paths,
    components: { schemas: reachableSchemas(paths, generated.schemas) },
  };
}

/** Name of the schema tagged with a GVK, if any. */
type SchemaForKind = (gvk: GroupVersionKind) => string | undefined;

function indexByGvk(schemas: Record<string, JsonObject>): SchemaForKind {
  const index = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    for (const gvk of (schema['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? []) {
      index.set(gvkKey(gvk), name);
    }
  }
  return (gvk) => index.get(gvkKey(gvk));
}

function gvkKey({ group, version, kind }: GroupVersionKind): string {
  return `${group}/${version}/${kind}`;
}

/** Everything the paths reference, followed transitively through the schemas' own `$ref`s. */
function reachableSchemas(paths: object, schemas: Record<string, JsonObject>): Record<string, JsonObject> {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) {
        const name = child.slice(REF_PREFIX.length);
        if (!found.has(name) && schemas[name]) {
          found.add(name);
          visit(schemas[name]);
        }
      } else {
        visit(child);
      }
    }
  };
  visit(paths);
  return Object.fromEntries([...found].sort().map((name) => [name, schemas[name] as JsonObject]));
}

// ---- paths and operations -------------------------------------------------------------------

interface OperationSpec {
  action: 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';
  gvk: GroupVersionKind;
  operationId: string;
  description: string;
  parameters?: JsonObject[];
  requestBody?: JsonObject;
  responses: JsonObject;
}

function resourcePaths(
  base: string,
  r: OpenApiResource,
  schemaForKind: SchemaForKind,
): Record<string, JsonObject> {
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const objectSchema = schemaRef(schemaForKind(gvk));
  const listSchemaName = schemaForKind({ ...gvk, kind: `${r.kind}List` });
  const id = operationNamer(r);
  const scope = r.namespaced ? [namespaceParam] : [];
  const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const item = `${collection}/{name}`;
  const paths: Record<string, JsonObject> = {};

  const create = operation({
    action: 'post',
    gvk,
    operationId: id('create'),
    description: `create a ${r.kind}`,
    parameters: writeParams,
    requestBody: jsonBody(objectSchema),
    responses: okCreatedAccepted(objectSchema),
  });

  // Kinds without a List type (Binding, Eviction) can only be created, as upstream.
  if (!listSchemaName) {
    paths[collection] = { parameters: scope, post: create };
    return paths;
  }
  const listSchema = schemaRef(listSchemaName);

  paths[collection] = {
    parameters: scope,
    get: operation({
      action: 'list',
      gvk,
      operationId: id('list'),
      description: `list or watch objects of kind ${r.kind}`,
      parameters: listParams,
      responses: ok(listSchema),
    }),
    post: create,
    delete: operation({
      action: 'deletecollection',
      gvk,
      operationId: id('deletecollection'),
      description: `delete collection of ${r.kind}`,
      parameters: [...deleteParams, ...listParams],
      requestBody: jsonBody(schemaRef(DELETE_OPTIONS_SCHEMA), false),
      responses: ok(schemaRef(STATUS_SCHEMA)),
    }),
  };
  if (r.namespaced) {
    paths[`${base}/${r.plural}`] = {
      get: operation({
        action: 'list',
        gvk,
        operationId: id('list', 'ForAllNamespaces', false),
        description: `list or watch objects of kind ${r.kind} in all namespaces`,
        parameters: listParams,
        responses: ok(listSchema),
      }),
    };
  }
  paths[item] = {
    parameters: [nameParam(r.kind), ...scope],
    get: operation({
      action: 'get',
      gvk,
      operationId: id('read'),
      description: `read the specified ${r.kind}`,
      responses: ok(objectSchema),
    }),
    put: operation({
      action: 'put',
      gvk,
      operationId: id('replace'),
      description: `replace the specified ${r.kind}`,
      parameters: writeParams,
      requestBody: jsonBody(objectSchema),
      responses: okCreated(objectSchema),
    }),
    patch: patchOperation(gvk, id('patch'), `partially update the specified ${r.kind}`, objectSchema),
    delete: operation({
      action: 'delete',
      gvk,
      operationId: id('delete'),
      description: `delete a ${r.kind}`,
      parameters: deleteParams,
      requestBody: jsonBody(schemaRef(DELETE_OPTIONS_SCHEMA), false),
      responses: okAccepted(schemaRef(STATUS_SCHEMA)),
    }),
  };

  for (const sub of [...r.subresources].sort()) {
    const spec = subresourcePath(sub, r, gvk, objectSchema, schemaForKind, id);
    if (spec) paths[`${item}/${sub}`] = { parameters: [nameParam(r.kind), ...scope], ...spec };
  }
  return paths;
}

/**
 * Operations of the subresources everynode serves. Unknown names get no path: kubectl never looks
 * at subresource paths for explain or validation, so nothing is lost by leaving them out.
 */
function subresourcePath(
  sub: string,
  r: OpenApiResource,
  gvk: GroupVersionKind,
  objectSchema: JsonObject,
  schemaForKind: SchemaForKind,
  id: ReturnType<typeof operationNamer>,
): JsonObject | undefined {
  const suffix = capitalize(sub);
  switch (sub) {
    case 'status':
      return {
        get: operation({
          action: 'get',
          gvk,
          operationId: id('read', suffix),
          description: `read status of the specified ${r.kind}`,
          responses: ok(objectSchema),
        }),
        put: operation({
          action: 'put',
          gvk,
          operationId: id('replace', suffix),
          description: `replace status of the specified ${r.kind}`,
          parameters: writeParams,
          requestBody: jsonBody(objectSchema),
          responses: okCreated(objectSchema),
        }),
        // Same GVK as the main resource, so it must carry fieldValidation too: kubectl checks
        // whichever PATCH operation for the kind it meets first.
        patch: patchOperation(gvk, id('patch', suffix), `partially update status of the specified ${r.kind}`, objectSchema),
      };
    case 'binding':
    case 'eviction': {
      const bodyGvk =
        sub === 'binding' ? { group: '', version: 'v1', kind: 'Binding' } : { group: 'policy', version: 'v1', kind: 'Eviction' };
      const body = schemaRef(schemaForKind(bodyGvk));
      return {
        post: operation({
          action: 'post',
          gvk: bodyGvk,
          operationId: id('create', suffix),
          description: `create ${sub} of a ${r.kind}`,
          parameters: writeParams,
          requestBody: jsonBody(body),
          responses: okCreatedAccepted(body),
        }),
      };
    }
    case 'log':
      return {
        get: operation({
          action: 'get',
          gvk,
          operationId: id('read', suffix),
          description: `read log of the specified ${r.kind}`,
          parameters: logParams,
          responses: { '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } } },
        }),
      };
    default:
      return undefined;
  }
}

/**
 * The request body lists the JSON, merge and apply patch types but deliberately not
 * strategic-merge: our schemas carry no patch-merge-key metadata, and newer kubectl computes
 * client-side-apply patches from a v3 schema that advertises strategic merge. Without the entry it
 * falls back to its built-in patch metadata, which is what upstream's schemas say for these kinds.
 */
function patchOperation(gvk: GroupVersionKind, operationId: string, description: string, objectSchema: JsonObject): JsonObject {
  const patch = { schema: schemaRef(PATCH_SCHEMA) };
  return operation({
    action: 'patch',
    gvk,
    operationId,
    description,
    parameters: [...writeParams, queryParam('force', 'boolean', 'Force an apply request to take ownership of conflicting fields.')],
    requestBody: {
      content: {
        'application/apply-patch+yaml': patch,
        'application/json-patch+json': patch,
        'application/merge-patch+json': patch,
      },
      required: true,
    },
    responses: okCreated(objectSchema),
  });
}

function operation(spec: OperationSpec): JsonObject {
  const op: JsonObject = { description: spec.description, operationId: spec.operationId };
  if (spec.parameters?.length) op['parameters'] = spec.parameters;
  if (spec.requestBody) op['requestBody'] = spec.requestBody;
  op['responses'] = { ...spec.responses, '401': { description: 'Unauthorized' } };
  op['tags'] = [tagFor(spec.gvk)];
  op['x-kubernetes-action'] = spec.action;
  op['x-kubernetes-group-version-kind'] = { group: spec.gvk.group, kind: spec.gvk.kind, version: spec.gvk.version };
  return op;
}

/** Upstream-style operation ids: listAppsV1NamespacedDaemonSet, readCoreV1Node, patchCoreV1NamespacedPodStatus… */
function operationNamer(r: OpenApiResource) {
  const groupVersion = groupWords(r.group).map(capitalize).join('') + capitalize(r.version);
  return (verb: string, suffix = '', scoped = true) =>
    `${verb}${groupVersion}${scoped && r.namespaced ? 'Namespaced' : ''}${r.kind}${suffix}`;
}

function tagFor({ group, version }: GroupVersionKind): string {
  const [first = '', ...rest] = groupWords(group);
  return `${first}${rest.map(capitalize).join('')}_${version}`;
}

/** '' → ['core']; 'rbac.authorization.k8s.io' → ['rbac', 'authorization']. */
function groupWords(group: string): string[] {
  return group ? group.replace(/\.k8s\.io$/, '').split('.') : ['core'];
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// ---- bodies and responses -------------------------------------------------------------------

function schemaRef(name: string | undefined): JsonObject {
  return name ? { $ref: REF_PREFIX + name } : { type: 'object' };
}

function jsonBody(schema: JsonObject, required = true): JsonObject {
  return { content: { '*/*': { schema } }, ...(required ? { required: true } : {}) };
}

function response(description: string, schema: JsonObject): JsonObject {
  return { description, content: { 'application/json': { schema }, 'application/yaml': { schema } } };
}

const ok = (schema: JsonObject) => ({ '200': response('OK', schema) });
const okCreated = (schema: JsonObject) => ({ ...ok(schema), '201': response('Created', schema) });
const okAccepted = (schema: JsonObject) => ({ ...ok(schema), '202': response('Accepted', schema) });
const okCreatedAccepted = (schema: JsonObject) => ({ ...okCreated(schema), '202': response('Accepted', schema) });

// ---- parameters -----------------------------------------------------------------------------

function queryParam(name: string, type: 'string' | 'boolean' | 'integer', description: string): JsonObject {
  return { description, in: 'query', name, schema: { type, uniqueItems: true } };
}

function pathParam(name: string, description: string): JsonObject {
  return { description, in: 'path', name, required: true, schema: { type: 'string', uniqueItems: true } };
}

const namespaceParam = pathParam('namespace', 'namespace the object lives in');
const nameParam = (kind: string) => pathParam('name', `name of the ${kind}`);

const writeParams = [
  queryParam('dryRun', 'string', 'When set to "All", validate and default the request but persist nothing.'),
  queryParam('fieldManager', 'string', 'Name of the actor making the change, recorded for field ownership.'),
  queryParam(
    'fieldValidation',
    'string',
    'How to treat unknown or duplicate fields in the body: "Ignore" drops them, "Warn" drops them with a warning header, "Strict" rejects the request.',
  ),
];

const deleteParams = [
  queryParam('dryRun', 'string', 'When set to "All", check the request but delete nothing.'),
  queryParam('gracePeriodSeconds', 'integer', 'Seconds to wait before deleting; 0 deletes immediately.'),
  queryParam('propagationPolicy', 'string', 'What happens to dependents: "Orphan", "Background" or "Foreground".'),
];

const listParams = [
  queryParam('allowWatchBookmarks', 'boolean', 'Let a watch send BOOKMARK events.'),
  queryParam('continue', 'string', 'Continue token from a previous, limited list.'),
  queryParam('fieldSelector', 'string', 'Only return objects whose fields match, e.g. spec.nodeName=node-1.'),
  queryParam('labelSelector', 'string', 'Only return objects whose labels match.'),
  queryParam('limit', 'integer', 'Maximum number of items to return; the rest can be fetched with continue.'),
  queryParam('resourceVersion', 'string', 'Resource version to list or watch from.'),
  queryParam('resourceVersionMatch', 'string', 'How resourceVersion applies to a list.'),
  queryParam('timeoutSeconds', 'integer', 'Close the list or watch after this many seconds.'),
  queryParam('watch', 'boolean', 'Stream changes instead of returning a list.'),
];

const logParams = [
  queryParam('container', 'string', 'Container to read the log of; may be omitted for single-container pods.'),
  queryParam('follow', 'boolean', 'Keep streaming the log as it grows.'),
  queryParam('limitBytes', 'integer', 'Stop after this many bytes.'),
  queryParam('previous', 'boolean', 'Read the log of the previous, terminated container.'),
  queryParam('sinceSeconds', 'integer', 'Only lines newer than this many seconds.'),
  queryParam('sinceTime', 'string', 'Only lines newer than this RFC 3339 time.'),
  queryParam('tailLines', 'integer', 'Only this many lines from the end.'),
  queryParam('timestamps', 'boolean', 'Prefix every line with its RFC 3339 timestamp.'),
];
