// Human durations as the API server prints them in AGE, LAST SEEN and "(45s ago)" cells.
// Same steps as upstream's duration.HumanDuration: about two significant units, with the
// finer unit shown only while it still matters (5m30s, 7h15m, 3d4h, 2y10d).

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY_HOURS = 24;
const YEAR_DAYS = 365;

function withRemainder(whole: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${whole}${unit}` : `${whole}${unit}${rest}${restUnit}`;
}

/** Formats a duration given in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  // Up to a second of clock skew between machines still reads as "now"; more is nonsense.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * 60) return `${seconds}s`;

  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) return withRemainder(minutes, 'm', seconds % 60, 's');
  if (minutes < 3 * 60) return `${minutes}m`;

  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) return withRemainder(hours, 'h', minutes % 60, 'm');
  if (hours < 2 * DAY_HOURS) return `${hours}h`;

  const days = Math.trunc(hours / DAY_HOURS);
  if (days < 8) return withRemainder(days, 'd', hours % DAY_HOURS, 'h');
  if (days < 2 * YEAR_DAYS) return `${days}d`;

  const years = Math.trunc(days / YEAR_DAYS);
  if (years < 8) return withRemainder(years, 'y', days % YEAR_DAYS, 'd');
  return `${years}y`;
}

/** Parses an RFC 3339 timestamp (seconds or microseconds precision); undefined if unset or unreadable. */
export function parseTimestamp(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** Time elapsed since `ts`, or `<unknown>` when the timestamp is unset. */
export function timestampSince(ts: string | null | undefined, now: Date): string {
  const t = parseTimestamp(ts);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}
