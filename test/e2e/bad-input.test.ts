// Bad input against a real `everynode server`: every rejected request must print what kubectl
// prints against a real cluster (same words, same exit code), answer with the right Kubernetes
// Status (code, reason, details, causes with field paths), and leave the store untouched — the
// store's revision does not move, so nothing at all was written, not even half of an object.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import YAML from 'yaml';
import { API_ONLY, TestServer, type KubectlResult, type RawResponse } from '../helpers/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = any;

/** 1.33 is the version the server reports; 1.27 is the oldest we support and prints the same. */
const VERSIONS = ['1.33', '1.27'];
const DS_PATH = '/apis/apps/v1/namespaces/default/daemonsets';
const CONFLICT = 'the object has been modified; please apply your changes to the latest version and try again';
const LABEL_VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

let server: TestServer;
let dir: string;

function daemonSet(name: string, opts: { namespace?: string; selector?: Record<string, string>; labels?: Record<string, string>; meta?: Obj; podSpec?: Obj; spec?: Obj } = {}): Obj {
  const selector = opts.selector ?? { name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: opts.namespace ?? 'default', ...opts.meta },
    spec: {
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: opts.labels ?? selector },
        spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1.16' }], ...opts.podSpec },
      },
      ...opts.spec,
    },
  };
}

/** Writes a manifest file and returns its path (kubectl names it in its messages). */
function manifest(file: string, content: Obj | string): string {
  const path = join(dir, file);
  writeFileSync(path, typeof content === 'string' ? content : YAML.stringify(content));
  return path;
}

function kubectl(version: string, args: string[], input?: string): Promise<KubectlResult> {
  return server.kubectl(version, args, { input });
}

function assertFails(res: KubectlResult, stderr: string): void {
  assert.equal(res.stderr, stderr + '\n');
  assert.equal(res.stdout, '');
  assert.equal(res.code, 1);
}

function assertStatus(res: RawResponse, code: number, reason: string, message?: string | RegExp): void {
  assert.equal(res.status, code, res.text);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.equal(res.json?.kind, 'Status', res.text);
  assert.equal(res.json.apiVersion, 'v1');
  assert.equal(res.json.status, 'Failure');
  assert.equal(res.json.code, code);
  assert.equal(res.json.reason, reason);
  if (typeof message === 'string') assert.equal(res.json.message, message);
  else if (message) assert.match(res.json.message, message);
}

/** The store's revision: a list reports it, and every write anywhere moves it. */
async function revision(): Promise<string> {
  const res = await server.request('GET', '/api/v1/namespaces');
  assert.equal(res.status, 200, res.text);
  return res.json.metadata.resourceVersion as string;
}

async function daemonSetNames(namespace = 'default'): Promise<string[]> {
  const res = await server.request('GET', `/apis/apps/v1/namespaces/${namespace}/daemonsets`);
  assert.equal(res.status, 200, res.text);
  return (res.json.items as Obj[]).map((i) => i.metadata.name as string);
}

async function getDs(name: string): Promise<Obj> {
  const res = await server.request('GET', `${DS_PATH}/${name}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** Runs a rejected action and checks nothing was written: same revision, same objects. */
async function unchanged<T>(action: () => Promise<T>): Promise<T> {
  const rev = await revision();
  const names = await daemonSetNames();
  const fluentd = await getDs('fluentd');
  const out = await action();
  assert.equal(await revision(), rev, 'the store revision moved: something was written');
  assert.deepEqual(await daemonSetNames(), names);
  assert.deepEqual(await getDs('fluentd'), fluentd);
  return out;
}

/** One 422 cause, as kubectl reads it. */
function cause(reason: string, field: string, message: string): Obj {
  return { reason, field, message };
}

function assertInvalid(res: RawResponse, name: string, causes: Obj[]): void {
  const summary = causes.map((c) => `${c.field}: ${c.message}`);
  assertStatus(res, 422, 'Invalid', `DaemonSet.apps "${name}" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`}`);
  assert.equal(res.json.details.name, name);
  assert.equal(res.json.details.group, 'apps');
  assert.equal(res.json.details.kind, 'DaemonSet');
  assert.deepEqual(
    res.json.details.causes.map((c: Obj) => ({ reason: c.reason, field: c.field, message: c.message })),
    causes,
  );
}

before(async () => {
  server = await TestServer.start({ args: API_ONLY });
  dir = mkdtempSync(join(tmpdir(), 'everynode-bad-input-'));
  const created = await kubectl('1.33', ['apply', '-f', manifest('fluentd.yaml', daemonSet('fluentd'))]);
  assert.equal(created.stderr, '');
  assert.equal(created.stdout, 'daemonset.apps/fluentd created\n');
});

after(async () => {
  await server?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- invalid objects: 422 with causes ----------------------------------------------------------

const SELECTOR_MISMATCH = cause(
  'FieldValueInvalid',
  'spec.template.metadata.labels',
  'Invalid value: map[string]string{"name":"other"}: `selector` does not match template `labels`',
);
const RESTART_NEVER = cause('FieldValueNotSupported', 'spec.template.spec.restartPolicy', 'Unsupported value: "Never": supported values: "Always"');
const SURGE_WITH_UNAVAILABLE = cause('FieldValueInvalid', 'spec.updateStrategy.rollingUpdate.maxSurge', 'Invalid value: 1: may not be set when maxUnavailable is non-zero');
const BAD_LABEL = cause('FieldValueInvalid', 'metadata.labels', `Invalid value: "has spaces!": ${LABEL_VALUE_RULE}`);

const INVALID_CASES: { title: string; object: Obj; causes: Obj[] }[] = [
  { title: 'a selector that does not match the template labels', object: daemonSet('bad', { selector: { name: 'fluentd' }, labels: { name: 'other' } }), causes: [SELECTOR_MISMATCH] },
  { title: 'restartPolicy: Never', object: daemonSet('never', { podSpec: { restartPolicy: 'Never' } }), causes: [RESTART_NEVER] },
  {
    title: 'maxSurge: 1 without maxUnavailable: 0 (maxUnavailable defaults to 1)',
    object: daemonSet('surge', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }),
    causes: [SURGE_WITH_UNAVAILABLE],
  },
  { title: 'an invalid label value', object: daemonSet('badlabel', { meta: { labels: { app: 'has spaces!' } } }), causes: [BAD_LABEL] },
  {
    title: 'two problems at once (every cause listed, in upstream order)',
    object: daemonSet('bad2', { selector: { name: 'fluentd' }, labels: { name: 'other' }, podSpec: { restartPolicy: 'Never' } }),
    causes: [SELECTOR_MISMATCH, RESTART_NEVER],
  },
];

/** What kubectl prints for a 422: built from details.kind, details.name and the causes. */
function invalidMessage(name: string, causes: Obj[]): string {
  const lines = causes.map((c) => `${c.field}: ${c.message}`);
  if (lines.length === 1) return `The DaemonSet "${name}" is invalid: ${lines[0]}`;
  return `The DaemonSet "${name}" is invalid: \n${lines.map((l) => `* ${l}`).join('\n')}`;
}

describe('invalid DaemonSets are rejected with 422 Invalid and every cause', () => {
  for (const c of INVALID_CASES) {
    const name = c.object.metadata.name as string;
    for (const version of VERSIONS) {
      for (const verb of ['create', 'apply']) {
        it(`kubectl ${version} ${verb}: ${c.title}`, async () => {
          const file = manifest(`${name}.yaml`, c.object);
          const res = await unchanged(() => kubectl(version, [verb, '-f', file]));
          assertFails(res, invalidMessage(name, c.causes));
        });
      }
    }
    it(`raw POST: ${c.title}`, async () => {
      const res = await unchanged(() => server.request('POST', DS_PATH, c.object));
      assertInvalid(res, name, c.causes);
      assertStatus(await server.request('GET', `${DS_PATH}/${name}`), 404, 'NotFound');
    });
  }

  it('a dry run of an invalid object is rejected the same way', async () => {
    const res = await unchanged(() => server.request('POST', `${DS_PATH}?dryRun=All`, INVALID_CASES[0]!.object));
    assertInvalid(res, 'bad', [SELECTOR_MISMATCH]);
  });
});

describe('changing an immutable selector', () => {
  const changed = daemonSet('fluentd', { selector: { name: 'fluentd', tier: 'logs' } });
  const immutable = cause(
    'FieldValueInvalid',
    'spec.selector',
    'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"name":"fluentd", "tier":"logs"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  );

  for (const version of VERSIONS) {
    it(`kubectl ${version} apply: 422 "field is immutable", and neither selector nor labels change`, async () => {
      const file = manifest('fluentd-new-selector.yaml', changed);
      const res = await unchanged(() => kubectl(version, ['apply', '-f', file]));
      assertFails(res, invalidMessage('fluentd', [immutable]));
    });
  }

  it('raw PUT: 422 with a spec.selector cause; a strategic-merge PATCH too', async () => {
    const live = await getDs('fluentd');
    const put = { ...live, spec: { ...live.spec, selector: changed.spec.selector, template: { ...live.spec.template, metadata: { labels: changed.spec.template.metadata.labels } } } };
    assertInvalid(await unchanged(() => server.request('PUT', `${DS_PATH}/fluentd`, put)), 'fluentd', [immutable]);
    const patch = { spec: { selector: { matchLabels: { tier: 'logs' } }, template: { metadata: { labels: { tier: 'logs' } } } } };
    const res = await unchanged(() => server.request('PATCH', `${DS_PATH}/fluentd`, patch, { 'Content-Type': 'application/strategic-merge-patch+json' }));
    assertInvalid(res, 'fluentd', [immutable]);
  });
});

// ---- conflicts, existence -----------------------------------------------------------------------

describe('a stale resourceVersion on update is a 409 Conflict', () => {
  for (const version of VERSIONS) {
    it(`kubectl ${version} replace with an object read before someone else's write`, async () => {
      const got = await kubectl(version, ['get', 'ds', 'fluentd', '-o', 'yaml']);
      assert.equal(got.code, 0, got.stderr);
      const stale = YAML.parse(got.stdout) as Obj;
      const labelled = await kubectl(version, ['label', 'ds', 'fluentd', `seen-by=kubectl-${version.replace('.', '-')}`, '--overwrite']);
      assert.equal(labelled.stdout, 'daemonset.apps/fluentd labeled\n');
      stale.spec.template.spec.containers[0].image = 'fluentd:v9';
      const file = manifest('fluentd-stale.yaml', stale);
      const res = await unchanged(() => kubectl(version, ['replace', '-f', file]));
      assertFails(res, `Error from server (Conflict): error when replacing "${file}": Operation cannot be fulfilled on daemonsets.apps "fluentd": ${CONFLICT}`);
      assert.equal((await getDs('fluentd')).spec.template.spec.containers[0].image, 'fluentd:v1.16');
    });
  }

  it('raw PUT with an old resourceVersion: 409 Conflict with details', async () => {
    const live = await getDs('fluentd');
    const stale = { ...live, metadata: { ...live.metadata, resourceVersion: String(Number(live.metadata.resourceVersion) - 1) } };
    const res = await unchanged(() => server.request('PUT', `${DS_PATH}/fluentd`, stale));
    assertStatus(res, 409, 'Conflict', `Operation cannot be fulfilled on daemonsets.apps "fluentd": ${CONFLICT}`);
    assert.deepEqual({ name: res.json.details.name, group: res.json.details.group, kind: res.json.details.kind }, { name: 'fluentd', group: 'apps', kind: 'daemonsets' });
  });

  it('raw merge PATCH carrying an old resourceVersion: 409 Conflict', async () => {
    const live = await getDs('fluentd');
    const patch = { metadata: { resourceVersion: '1', labels: { x: 'y' } } };
    assert.notEqual(live.metadata.resourceVersion, '1');
    const res = await unchanged(() => server.request('PATCH', `${DS_PATH}/fluentd`, patch, { 'Content-Type': 'application/merge-patch+json' }));
    assertStatus(res, 409, 'Conflict', `Operation cannot be fulfilled on daemonsets.apps "fluentd": ${CONFLICT}`);
  });
});

describe('existence', () => {
  for (const version of VERSIONS) {
    it(`kubectl ${version}: create in a missing namespace → NotFound for the namespace`, async () => {
      const file = manifest('in-nope.yaml', daemonSet('fluentd', { namespace: 'nope' }));
      for (const verb of ['create', 'apply']) {
        const res = await unchanged(() => kubectl(version, [verb, '-f', file]));
        assertFails(res, `Error from server (NotFound): error when creating "${file}": namespaces "nope" not found`);
      }
      const ns = await kubectl(version, ['get', 'ns', 'nope']);
      assertFails(ns, 'Error from server (NotFound): namespaces "nope" not found');
    });

    it(`kubectl ${version}: create twice → AlreadyExists (DaemonSet from a file, namespace via the typed client)`, async () => {
      const file = manifest('fluentd-again.yaml', daemonSet('fluentd'));
      assertFails(await unchanged(() => kubectl(version, ['create', '-f', file])), `Error from server (AlreadyExists): error when creating "${file}": daemonsets.apps "fluentd" already exists`);
      // 1.32+ send this one as protobuf.
      assertFails(await unchanged(() => kubectl(version, ['create', 'namespace', 'default'])), 'Error from server (AlreadyExists): namespaces "default" already exists');
    });

    it(`kubectl ${version}: get, describe and delete of a missing object → NotFound`, async () => {
      for (const verb of ['get', 'describe', 'delete']) {
        assertFails(await unchanged(() => kubectl(version, [verb, 'ds', 'missing'])), 'Error from server (NotFound): daemonsets.apps "missing" not found');
      }
    });
  }

  it('raw: POST into a missing namespace → 404 naming the namespace', async () => {
    const res = await unchanged(() => server.request('POST', '/apis/apps/v1/namespaces/nope/daemonsets', daemonSet('fluentd', { namespace: 'nope' })));
    assertStatus(res, 404, 'NotFound', 'namespaces "nope" not found');
    assert.equal(res.json.details.name, 'nope');
    assert.equal(res.json.details.kind, 'namespaces');
  });

  it('raw: POST of an existing name → 409 AlreadyExists', async () => {
    const res = await unchanged(() => server.request('POST', DS_PATH, daemonSet('fluentd')));
    assertStatus(res, 409, 'AlreadyExists', 'daemonsets.apps "fluentd" already exists');
    assert.deepEqual({ name: res.json.details.name, group: res.json.details.group, kind: res.json.details.kind }, { name: 'fluentd', group: 'apps', kind: 'daemonsets' });
  });

  it('raw: GET, PUT, PATCH and DELETE of a missing object → 404 NotFound', async () => {
    const missing = daemonSet('missing');
    const attempts: [string, unknown, Record<string, string>][] = [
      ['GET', undefined, {}],
      ['PUT', missing, {}],
      ['PATCH', { metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/merge-patch+json' }],
      ['DELETE', undefined, {}],
    ];
    for (const [method, body, headers] of attempts) {
      const res = await unchanged(() => server.request(method, `${DS_PATH}/missing`, body, headers));
      assertStatus(res, 404, 'NotFound', 'daemonsets.apps "missing" not found');
      assert.deepEqual({ name: res.json.details.name, group: res.json.details.group, kind: res.json.details.kind }, { name: 'missing', group: 'apps', kind: 'daemonsets' });
    }
  });
});

// ---- bodies that cannot be decoded ---------------------------------------------------------------

describe('malformed and unknown input', () => {
  const MALFORMED_YAML = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: x\n   labels: [\nspec: {\n';

  for (const version of VERSIONS) {
    it(`kubectl ${version}: malformed YAML fails in the client and never reaches the server`, async () => {
      const file = manifest('malformed.yaml', MALFORMED_YAML);
      for (const verb of ['create', 'apply', 'replace']) {
        const res = await unchanged(() => kubectl(version, [verb, '-f', file]));
        assertFails(res, `error: error parsing ${file}: error converting YAML to JSON: yaml: line 5: mapping values are not allowed in this context`);
      }
    });

    it(`kubectl ${version}: an unknown field is a strict decoding error (kubectl sends fieldValidation=Strict)`, async () => {
      const obj = daemonSet('typo');
      obj.spec.template.spec.containers[0] = { name: 'fluentd', imagex: 'fluentd:v1.16' };
      const file = manifest('typo.yaml', obj);
      for (const verb of ['create', 'apply']) {
        const res = await unchanged(() => kubectl(version, [verb, '-f', file]));
        assertFails(
          res,
          `Error from server (BadRequest): error when creating "${file}": DaemonSet in version "v1" cannot be handled as a DaemonSet: strict decoding error: unknown field "spec.template.spec.containers[0].imagex"`,
        );
      }
    });
  }

  it('raw: malformed JSON and YAML bodies → 400 BadRequest Status', async () => {
    const bodies: [string, string][] = [
      ['application/json', '{"apiVersion":"apps/v1","kind":"DaemonSet",'],
      ['application/json', 'not json at all'],
      ['application/yaml', MALFORMED_YAML],
    ];
    for (const [type, body] of bodies) {
      const res = await unchanged(() => server.request('POST', DS_PATH, body, { 'Content-Type': type }));
      assertStatus(res, 400, 'BadRequest', type === 'application/yaml' ? /yaml/i : /json/i);
    }
  });

  it('raw: a body that is not an object, and a kind that is not this resource → 400', async () => {
    assertStatus(await unchanged(() => server.request('POST', DS_PATH, '[1,2,3]')), 400, 'BadRequest');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    assertStatus(await unchanged(() => server.request('POST', DS_PATH, pod)), 400, 'BadRequest');
  });

  it('raw: unknown field with fieldValidation=Strict → 400 naming the field; Warn → created with a Warning header', async () => {
    const obj = daemonSet('typo');
    obj.spec.template.spec.containers[0] = { name: 'fluentd', image: 'fluentd:v1.16', imagex: 'oops' };
    const strict = await unchanged(() => server.request('POST', `${DS_PATH}?fieldValidation=Strict`, obj));
    assertStatus(strict, 400, 'BadRequest', 'DaemonSet in version "v1" cannot be handled as a DaemonSet: strict decoding error: unknown field "spec.template.spec.containers[0].imagex"');
    const warn = await server.request('POST', `${DS_PATH}?fieldValidation=Warn`, obj);
    assert.equal(warn.status, 201, warn.text);
    assert.match(String(warn.headers.warning), /unknown field \\?"spec\.template\.spec\.containers\[0\]\.imagex\\?"/);
    assert.equal(warn.json.spec.template.spec.containers[0].imagex, undefined, 'unknown fields are dropped');
    assert.equal((await server.request('DELETE', `${DS_PATH}/typo`)).status, 200);
  });
});

  it('raw: a value of the wrong JSON type → 400 worded like the upstream decoder, whatever fieldValidation says', async () => {
    const badNumber = daemonSet('wrong-type', { spec: { minReadySeconds: 'ten' } });
    assertStatus(
      await unchanged(() => server.request('POST', `${DS_PATH}?fieldValidation=Ignore`, badNumber)),
      400,
      'BadRequest',
      'DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal string into Go struct field DaemonSetSpec.spec.minReadySeconds of type int32',
    );
    const boolLabel = daemonSet('wrong-type', { meta: { labels: { enabled: true } } });
    assertStatus(
      await unchanged(() => server.request('POST', DS_PATH, boolLabel)),
      400,
      'BadRequest',
      'DaemonSet in version "v1" cannot be handled as a DaemonSet: json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string',
    );
  });

describe('an over-large body (> 3 MiB) is a 413', () => {
  const LIMIT = 3 * 1024 * 1024;
  const big = daemonSet('big', { meta: { annotations: { blob: 'x'.repeat(LIMIT + 1024) } } });

  for (const version of VERSIONS) {
    it(`kubectl ${version} create and apply → RequestEntityTooLarge`, async () => {
      const file = manifest('big.yaml', big);
      for (const verb of ['create', 'apply']) {
        const res = await unchanged(() => kubectl(version, [verb, '-f', file]));
        assertFails(res, `Error from server (RequestEntityTooLarge): error when creating "${file}": Request entity too large: limit is ${LIMIT}`);
      }
    });
  }

  it('raw, with a Content-Length', async () => {
    const res = await unchanged(() => server.request('POST', DS_PATH, big));
    assertStatus(res, 413, 'RequestEntityTooLarge', `Request entity too large: limit is ${LIMIT}`);
  });

  it('raw, chunked (no Content-Length): still a 413 Status, not a dropped connection', async () => {
    const res = await unchanged(() => chunkedPost(DS_PATH, Buffer.from(JSON.stringify(big))));
    assertStatus(res, 413, 'RequestEntityTooLarge', `Request entity too large: limit is ${LIMIT}`);
  });

  it('a large body under the limit reaches validation: annotations over 256 KiB → 422', async () => {
    const obj = daemonSet('bigann', { meta: { annotations: { blob: 'x'.repeat(300 * 1024) } } });
    const file = manifest('bigann.yaml', obj);
    const res = await unchanged(() => kubectl('1.33', ['create', '-f', file]));
    assertFails(res, 'The DaemonSet "bigann" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes');
  });
});

/** A POST whose body is sent chunked, in 64 KiB pieces. */
function chunkedPost(path: string, body: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server.url),
      { method: 'POST', agent: new Agent({ ca: server.ca }), headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

// ---- queries and authentication ------------------------------------------------------------------

describe('bad list queries', () => {
  for (const version of VERSIONS) {
    it(`kubectl ${version}: an unparsable label selector → 400 from the server`, async () => {
      const res = await kubectl(version, ['get', 'ds', '-l', 'name in (fluentd']);
      assertFails(
        res,
        `Error from server (BadRequest): Unable to find "apps/v1, Resource=daemonsets" that match label selector "name in (fluentd", field selector "": unable to parse requirement: found '', expected: ',' or ')'`,
      );
    });

    it(`kubectl ${version}: an unsupported field selector → 400 (wording depends on the kind, as upstream)`, async () => {
      assertFails(
        await kubectl(version, ['get', 'ds', '--field-selector', 'spec.foo=bar']),
        `Error from server (BadRequest): Unable to find "apps/v1, Resource=daemonsets" that match label selector "", field selector "spec.foo=bar": "spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
      assertFails(
        await kubectl(version, ['get', 'pods', '--field-selector', 'spec.foo=bar']),
        `Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.foo=bar": field label not supported: spec.foo`,
      );
      const good = await kubectl(version, ['get', 'ds', '--field-selector', 'metadata.name=fluentd', '-o', 'name']);
      assert.equal(good.stdout, 'daemonset.apps/fluentd\n');
    });
  }

  it('raw: bad selectors on list and watch → 400 BadRequest Status', async () => {
    const cases: [string, string][] = [
      [`${DS_PATH}?labelSelector=${encodeURIComponent('name in (fluentd')}`, "unable to parse requirement: found '', expected: ',' or ')'"],
      [`${DS_PATH}?labelSelector=${encodeURIComponent('a=b c')}`, "found 'c', expected: ',' or 'end of string'"],
      [`${DS_PATH}?fieldSelector=${encodeURIComponent('spec.foo=bar')}`, '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"'],
      [`/api/v1/nodes?fieldSelector=${encodeURIComponent('spec.foo=bar')}`, 'field label not supported: spec.foo'],
      [`${DS_PATH}?watch=true&labelSelector=${encodeURIComponent('name in (fluentd')}`, "unable to parse requirement: found '', expected: ',' or ')'"],
    ];
    for (const [path, message] of cases) assertStatus(await server.request('GET', path), 400, 'BadRequest', message);
  });
});

describe('authentication', () => {
  it('no token and a wrong token → 401 Unauthorized Status; nothing is created', async () => {
    const none = await unchanged(() => server.request('POST', DS_PATH, daemonSet('anon'), {}, false));
    assertStatus(none, 401, 'Unauthorized', 'Unauthorized');
    const wrong = await unchanged(() => server.request('GET', DS_PATH, undefined, { Authorization: 'Bearer not-the-token' }, false));
    assertStatus(wrong, 401, 'Unauthorized', 'Unauthorized');
  });

  it('kubectl with a wrong token → "You must be logged in to the server (Unauthorized)"', async () => {
    const cfg = YAML.parse(readFileSync(server.kubeconfig, 'utf8')) as Obj;
    cfg.users[0].user.token = 'not-the-token';
    const kubeconfig = manifest('wrong-token.kubeconfig', cfg);
    const res = await server.kubectl('1.33', ['--kubeconfig', kubeconfig, 'get', 'ds']);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^error: You must be logged in to the server \(Unauthorized\)\n$/m);
  });
});

// ---- the good path still works after all of the above ----------------------------------------------

describe('server-side apply', () => {
  for (const version of VERSIONS) {
    it(`kubectl ${version} apply --server-side creates, then applies a change`, async () => {
      const name = `ssa-${version.replace('.', '-')}`;
      const file = manifest(`${name}.yaml`, daemonSet(name));
      const first = await kubectl(version, ['apply', '--server-side', '-f', file]);
      assert.equal(first.stderr, '');
      assert.equal(first.stdout, `daemonset.apps/${name} serverside-applied\n`);
      const created = await getDs(name);
      const changed = daemonSet(name);
      changed.spec.template.spec.containers[0].image = 'fluentd:v1.17';
      manifest(`${name}.yaml`, changed);
      const second = await kubectl(version, ['apply', '--server-side', '-f', file]);
      assert.equal(second.stderr, '');
      assert.equal(second.stdout, `daemonset.apps/${name} serverside-applied\n`);
      const updated = await getDs(name);
      assert.equal(updated.metadata.uid, created.metadata.uid);
      assert.equal(updated.spec.template.spec.containers[0].image, 'fluentd:v1.17');
      assert.ok(Number(updated.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
      assert.equal(updated.metadata.generation, 2);
    });
  }

  it('server-side apply of an invalid object is rejected like any write', async () => {
    const file = manifest('ssa-bad.yaml', daemonSet('ssa-bad', { selector: { name: 'fluentd' }, labels: { name: 'other' } }));
    const res = await unchanged(() => kubectl('1.33', ['apply', '--server-side', '-f', file]));
    assertFails(res, invalidMessage('ssa-bad', [SELECTOR_MISMATCH]));
  });
});
