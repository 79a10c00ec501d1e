// Measuring helpers for benchmarks: a fixed number of requests in flight with per-request
// latency, percentiles, timing, and a process's memory from /proc.
import { readFileSync } from 'node:fs';

export interface Run {
  count: number;
  elapsedMs: number;
  /** Per-task latency in ms, indexed by task. */
  latencies: Float64Array;
}

/**
 * Runs tasks 0..count-1 with exactly `concurrency` in flight (each worker starts its next
 * task the moment its previous one finishes) and records each task's latency.
 */
export async function inFlight(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<Run> {
  const latencies = new Float64Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      await task(i);
      latencies[i] = performance.now() - t0;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { count, elapsedMs: performance.now() - started, latencies };
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function ratePerSecond(run: Run): number {
  return run.count / (run.elapsedMs / 1000);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Resident memory of a process in MB: now (VmRSS) and peak (VmHWM). Linux only. */
export function processMemory(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** CPU time (user + system) a process has used so far, in ms. Linux only. */
export function processCpuMs(pid: number): number {
  // Fields after the command name (which may contain spaces); utime and stime are the 12th and 13th, in clock ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream architecture. */
const CLOCK_TICKS = 100;

/** Polls `done` every few ms until it is true or `timeoutMs` passes; returns whether it became true. */
export async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}
