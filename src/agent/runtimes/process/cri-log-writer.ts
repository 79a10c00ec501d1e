// Writes a container's CRI-format log file (`<RFC3339Nano> <stream> <F|P> <text>` per line, as
// containerd writes them and src/agent/cri-log.ts reads them), rotating it by size the way the
// kubelet's containerLogMaxSize/containerLogMaxFiles do: past `maxBytes` the file is renamed to
// `<path>.1` (older ones shift to `.2`...; at most `maxFiles` files in all) and a new one started.
import { appendFileSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LogRotation {
  maxBytes: number;
  /** Files kept, the current one included (>= 1). */
  maxFiles: number;
}

/** containerd splits longer lines into partial (`P`) entries of this size. */
export const MAX_LINE_BYTES = 16 * 1024;

const NS_PER_MS = 1_000_000n;
const wallAtStart = BigInt(Date.now()) * NS_PER_MS;
const monotonicAtStart = process.hrtime.bigint();

/** Now in RFC 3339 with nanoseconds, trailing zeros dropped as Go's RFC3339Nano prints it. */
export function criTimestamp(now: bigint = wallAtStart + (process.hrtime.bigint() - monotonicAtStart)): string {
  const seconds = new Date(Number(now / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  const fraction = (now % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${seconds}${fraction ? '.' + fraction : ''}Z`;
}

export type LogStream = 'stdout' | 'stderr';

/** The CRI entries for `line` (without its newline): `partial` when no newline ended it yet. */
export function criEntries(timestamp: string, stream: LogStream, line: Buffer, partial: boolean): Buffer[] {
  const entries: Buffer[] = [];
  for (let at = 0; at < line.length || entries.length === 0; at += MAX_LINE_BYTES) {
    const chunk = line.subarray(at, at + MAX_LINE_BYTES);
    const last = at + MAX_LINE_BYTES >= line.length;
    entries.push(Buffer.concat([Buffer.from(`${timestamp} ${stream} ${last && !partial ? 'F' : 'P'} `), chunk, Buffer.from('\n')]));
  }
  return entries;
}

export class CriLogWriter {
  private size: number;

  constructor(
    readonly path: string,
    private readonly rotation: LogRotation,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      this.size = statSync(path).size;
    } catch {
      this.size = 0;
    }
  }

  /** Appends the entries, starting a new file between two of them when the current one is full. */
  append(entries: Buffer[]): void {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    const flush = (): void => {
      if (batchBytes === 0) return;
      appendFileSync(this.path, Buffer.concat(batch, batchBytes));
      this.size += batchBytes;
      batch = [];
      batchBytes = 0;
    };
    for (const e of entries) {
      if (this.size + batchBytes > 0 && this.size + batchBytes + e.length > this.rotation.maxBytes) {
        flush();
        this.rotate();
      }
      batch.push(e);
      batchBytes += e.length;
    }
    flush();
  }

  private rotate(): void {
    const rotated = (i: number): string => `${this.path}.${i}`;
    const move = (from: string, to: string): void => {
      try {
        renameSync(from, to);
      } catch {
        // nothing to shift there yet
      }
    };
    if (this.rotation.maxFiles <= 1) {
      unlinkSync(this.path);
    } else {
      for (let i = this.rotation.maxFiles - 1; i >= 2; i--) move(rotated(i - 1), rotated(i));
      move(this.path, rotated(1));
    }
    this.size = 0;
  }
}
