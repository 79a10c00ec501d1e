// Decoding checks upstream's JSON decoder makes, done against the kind's OpenAPI schema:
// - a value of the wrong JSON type (a label `true`, `minReadySeconds: "ten"`) is an error,
//   reported like Go's decoder (`json: cannot unmarshal string into Go struct field
//   DaemonSetSpec.spec.minReadySeconds of type int32`);
// - fields the schema does not know are removed and named by path
//   (`spec.template.spec.containers[0].imagex`). The caller decides from `fieldValidation`
//   whether that is an error (Strict), a warning (Warn) or nothing (Ignore).
import { isPlainObject, type KObject } from '../api/object.js';
import type { ResourceDef } from '../api/registry-types.js';

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
};

export interface FieldCheck {
  unknown: string[];
  /** The first value of the wrong type, as Go's decoder words it. */
  typeError?: string;
}

export type FieldChecker = (def: ResourceDef, obj: KObject) => FieldCheck;

const REF = '#/components/schemas/';

function jsonTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // number, string, object
}

function goTypeName(s: Schema): string {
  if (s.type === 'integer') return s.format === 'int64' ? 'int64' : 'int32';
  if (s.type === 'number') return 'float64';
  if (s.type === 'boolean') return 'bool';
  if (s.type === 'array') return 'array';
  if (s.type === 'string') return 'string';
  return 'object';
}

export function createFieldChecker(schemas: Record<string, Schema>): FieldChecker {
  const byKind = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) byKind.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
  }
  /** Follows $ref / single allOf; returns the schema and the name of the last named schema. */
  const resolve = (s: Schema, name: string): [Schema, string] => {
    let cur = s;
    let curName = name;
    for (;;) {
      if (cur.$ref) {
        curName = cur.$ref.slice(REF.length);
        cur = schemas[curName] ?? {};
      } else if (cur.allOf?.length === 1 && !cur.properties) cur = cur.allOf[0]!;
      else return [cur, curName];
    }
  };
  const typeOk = (s: Schema, v: unknown): boolean => {
    if (v === null) return true; // null decodes to the zero value
    if (s.oneOf) return s.oneOf.some((alt) => typeOk(resolve(alt, '')[0], v));
    switch (s.type ?? (s.properties || s.additionalProperties ? 'object' : undefined)) {
      case 'string':
        return typeof v === 'string';
      case 'integer':
        return Number.isInteger(v);
      case 'number':
        return typeof v === 'number';
      case 'boolean':
        return typeof v === 'boolean';
      case 'array':
        return Array.isArray(v);
      case 'object':
        return isPlainObject(v);
      default:
        return true;
    }
  };

  return (def, obj) => {
    const rootName = byKind.get(`${def.group}/${def.version}/${def.kind}`);
    const check: FieldCheck = { unknown: [] };
    if (!rootName) return check;
    const walk = (value: unknown, schema: Schema, owner: string, path: string): void => {
      const [s, name] = resolve(schema, owner);
      if (s['x-kubernetes-preserve-unknown-fields']) return;
      if (!typeOk(s, value)) {
        check.typeError ??= `json: cannot unmarshal ${jsonTypeName(value)} into Go struct field ${owner.split('.').pop()}.${path} of type ${goTypeName(s)}`;
        return;
      }
      if (Array.isArray(value)) {
        if (s.items) value.forEach((v, i) => walk(v, s.items!, name, `${path}[${i}]`));
        return;
      }
      if (!isPlainObject(value)) return;
      if (s.properties) {
        for (const key of Object.keys(value)) {
          const child = path ? `${path}.${key}` : key;
          const prop = s.properties[key];
          if (prop) walk(value[key], prop, name, child);
          else {
            check.unknown.push(child);
            delete value[key];
          }
        }
      } else if (isPlainObject(s.additionalProperties)) {
        for (const key of Object.keys(value)) walk(value[key], s.additionalProperties, name, path);
      }
    };
    walk(obj, schemas[rootName]!, rootName, '');
    return check;
  };
}
