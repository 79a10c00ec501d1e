// Build step: derive OpenAPI v3 component schemas for the kinds everynode serves from the
// `kubernetes-models` typings (which carry every field, its type and the upstream description as
// JSDoc), so `kubectl explain` has real schemas without upstream spec files living in this repo.
//
// Writes src/generated/openapi-schemas.json and the same file to dist/generated/, because
// src/apiserver/openapi.ts loads it relative to its own location (src/ under tsx, dist/ once built).
//
// Sources, per model file `<pkg>/<dirs>/<Name>.d.ts`:
// - the exported interface (or type alias): fields, optionality, JSDoc, string-literal enums;
// - the compiled validator `<pkg>/_schemas/<IoK8s...>.mjs`: the only place that still records
//   number formats (int32/int64/double) and string formats (byte), which the typings drop.
import ts from 'typescript';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const OUTPUTS = ['src/generated/openapi-schemas.json', 'dist/generated/openapi-schemas.json'];
const REF_PREFIX = '#/components/schemas/';

const packages = {
  api: packageRoot('kubernetes-models'),
  apimachinery: packageRoot('@kubernetes-models/apimachinery'),
};

/** The kinds everynode serves (and the request/response bodies around them). */
const ROOTS = [
  ...['Namespace', 'Node', 'Pod', 'Event'].flatMap((k) => [`api:v1/${k}`, `api:v1/${k}List`]),
  'api:v1/Binding',
  'api:policy/v1/Eviction',
  ...['DaemonSet', 'ControllerRevision'].flatMap((k) => [`api:apps/v1/${k}`, `api:apps/v1/${k}List`]),
  ...['Lease', 'LeaseList'].map((k) => `api:coordination.k8s.io/v1/${k}`),
  ...['PriorityClass', 'PriorityClassList'].map((k) => `api:scheduling.k8s.io/v1/${k}`),
  'apimachinery:apis/meta/v1/Status',
  'apimachinery:apis/meta/v1/DeleteOptions',
  'apimachinery:apis/meta/v1/Patch',
];

/**
 * Kinds whose typings do not extend TypeMeta (so carry no apiVersion/kind literals) but which
 * upstream still tags with a GVK. DeleteOptions is tagged once per served group-version.
 */
const EXTRA_GVKS = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status': () => [{ group: '', kind: 'Status', version: 'v1' }],
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': (servedGroupVersions) =>
    servedGroupVersions.map(({ group, version }) => ({ group, kind: 'DeleteOptions', version })),
};

/**
 * The two scalar unions, in the shape upstream's v3 documents give them. Neither has a `type`,
 * which is what makes `kubectl explain` print `<IntOrString>` / `<Quantity>` for fields using them.
 */
const SCALAR_UNIONS = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
};

function packageRoot(name) {
  return path.dirname(require.resolve(name));
}

function main() {
  const started = Date.now();
  const rootFiles = ROOTS.map((entry) => {
    const [pkg, rel] = entry.split(':');
    return path.join(packages[pkg], `${rel}.d.ts`);
  });
  const program = ts.createProgram(rootFiles, {
    noLib: true,
    types: [],
    noEmit: true,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const generator = new SchemaGenerator(program, checker);
  for (const file of rootFiles) generator.addModelFile(file);
  generator.tagExtraGvks();

  const schemas = sortKeysDeep(generator.schemas);
  const body = `${JSON.stringify({ source: modelsVersion(), schemas }, null, 1)}\n`;
  for (const out of OUTPUTS) {
    const target = path.join(repoRoot, out);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, body);
  }
  const ms = Date.now() - started;
  console.log(
    `gen-openapi: wrote ${Object.keys(schemas).length} schemas (${generator.kindCount()} kinds) to ${OUTPUTS.join(' and ')} in ${ms} ms`,
  );
}

function modelsVersion() {
  const version = JSON.parse(readFileSync(path.join(packages.api, 'package.json'), 'utf8')).version;
  return `kubernetes-models@${version}`;
}

class SchemaGenerator {
  constructor(program, checker) {
    this.program = program;
    this.checker = checker;
    /** @type {Record<string, object>} */
    this.schemas = {};
  }

  kindCount() {
    return Object.values(this.schemas).filter((s) => s['x-kubernetes-group-version-kind']).length;
  }

  /** Emits the model a root file exports (and everything it references). */
  addModelFile(file) {
    const sourceFile = this.program.getSourceFile(file);
    if (!sourceFile) throw new Error(`gen-openapi: cannot load ${file}`);
    const moduleSymbol = this.checker.getSymbolAtLocation(sourceFile);
    const exported = this.checker.getExportsOfModule(moduleSymbol).find((s) => /^IIoK8s/.test(s.name));
    if (!exported) throw new Error(`gen-openapi: ${file} exports no IIoK8s* model`);
    this.refFor(resolveAlias(this.checker, exported));
  }

  tagExtraGvks() {
    const served = new Map();
    for (const schema of Object.values(this.schemas)) {
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
        served.set(`${gvk.group}/${gvk.version}`, { group: gvk.group, version: gvk.version });
      }
    }
    const groupVersions = [...served.values()].sort((a, b) =>
      `${a.group}/${a.version}`.localeCompare(`${b.group}/${b.version}`),
    );
    for (const [name, gvks] of Object.entries(EXTRA_GVKS)) {
      if (this.schemas[name]) this.schemas[name]['x-kubernetes-group-version-kind'] = gvks(groupVersions);
    }
  }

  /** `{$ref}` to the named schema for a model symbol, emitting the schema on first use. */
  refFor(symbol) {
    const declaration = symbol.declarations?.[0];
    if (!declaration) throw new Error(`gen-openapi: no declaration for ${symbol.name}`);
    const model = describeModelFile(declaration.getSourceFile().fileName);
    if (!(model.name in this.schemas)) {
      this.schemas[model.name] = {}; // placeholder: models may reference themselves
      this.schemas[model.name] = this.modelSchema(declaration, model);
    }
    return { $ref: REF_PREFIX + model.name };
  }

  modelSchema(declaration, model) {
    const description = jsDocOf(declaration);
    const formats = readValidatorFormats(model.validatorFile);
    const withDescription = (schema) => (description ? { description, ...schema } : schema);

    if (ts.isTypeAliasDeclaration(declaration)) {
      if (SCALAR_UNIONS[model.name]) return withDescription(SCALAR_UNIONS[model.name]);
      return withDescription(this.typeSchema(declaration.type, formats.self, model.name));
    }
    if (!ts.isInterfaceDeclaration(declaration)) {
      throw new Error(`gen-openapi: ${model.name} is neither an interface nor a type alias`);
    }

    const typeMeta = this.typeMetaDescriptions(declaration);
    const properties = {};
    const required = [];
    let apiVersion;
    let kind;
    for (const member of declaration.members) {
      if (!ts.isPropertySignature(member) || !member.type) {
        throw new Error(`gen-openapi: unexpected member in ${model.name}`);
      }
      const field = propertyName(member);
      const isTypeMetaField = typeMeta && (field === 'apiVersion' || field === 'kind');
      if (isTypeMetaField && ts.isLiteralTypeNode(member.type) && ts.isStringLiteral(member.type.literal)) {
        if (field === 'apiVersion') apiVersion = member.type.literal.text;
        else kind = member.type.literal.text;
      }
      // apiVersion/kind are literals in the typings but plain optional strings on the wire.
      const schema = isTypeMetaField
        ? { type: 'string' }
        : this.typeSchema(member.type, formats.properties.get(field), `${model.name}.${field}`);
      properties[field] = describeField(schema, jsDocOf(member) ?? (isTypeMetaField ? typeMeta[field] : undefined));
      if (!member.questionToken && !isTypeMetaField) required.push(field);
    }

    const schema = withDescription({ properties, type: 'object' });
    if (Object.keys(properties).length === 0) delete schema.properties;
    if (required.length) schema.required = required;
    if (apiVersion && kind) {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      schema['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
    }
    return schema;
  }

  /** Descriptions of apiVersion/kind when the interface extends TypeMeta, else undefined. */
  typeMetaDescriptions(declaration) {
    for (const clause of declaration.heritageClauses ?? []) {
      for (const heritage of clause.types) {
        const symbol = this.checker.getSymbolAtLocation(heritage.expression);
        if (!symbol || symbol.name !== 'TypeMeta') continue;
        const typeMeta = resolveAlias(this.checker, symbol).declarations?.[0];
        const descriptions = {};
        for (const member of typeMeta?.members ?? []) descriptions[propertyName(member)] = jsDocOf(member);
        return descriptions;
      }
    }
    return undefined;
  }

  /** Schema for one TypeScript type node; `format` is what the validator records for that value. */
  typeSchema(node, format, where) {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return withFormat({ type: 'string' }, format);
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.NumberKeyword:
        // Kubernetes APIs use floats only where the validator says so (format double).
        return format === 'double' ? { format, type: 'number' } : withFormat({ type: 'integer' }, format);
      case ts.SyntaxKind.UnionType:
        return { enum: node.types.map((t) => stringLiteral(t, where)), type: 'string' };
      case ts.SyntaxKind.LiteralType:
        return { enum: [stringLiteral(node, where)], type: 'string' };
      case ts.SyntaxKind.TypeLiteral:
        return { additionalProperties: this.typeSchema(mapValueType(node, where), format, where), type: 'object' };
      case ts.SyntaxKind.TypeReference: {
        if (ts.isIdentifier(node.typeName) && node.typeName.text === 'Array') {
          const [item] = node.typeArguments ?? [];
          if (!item) throw new Error(`gen-openapi: untyped Array at ${where}`);
          return { items: this.typeSchema(item, format, where), type: 'array' };
        }
        const symbol = this.checker.getSymbolAtLocation(node.typeName);
        if (!symbol) throw new Error(`gen-openapi: cannot resolve ${node.typeName.getText()} at ${where}`);
        return this.refFor(resolveAlias(this.checker, symbol));
      }
      default:
        throw new Error(`gen-openapi: unsupported type ${ts.SyntaxKind[node.kind]} at ${where}`);
    }
  }
}

/** A field's schema with its description; a `$ref` cannot carry siblings, so it goes in allOf. */
function describeField(schema, description) {
  if (!description) return schema;
  if (schema.$ref) return { allOf: [schema], description };
  return { description, ...schema };
}

function withFormat(schema, format) {
  return format ? { format, ...schema } : schema;
}

function stringLiteral(node, where) {
  if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return node.literal.text;
  throw new Error(`gen-openapi: only string-literal unions are supported (at ${where})`);
}

/** `{ [key: string]: T }` → T. */
function mapValueType(node, where) {
  const [member] = node.members;
  if (node.members.length !== 1 || !ts.isIndexSignatureDeclaration(member) || !member.type) {
    throw new Error(`gen-openapi: unsupported object literal type at ${where}`);
  }
  return member.type;
}

function propertyName(member) {
  const name = member.name;
  if (ts.isStringLiteral(name) || ts.isIdentifier(name)) return name.text;
  throw new Error(`gen-openapi: computed property name ${name.getText()}`);
}

function resolveAlias(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The text of the `/** … *\/` comment right before a declaration, margins removed. */
function jsDocOf(node) {
  const sourceText = node.getSourceFile().text;
  const ranges = ts.getLeadingCommentRanges(sourceText, node.getFullStart()) ?? [];
  const doc = ranges.filter((r) => sourceText.startsWith('/**', r.pos)).at(-1);
  if (!doc) return undefined;
  const lines = sourceText
    .slice(doc.pos + 3, doc.end - 2)
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines.at(-1) === '') lines.pop();
  return lines.length ? lines.join('\n') : undefined;
}

/**
 * Where a model file lives decides its upstream schema name:
 *   kubernetes-models/apps/v1/DaemonSetSpec          → io.k8s.api.apps.v1.DaemonSetSpec
 *   kubernetes-models/v1/Pod                         → io.k8s.api.core.v1.Pod
 *   kubernetes-models/coordination.k8s.io/v1/Lease   → io.k8s.api.coordination.v1.Lease
 *   @kubernetes-models/apimachinery/apis/meta/v1/X   → io.k8s.apimachinery.pkg.apis.meta.v1.X
 * The package names its validator after the same upstream name (camel-cased), so a wrong
 * derivation fails loudly as a missing validator file.
 */
function describeModelFile(fileName) {
  for (const [pkg, root] of Object.entries(packages)) {
    const rel = path.relative(root, fileName);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const parts = rel.replace(/\.d\.ts$/, '').split(path.sep);
    const typeName = parts.pop();
    let prefix;
    if (pkg === 'apimachinery') prefix = ['io.k8s.apimachinery.pkg', ...parts];
    else if (parts.length === 1) prefix = ['io.k8s.api.core', ...parts];
    else prefix = ['io.k8s.api', parts[0].split('.')[0], ...parts.slice(1)];
    const name = [...prefix, typeName].join('.');
    const camel = name
      .split('.')
      .map((part) => part[0].toUpperCase() + part.slice(1))
      .join('');
    return { name, validatorFile: path.join(root, '_schemas', `${camel}.mjs`) };
  }
  throw new Error(`gen-openapi: ${fileName} is outside the model packages`);
}

/**
 * Reads the formats a compiled validator checks: `self` for a scalar model (Time → date-time),
 * and per top-level property the single format reachable from that property's validator.
 */
function readValidatorFormats(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`gen-openapi: missing validator ${file}`);
  }
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const formatOfVariable = new Map(); // formats0 → 'int32'
  const functions = new Map(); // validate21 → { formats: Set<var>, calls: [{ callee, property }] }
  let rootFunction;

  const visit = (node, current) => {
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.name) {
      current = node.name.text;
      if (!functions.has(current)) functions.set(current, { formats: new Set(), calls: [] });
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const format = formatsMember(node.initializer);
      if (format) formatOfVariable.set(node.name.text, format);
      if (node.name.text === 'validate' && ts.isFunctionExpression(node.initializer) && node.initializer.name) {
        rootFunction = node.initializer.name.text;
      }
    }
    if (current && ts.isIdentifier(node) && /^formats\d+$/.test(node.text)) {
      functions.get(current).formats.add(node.text);
    }
    if (current && ts.isCallExpression(node) && ts.isIdentifier(node.expression) && /^validate\d+$/.test(node.expression.text)) {
      functions.get(current).calls.push({ callee: node.expression.text, property: dataProperty(node.arguments[0]) });
    }
    ts.forEachChild(node, (child) => visit(child, current));
  };
  visit(sourceFile, undefined);

  const reachableFormats = (name, seen = new Set()) => {
    const fn = functions.get(name);
    if (!fn || seen.has(name)) return new Set();
    seen.add(name);
    const found = new Set([...fn.formats].map((v) => formatOfVariable.get(v)).filter(Boolean));
    for (const call of fn.calls) for (const f of reachableFormats(call.callee, seen)) found.add(f);
    return found;
  };
  const single = (set, where) => {
    if (set.size > 1) throw new Error(`gen-openapi: ${where} checks several formats: ${[...set].join(', ')}`);
    return set.values().next().value;
  };

  const root = functions.get(rootFunction);
  const properties = new Map();
  for (const call of root?.calls ?? []) {
    if (call.property) properties.set(call.property, single(reachableFormats(call.callee), `${file}#${call.property}`));
  }
  const self = root ? single(new Set([...root.formats].map((v) => formatOfVariable.get(v)).filter(Boolean)), file) : undefined;
  return { self, properties };
}

/** `formats.int32` / `formats["date-time"]` → the format name. */
function formatsMember(node) {
  return memberOf(node, 'formats');
}

/** `data.foo` / `data["foo"]` → 'foo'. */
function dataProperty(node) {
  return node ? memberOf(node, 'data') : undefined;
}

/** The member name of `<object>.name` or `<object>["name"]`, else undefined. */
function memberOf(node, object) {
  const isAccess = ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node);
  if (!isAccess || !ts.isIdentifier(node.expression) || node.expression.text !== object) return undefined;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  return ts.isStringLiteral(node.argumentExpression) ? node.argumentExpression.text : undefined;
}

/** Object keys in order (as upstream's documents have them), so the output is stable. */
function sortKeysDeep(value) {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeysDeep(value[key])]),
  );
}

main();
