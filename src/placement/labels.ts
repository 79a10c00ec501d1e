// Label selectors: the structured form in objects (matchLabels / matchExpressions) and the
// string form of `?labelSelector=` (`a=b,c!=d,e in (x,y),!f`). Pure; imports nothing of the rest.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

export type Labels = Record<string, string> | undefined;

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | '=' | '==' | '!=';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** A parsed selector: all requirements must hold. `null` means "matches nothing". */
export type Selector = Requirement[] | null;

export class SelectorParseError extends Error {}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels![r.key] : undefined;
  switch (r.operator) {
    case 'In':
    case '=':
    case '==':
      return has && r.values.includes(value!);
    case 'NotIn':
    case '!=':
      return !has || !r.values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false;
      const n = Number(value);
      const bound = Number(r.values[0]);
      return r.operator === 'Gt' ? n > bound : n < bound;
    }
  }
}

export function selectorMatches(selector: Selector, labels: Labels): boolean {
  return selector !== null && selector.every((r) => requirementMatches(r, labels));
}

/**
 * Converts the structured form. An empty selector `{}` selects everything; an absent one
 * (`undefined`) selects nothing, as upstream's LabelSelectorAsSelector does.
 */
export function fromLabelSelector(sel: LabelSelector | undefined | null): Selector {
  if (!sel) return null;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, operator: '=', values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator as Operator;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(op)) throw new SelectorParseError(`"${e.operator}" is not a valid label selector operator`);
    reqs.push({ key: e.key, operator: op, values: [...(e.values ?? [])] });
  }
  return reqs;
}

export function labelSelectorMatches(sel: LabelSelector | undefined | null, labels: Labels): boolean {
  return selectorMatches(fromLabelSelector(sel), labels);
}

/** True for a present selector with no requirements: it selects every object. */
export function isEverythingSelector(sel: LabelSelector | undefined | null): boolean {
  return !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

function requirementString(r: Requirement): string {
  const values = [...r.values].sort();
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'In':
      return `${r.key} in (${values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${values.join(',')})`;
    case 'Gt':
      return `${r.key}>${values[0]}`;
    case 'Lt':
      return `${r.key}<${values[0]}`;
    default:
      return `${r.key}${r.operator}${values[0] ?? ''}`;
  }
}

/** The string form kubectl shows (SELECTOR column, describe): sorted by key; `<none>` if empty. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  if (!sel || isEverythingSelector(sel)) return '<none>';
  const reqs = fromLabelSelector(sel)!;
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map(requirementString).join(',');
}

/** `k=v,k2=v2` for a plain label map, sorted by key (kubectl's --show-labels style). */
export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}

// --- string form --------------------------------------------------------------------------

class Lexer {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  peek(s: string): boolean {
    this.skipSpace();
    return this.text.startsWith(s, this.pos);
  }
  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }
  done(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }
  /** A key or value: everything up to a delimiter. */
  word(): string {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.text.length && !/[\s,()=!<>]/.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }
  /** The next token as upstream's lexer would name it in an error: '' at the end of the text. */
  nextToken(): string {
    this.skipSpace();
    const c = this.text[this.pos] ?? '';
    if ('(),'.includes(c)) return c;
    const op = /^(!=|==|=|!|<|>)/.exec(this.text.slice(this.pos));
    if (op) return op[1]!;
    const start = this.pos;
    const word = this.word();
    this.pos = start;
    return word;
  }
  /** Errors inside one requirement carry upstream's prefix; errors between requirements do not. */
  fail(why: string, inRequirement = true): never {
    throw new SelectorParseError(inRequirement ? `unable to parse requirement: ${why}` : why);
  }
}

function parseValueSet(lx: Lexer): string[] {
  if (!lx.eat('(')) lx.fail(`found '${lx.nextToken()}' expected: '('`);
  const values: string[] = [];
  for (;;) {
    values.push(lx.word());
    if (lx.eat(')')) return values;
    if (!lx.eat(',')) lx.fail(`found '${lx.nextToken()}', expected: ',' or ')'`);
  }
}

function parseRequirement(lx: Lexer): Requirement {
  if (lx.eat('!')) {
    const key = lx.word();
    if (!key) lx.fail(`found '${lx.nextToken()}', expected: identifier`);
    return { key, operator: 'DoesNotExist', values: [] };
  }
  const key = lx.word();
  if (!key) lx.fail(`found '${lx.nextToken()}', expected: identifier`);
  if (lx.done() || lx.peek(',')) return { key, operator: 'Exists', values: [] };
  let operator: Operator;
  if (lx.eat('==')) operator = '==';
  else if (lx.eat('=')) operator = '=';
  else if (lx.eat('!=')) operator = '!=';
  else if (lx.eat('>')) operator = 'Gt';
  else if (lx.eat('<')) operator = 'Lt';
  else {
    const word = lx.word();
    if (word === 'in') return { key, operator: 'In', values: parseValueSet(lx) };
    if (word === 'notin') return { key, operator: 'NotIn', values: parseValueSet(lx) };
    lx.fail(`found '${word}', expected: in, notin, =, ==, !=, gt, lt`);
  }
  const value = lx.word();
  if ((operator === 'Gt' || operator === 'Lt') && !/^-?\d+$/.test(value)) lx.fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
  return { key, operator, values: [value] };
}

/** Parses `?labelSelector=`. The empty string selects everything. */
export function parseSelector(text: string): Requirement[] {
  const lx = new Lexer(text);
  const reqs: Requirement[] = [];
  if (lx.done()) return reqs;
  for (;;) {
    reqs.push(parseRequirement(lx));
    if (lx.done()) return reqs;
    if (!lx.eat(',')) lx.fail(`found '${lx.nextToken()}', expected: ',' or 'end of string'`, false);
  }
}
