// Reading a container's CRI-format log file (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` per
// line, see container-runtime.ts) as `kubectl logs` shows it: the text of each entry (a partial
// `P` entry without its newline), optionally prefixed with its timestamp, limited to the last
// lines, to entries since a time, or to a number of bytes; and, when following, the entries
// appended later — also after the file is rotated (renamed and recreated, or truncated) — until
// the container stops writing to it.
import { stat, open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
const SPACE = 0x20;

export interface CriEntry {
  timestamp: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  content: Buffer;
}

export interface CriLogOptions {
  follow: boolean;
  timestamps: boolean;
  /** Only the last N entries present when reading starts (0: none, only new ones when following). */
  tailLines?: number;
  /** Only entries at or after this time. */
  since?: Date;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Whether the container may still append to this file; following ends once it is false and the file is read. */
  stillWriting: () => boolean;
  /** Ends the read early (the client went away). */
  signal?: AbortSignal;
  /** How often a followed file is checked for new lines (ms). */
  pollMs?: number;
}

/** One line of a CRI log (without its newline), or undefined when it is not in that format. */
export function parseCriLine(line: Buffer): CriEntry | undefined {
  const s1 = line.indexOf(SPACE);
  const s2 = s1 < 0 ? -1 : line.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return undefined;
  let s3 = line.indexOf(SPACE, s2 + 1);
  if (s3 < 0) s3 = line.length; // an empty line may come without the space before its (empty) text
  const timestamp = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  const tag = line.subarray(s2 + 1, s3).toString('latin1');
  if ((stream !== 'stdout' && stream !== 'stderr') || Number.isNaN(Date.parse(timestamp))) return undefined;
  return { timestamp, stream, partial: tag.split(':')[0] === 'P', content: line.subarray(Math.min(s3 + 1, line.length)) };
}

/** The bytes `kubectl logs` shows for one entry. */
export function formatCriEntry(e: CriEntry, timestamps: boolean): Buffer {
  const parts: Buffer[] = [];
  if (timestamps) parts.push(Buffer.from(e.timestamp + ' '));
  parts.push(e.content);
  if (!e.partial) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** Offset of the first of the last `lines` complete lines in the first `size` bytes of the file. */
export async function tailOffset(fh: FileHandle, size: number, lines: number): Promise<number> {
  const buf = Buffer.alloc(CHUNK);
  let end = size;
  let lastNewline = -1;
  let seen = 0;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== NEWLINE) continue;
      const at = start + i;
      if (lastNewline < 0) {
        lastNewline = at; // the end of the last complete line; anything after it is still being written
        if (lines === 0) return at + 1;
        continue;
      }
      if (++seen === lines) return at + 1;
    }
    end = start;
  }
  return 0;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function writeOut(out: Writable, data: Buffer): Promise<void> {
  if (out.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/**
 * Copies the log at `path` (already opened as `fh`, which this closes) to `out` as `kubectl logs`
 * shows it. Resolves when done; does not end `out`.
 */
export async function streamCriLog(fh: FileHandle, path: string, out: Writable, opts: CriLogOptions): Promise<void> {
  const sinceMs = opts.since?.getTime();
  let remaining = opts.limitBytes ?? Infinity;
  let file = fh;
  let ino = (await file.stat()).ino;
  let position = opts.tailLines === undefined ? 0 : await tailOffset(file, (await file.stat()).size, opts.tailLines);
  let carry: Buffer = Buffer.alloc(0);
  const buf = Buffer.alloc(CHUNK);
  const stopped = (): boolean => remaining <= 0 || !!opts.signal?.aborted || out.destroyed;

  /** Reads to the current end of `file`, writing every complete line. */
  const drain = async (): Promise<void> => {
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      let data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
      let nl: number;
      while ((nl = data.indexOf(NEWLINE)) >= 0) {
        const entry = parseCriLine(data.subarray(0, nl));
        data = data.subarray(nl + 1);
        if (!entry || (sinceMs !== undefined && Date.parse(entry.timestamp) < sinceMs)) continue;
        let text = formatCriEntry(entry, opts.timestamps);
        if (text.length > remaining) text = text.subarray(0, remaining);
        remaining -= text.length;
        await writeOut(out, text);
        if (stopped()) return;
      }
      carry = Buffer.from(data);
    }
  };

  /** Switches to a new file at `path` (renamed away and recreated) or rewinds a truncated one. */
  const followRotation = async (): Promise<boolean> => {
    const now = await stat(path).catch(() => undefined);
    if (!now) return false; // between the rename and the new file
    if (now.ino !== ino) {
      await drain(); // what was written to the old file before the switch
      const next = await open(path, 'r');
      await file.close();
      file = next;
      ino = now.ino;
      position = 0;
      carry = Buffer.alloc(0);
      return true;
    }
    if (now.size < position) {
      position = 0;
      carry = Buffer.alloc(0);
      return true;
    }
    return false;
  };

  try {
    for (;;) {
      const live = opts.follow && opts.stillWriting();
      await drain();
      if (!live || stopped()) return;
      if (await followRotation()) continue;
      await sleep(opts.pollMs ?? 200, opts.signal);
      if (stopped()) return;
    }
  } finally {
    await file.close().catch(() => undefined);
  }
}
