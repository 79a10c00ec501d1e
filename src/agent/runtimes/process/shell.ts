// Quoting for the small sh scripts the process runtime runs around a container's command.

/** `s` as one sh word: single-quoted, with embedded single quotes closed, escaped and reopened. */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_\/.,:=+@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** One sh command line from its words. */
export const shellLine = (...words: string[]): string => words.map(shellQuote).join(' ');
