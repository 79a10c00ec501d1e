// Unknown-field detection, as upstream's strict decoding does it: walks a decoded object along
// the kind's OpenAPI schema, removes fields the schema does not know and names them by path
// (`spec.template.spec.containers[0].imagex`). The caller decides, from `fieldValidation`,
// whether that is an error (Strict), a warning (Warn) or nothing (Ignore).
import { isPlainObject, type KObject } from '../api/object.js';
import type { ResourceDef } from '../api/registry-types.js';

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
};

export type FieldChecker = (def: ResourceDef, obj: KObject) => string[];

const REF = '#/components/schemas/';

export function createFieldChecker(schemas: Record<string, Schema>): FieldChecker {
  const byKind = new Map<string, Schema>();
  for (const schema of Object.values(schemas)) {
    for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) byKind.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, schema);
  }
  const resolve = (s: Schema): Schema => {
    let cur = s;
    for (;;) {
      if (cur.$ref) cur = schemas[cur.$ref.slice(REF.length)] ?? {};
      else if (cur.allOf?.length === 1 && !cur.properties) cur = cur.allOf[0]!;
      else return cur;
    }
  };
  const walk = (value: unknown, schema: Schema, path: string, unknown: string[]): void => {
    const s = resolve(schema);
    if (s['x-kubernetes-preserve-unknown-fields']) return;
    if (Array.isArray(value)) {
      if (s.items) value.forEach((v, i) => walk(v, s.items!, `${path}[${i}]`, unknown));
      return;
    }
    if (!isPlainObject(value)) return;
    if (s.properties) {
      for (const key of Object.keys(value)) {
        const child = path ? `${path}.${key}` : key;
        const prop = s.properties[key];
        if (prop) walk(value[key], prop, child, unknown);
        else {
          unknown.push(child);
          delete value[key];
        }
      }
    } else if (isPlainObject(s.additionalProperties)) {
      for (const key of Object.keys(value)) walk(value[key], s.additionalProperties, `${path}[${key}]`, unknown);
    }
  };
  return (def, obj) => {
    const schema = byKind.get(`${def.group}/${def.version}/${def.kind}`);
    if (!schema) return [];
    const unknown: string[] = [];
    walk(obj, schema, '', unknown);
    return unknown;
  };
}
