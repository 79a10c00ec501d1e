// Field selectors (`?fieldSelector=spec.nodeName=n1,status.phase!=Failed`): only =, == and !=,
// terms in any order (kubectl sends them in Go map order), `\` escapes for `,` `=` and `\`.

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

export class FieldSelectorError extends Error {}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(text: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  return splitUnescaped(text, ',').map((term) => {
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term.replace(/\\./g, '\0\0'));
    if (!m) throw new FieldSelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    // Re-cut the original term at the same offsets (escapes were masked above).
    const field = term.slice(0, m[1]!.length).trim();
    const value = term.slice(m[1]!.length + m[2]!.length).trim();
    return { field: unescape(field), negate: m[2] === '!=', value: unescape(value) };
  });
}

/** `getField` returns the object's value for a supported field, or throws for an unsupported one. */
export function fieldSelectorMatches(reqs: FieldRequirement[], getField: (field: string) => string): boolean {
  return reqs.every((r) => (getField(r.field) === r.value) !== r.negate);
}
