// Polling and kubectl-output helpers shared by the end-to-end tests.
import assert from 'node:assert/strict';
import type { KubectlResult } from './server.js';

/**
 * Calls `check` until it returns something other than undefined or false (errors count as
 * "not yet"); fails after `timeoutMs`, naming what it waited for and the last error.
 */
export async function eventually<T>(
  what: string | (() => string),
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const name = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The rows of a kubectl table (header dropped), cells split on runs of 2+ spaces. */
export function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s{2,}/));
}

/** Like tableRows, for a kubectl run that must have succeeded. */
export function rows(r: KubectlResult): string[][] {
  assert.equal(r.code, 0, r.stderr);
  return tableRows(r.stdout);
}
