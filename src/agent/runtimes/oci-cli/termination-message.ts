// A terminated container's message, as the kubelet reads it: the file the container wrote at its
// terminationMessagePath (at most 4096 bytes), or — with FallbackToLogsOnError and a failure
// exit — the end of its log (the last 80 lines, at most 2048 bytes).
import { open } from 'node:fs/promises';

const MAX_MESSAGE_BYTES = 4096;
const FALLBACK_LINES = 80;
const FALLBACK_BYTES = 2048;

export async function terminationMessage(opts: {
  file: string | undefined;
  policy: string;
  exitCode: number;
  logPath: string | undefined;
}): Promise<string | undefined> {
  const fromFile = opts.file === undefined ? '' : await readHead(opts.file, MAX_MESSAGE_BYTES);
  if (fromFile !== '') return fromFile;
  if (opts.policy !== 'FallbackToLogsOnError' || opts.exitCode === 0 || opts.logPath === undefined) return undefined;
  const tail = logTail(await readTail(opts.logPath, 64 * 1024), FALLBACK_LINES, FALLBACK_BYTES);
  return tail === '' ? undefined : tail;
}

/** The content of the last `maxLines` lines of CRI-format log text, cut to the last `maxBytes`. */
export function logTail(criText: string, maxLines: number, maxBytes: number): string {
  let out = '';
  for (const line of criText.split('\n')) {
    // `<time> <stream> <P|F> <content>`: partial lines continue on the next entry.
    const m = /^\S+ (?:stdout|stderr) ([PF]) ?(.*)$/.exec(line);
    if (!m) continue;
    out += m[2] + (m[1] === 'F' ? '\n' : '');
  }
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const text = lines.slice(-maxLines).join('\n') + (lines.length > 0 ? '\n' : '');
  const bytes = Buffer.from(text);
  return bytes.length <= maxBytes ? text : bytes.subarray(bytes.length - maxBytes).toString();
}

async function readHead(path: string, max: number): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(max);
      const { bytesRead } = await fh.read(buf, 0, max, 0);
      return buf.subarray(0, bytesRead).toString();
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** The last `max` bytes of a file from a line start; '' if it cannot be read. */
export async function readTail(path: string, max: number): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - max);
      const buf = Buffer.alloc(size - start);
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      const text = buf.subarray(0, bytesRead).toString();
      // Drop a first line cut in the middle.
      return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}
