// Option parsers for commander: they throw InvalidArgumentError, which commander prints as
// `error: option '--x <v>' argument 'y' is invalid. <why>`.
import { InvalidArgumentError } from 'commander';
import { parseControllerList } from '../controllers/manager.js';

/** A whole number of 0 or more. */
export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

export function positiveInt(value: string): number {
  const n = wholeNumber(value);
  if (n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more.');
  return n;
}

/** Seconds (> 0) from a Kubernetes-style duration: `40s`, `2m`, `1m30s`, `500ms`, or a bare number of seconds. */
export function duration(value: string): number {
  if (/^\d+(\.\d+)?$/.test(value)) value = `${value}s`;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  const rest = value.replace(/(\d+(?:\.\d+)?)(ms|h|m|s)/g, (_, n: string, u: string) => {
    total += Number(n) * units[u]!;
    return '';
  });
  if (rest !== '' || value === '') throw new InvalidArgumentError('expected a duration such as 40s, 2m or 1m30s.');
  if (total <= 0) throw new InvalidArgumentError('expected a duration longer than zero.');
  return total;
}

export function controllerList(value: string): Set<string> {
  try {
    return parseControllerList(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}
