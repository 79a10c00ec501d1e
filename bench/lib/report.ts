// Printing for benchmarks: a progress line per phase and the final figure/target table.
import { cpus } from 'node:os';

export interface Figure {
  name: string;
  measured: string;
  /** Empty when the figure has no target (informational). */
  target: string;
  /** undefined: no target to meet. */
  ok?: boolean;
}

const started = performance.now();

export function progress(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[${s}s] ${message}`);
}

export function machineNote(): string {
  const c = cpus();
  return `${c.length} CPU core(s) (${c[0]?.model.trim() ?? 'unknown'}), shared by the benchmark client and the server; node ${process.version}`;
}

export function printTable(title: string, figures: Figure[]): void {
  const rows = [['figure', 'measured', 'target', 'ok?'], ...figures.map((f) => [f.name, f.measured, f.target || '-', f.ok === undefined ? '' : f.ok ? 'yes' : 'NO'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows.slice(1)) console.log(line(r));
}

export const fmt = {
  ms: (v: number): string => `${Math.abs(v) < 10 ? v.toFixed(2) : Math.abs(v) < 100 ? v.toFixed(1) : v.toFixed(0)} ms`,
  rate: (v: number): string => `${Math.round(v).toLocaleString('en-US')}/s`,
  mb: (v: number): string => `${Math.round(v)} MB`,
};
