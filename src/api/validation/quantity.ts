// Kubernetes resource quantities ("100m", "1.5Gi", "1e3", "2k"): exact parsing, comparison and
// the canonical text the API server stores and prints ("1000m" -> "1", "1.5Gi" -> "1536Mi").
// Values are kept exact as a BigInt mantissa times a power of ten.

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** value = mantissa * 10^exponent (exact). `format` is the suffix family to print it back in. */
export interface Quantity {
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
}

export class QuantityError extends Error {}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

// number part, then suffix letters, then an optional signed integer (the exponent of e/E).
const SHAPE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*)([-+]?[0-9]*)$/;

/** Parses a quantity as JSON carries it (string, or a bare number). Throws QuantityError with upstream's text. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? String(input) : input;
  const m = text === '' ? null : SHAPE.exec(text);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  // Like upstream, missing digits read as zero ("m", "-" and "." all parse to 0).
  const [sign, whole, frac, letters, expDigits] = [m[1]!, m[2]!, m[3] ?? '', m[4]!, m[5]!];
  const suffix = letters + expDigits;
  let exponent = -frac.length;
  let mantissa = BigInt((whole || '0') + frac);
  let format: QuantityFormat;
  if (suffix in DECIMAL_SUFFIXES) {
    exponent += DECIMAL_SUFFIXES[suffix]!;
    format = 'DecimalSI';
  } else if (suffix in BINARY_SUFFIXES) {
    mantissa *= 1024n ** BigInt(BINARY_SUFFIXES[suffix]!);
    format = 'BinarySI';
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    exponent += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    throw new QuantityError(QUANTITY_SUFFIX_ERROR);
  }
  if (sign === '-') mantissa = -mantissa;
  // Upstream rounds anything finer than nano up (away from zero); tiny binary values print as decimal.
  let q = roundUp({ mantissa, exponent, format }, -9);
  if (q.format === 'BinarySI' && q.mantissa > 0n && compareQuantities(q, ONE) < 0) q = { ...q, format: 'DecimalSI' };
  return q;
}

/** The error text for a value that is not a valid quantity, or undefined when it parses. */
export function quantityError(input: unknown): string | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return QUANTITY_FORMAT_ERROR;
  try {
    parseQuantity(input);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const ONE: Quantity = { mantissa: 1n, exponent: 0, format: 'DecimalSI' };

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** Both mantissas brought to the smaller exponent, so they compare as integers. */
function aligned(a: Quantity, b: Quantity): [bigint, bigint] {
  const e = Math.min(a.exponent, b.exponent);
  return [a.mantissa * pow10(a.exponent - e), b.mantissa * pow10(b.exponent - e)];
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const [x, y] = aligned(a, b);
  return { mantissa: x + y, exponent: Math.min(a.exponent, b.exponent), format: a.format };
}

/** Rounds away from zero so that no digit remains below 10^scale. */
export function roundUp(q: Quantity, scale: number): Quantity {
  if (q.exponent >= scale) return q;
  const div = pow10(scale - q.exponent);
  const abs = q.mantissa < 0n ? -q.mantissa : q.mantissa;
  const rounded = (abs + div - 1n) / div;
  return { mantissa: q.mantissa < 0n ? -rounded : rounded, exponent: scale, format: q.format };
}

/** Value in thousandths, rounded up (upstream MilliValue); cpu is usually read this way. */
export function milliValue(q: Quantity): number {
  const r = roundUp(q, -3);
  return Number(r.mantissa * pow10(r.exponent + 3));
}

/** Integer value, rounded up (upstream Value); memory and storage are read this way, in bytes. */
export function integerValue(q: Quantity): number {
  const r = roundUp(q, 0);
  return Number(r.mantissa * pow10(r.exponent));
}

export function isInteger(q: Quantity): boolean {
  return compareQuantities(roundUp(q, 0), q) === 0;
}

/** Canonical text, as upstream serializes a quantity. */
export function formatQuantity(q: Quantity): string {
  const negative = q.mantissa < 0n;
  const abs: Quantity = { ...q, mantissa: negative ? -q.mantissa : q.mantissa };
  let format = q.format;
  if (format === 'BinarySI' && (compareQuantities(abs, { mantissa: 1024n, exponent: 0, format }) < 0 || !isInteger(abs))) {
    format = 'DecimalSI'; // small or fractional binary values would need rounding
  }
  const sign = negative ? '-' : '';
  if (format === 'BinarySI') {
    const whole = roundUp(abs, 0); // exact: abs is an integer here
    let n = whole.mantissa * pow10(whole.exponent);
    let power = 0;
    while (power < 6 && n % 1024n === 0n) {
      n /= 1024n;
      power++;
    }
    return `${sign}${n}${BINARY_BY_POWER[power]}`;
  }
  // Strip trailing zeros, then lower the exponent to a multiple of three.
  let { mantissa, exponent } = abs;
  if (mantissa === 0n) return '0';
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const drop = ((exponent % 3) + 3) % 3;
  mantissa *= pow10(drop);
  exponent -= drop;
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  while (exponent > 18) {
    mantissa *= 1000n;
    exponent -= 3;
  }
  return `${sign}${mantissa}${DECIMAL_BY_EXPONENT.get(exponent)}`;
}

/** Parse and print back canonically; throws QuantityError. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}
