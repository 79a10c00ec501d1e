// Field errors in the form the Kubernetes API reports them: one per bad field, with its path,
// a machine reason (the Status cause `reason`) and the human text kubectl prints after the path.

export type FieldErrorType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound';

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with indices, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  /** What kubectl prints after `field: `, e.g. `Invalid value: "x": must be ...`. */
  message: string;
}

/** Builds child paths: `path('spec').child('containers').index(0).child('image').toString()`. */
export class FieldPath {
  private constructor(private readonly text: string) {}
  static root(name: string): FieldPath {
    return new FieldPath(name);
  }
  child(name: string): FieldPath {
    return new FieldPath(this.text ? `${this.text}.${name}` : name);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }
  toString(): string {
    return this.text;
  }
}

/** Go's %#v-like rendering used in Kubernetes error texts: strings quoted, numbers bare. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function invalid(field: FieldPath | string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: String(field), message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

export function required(field: FieldPath | string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field: String(field), message: detail ? `Required value: ${detail}` : 'Required value' };
}

export function notSupported(field: FieldPath | string, value: unknown, supported: string[]): FieldError {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { type: 'FieldValueNotSupported', field: String(field), message: `Unsupported value: ${formatValue(value)}: supported values: ${list}` };
}

export function forbidden(field: FieldPath | string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field: String(field), message: `Forbidden: ${detail}` };
}

export function duplicate(field: FieldPath | string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field: String(field), message: `Duplicate value: ${formatValue(value)}` };
}

/** Upstream leaves the (possibly huge) value out of this message. */
export function tooLong(field: FieldPath | string, max: number): FieldError {
  return { type: 'FieldValueTooLong', field: String(field), message: `Too long: may not be more than ${max} bytes` };
}

export function typeInvalid(field: FieldPath | string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field: String(field), message: `Invalid value: ${formatValue(value)}: ${detail}` };
}
