// Copies what a container writes to its raw stdout/stderr files into its CRI log file.
//
// The container holds those raw files open itself (O_APPEND), so it never depends on the agent:
// an agent that stops or restarts cannot block it or kill it with SIGPIPE. The agent reads them
// behind it and stamps each line with the time it reads it — lines written while the agent was
// down get the time it catches up. Within one read, stdout's lines are written before stderr's.
// How far each file was converted is saved next to it, so a restarted agent resumes there (a
// crash between writing the log and saving the offsets may repeat the lines of one read).
// Converted bytes are freed by punching a hole in the raw file (it stays sparse, offsets stay
// valid); where the filesystem cannot, the raw file is truncated once fully read.
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { criEntries, criTimestamp, CriLogWriter, MAX_LINE_BYTES, type LogRotation, type LogStream } from './cri-log-writer.js';

const STREAMS: LogStream[] = ['stdout', 'stderr'];
const CHUNK = 256 * 1024;
/** At most this much is converted per stream per pump, so one busy container does not stall the agent. */
const MAX_PER_PUMP = 4 * 1024 * 1024;
const RECLAIM_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

export const rawLogPath = (dir: string, stream: LogStream): string => join(dir, stream);
const offsetsPath = (dir: string): string => join(dir, 'log-offsets.json');

type Offsets = Record<LogStream, number>;

function readOffsets(dir: string): Offsets {
  try {
    const o = JSON.parse(readFileSync(offsetsPath(dir), 'utf8')) as Partial<Offsets>;
    return { stdout: o.stdout ?? 0, stderr: o.stderr ?? 0 };
  } catch {
    return { stdout: 0, stderr: 0 };
  }
}

export class LogTailer {
  private readonly fds: Record<LogStream, number>;
  private readonly offsets: Offsets;
  private readonly reclaimed: Offsets = { stdout: 0, stderr: 0 };
  private readonly writer: CriLogWriter;
  private holesUnsupported = false;
  private closed = false;

  /** `dir` holds the raw `stdout` and `stderr` files; `fallocate` is the tool that punches holes. */
  constructor(
    private readonly dir: string,
    logPath: string,
    rotation: LogRotation,
    private readonly fallocate: string | undefined,
  ) {
    this.writer = new CriLogWriter(logPath, rotation);
    this.offsets = readOffsets(dir);
    this.fds = { stdout: openSync(rawLogPath(dir, 'stdout'), 'r'), stderr: openSync(rawLogPath(dir, 'stderr'), 'r') };
  }

  /** Converts what was written since the last pump (complete lines; long ones in 16 KiB parts). */
  pump(): void {
    this.convert(false);
  }

  /** The container is gone: converts everything left, an unfinished last line included, and closes. */
  finish(): void {
    if (this.closed) return;
    this.convert(true);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of STREAMS) closeSync(this.fds[s]);
  }

  private convert(final: boolean): void {
    if (this.closed) return;
    let moved = false;
    const timestamp = criTimestamp();
    for (const stream of STREAMS) {
      const data = this.read(stream);
      if (data.length === 0) continue;
      const entries: Buffer[] = [];
      let used = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, used)) {
        entries.push(...criEntries(timestamp, stream, data.subarray(used, nl), false));
        used = nl + 1;
      }
      // An unfinished line: written out in parts once it is long, or at the end.
      const rest = data.length - used;
      const take = final ? rest : rest - (rest % MAX_LINE_BYTES);
      if (take > 0) {
        entries.push(...criEntries(timestamp, stream, data.subarray(used, used + take), true));
        used += take;
      }
      if (used === 0) continue;
      this.writer.append(entries);
      this.offsets[stream] += used;
      moved = true;
    }
    if (!moved) return;
    this.saveOffsets();
    for (const stream of STREAMS) this.reclaim(stream);
  }

  private saveOffsets(): void {
    const tmp = offsetsPath(this.dir) + '.tmp';
    writeFileSync(tmp, JSON.stringify(this.offsets));
    renameSync(tmp, offsetsPath(this.dir));
  }

  private read(stream: LogStream): Buffer {
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(this.fds[stream], buf, 0, CHUNK, this.offsets[stream] + total);
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      total += n;
      if (total >= MAX_PER_PUMP) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Frees the disk space of what was converted, once there is enough of it. */
  private reclaim(stream: LogStream): void {
    const upTo = this.offsets[stream] - (this.offsets[stream] % 4096);
    if (upTo - this.reclaimed[stream] < RECLAIM_BYTES) return;
    const path = rawLogPath(this.dir, stream);
    if (!this.holesUnsupported && this.fallocate) {
      this.reclaimed[stream] = upTo;
      execFile(this.fallocate, ['--punch-hole', '--offset', '0', '--length', String(upTo), path], (err) => {
        if (err) this.holesUnsupported = true;
      });
      return;
    }
    // Without holes: start the raw file over, but only when all of it was read (a line written
    // between the read and the truncation would be lost: a window of microseconds).
    const fd = this.fds[stream];
    const probe = Buffer.allocUnsafe(1);
    if (readSync(fd, probe, 0, 1, this.offsets[stream]) !== 0) return;
    truncateSync(path, 0);
    this.offsets[stream] = 0;
    this.reclaimed[stream] = 0;
    this.saveOffsets();
  }
}
