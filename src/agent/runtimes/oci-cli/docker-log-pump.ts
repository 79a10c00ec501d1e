// Docker has no CRI log driver: its own log copy is read back with `docker logs --follow
// --timestamps` (stdout entries on the CLI's stdout, stderr entries on its stderr) and written as
// CRI lines. Resuming after an agent restart continues after the last line already in the file.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { CliInvocation } from './cli.js';
import type { LogPump } from './dialect.js';

/** `<time> <content>` as docker prints it → a CRI line (with its newline); undefined if malformed. */
export function criLineFromDocker(line: string, stream: 'stdout' | 'stderr'): { time: string; text: string } | undefined {
  const sp = line.indexOf(' ');
  const time = sp < 0 ? line : line.slice(0, sp);
  if (!/^\d{4}-\d\d-\d\dT/.test(time)) return undefined;
  return { time, text: `${time} ${stream} F ${sp < 0 ? '' : line.slice(sp + 1)}\n` };
}

/** An RFC 3339 UTC time with its fraction padded to nanoseconds, so that times compare as strings. */
export function timeKey(time: string): string {
  const m = /^([^.Z]+)(?:\.(\d+))?Z$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : time;
}

export function pumpDockerLogs(inv: CliInvocation, id: string, logPath: string, resume: boolean): LogPump {
  let child: ReturnType<typeof spawn> | undefined;
  let stopped = false;
  const done = (async () => {
    const after = resume ? await lastTime(logPath) : undefined;
    if (stopped) return;
    const out = createWriteStream(logPath, { flags: 'a' });
    const proc = spawn(inv.binary, [...inv.globalArgs, 'logs', '--follow', '--timestamps', ...(after ? ['--since', after] : []), id], {
      env: inv.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const copy = (input: NodeJS.ReadableStream, stream: 'stdout' | 'stderr'): Promise<void> =>
      new Promise((resolve) => {
        createInterface({ input })
          .on('line', (line) => {
            const cri = criLineFromDocker(line, stream);
            // --since is inclusive: lines already copied are skipped.
            if (cri && (after === undefined || timeKey(cri.time) > timeKey(after))) out.write(cri.text);
          })
          .on('close', resolve);
      });
    await Promise.all([copy(proc.stdout!, 'stdout'), copy(proc.stderr!, 'stderr'), new Promise((r) => proc.on('close', r))]);
    await new Promise<void>((resolve) => out.end(resolve));
  })().catch(() => undefined);
  return {
    done,
    stop() {
      stopped = true;
      child?.kill('SIGKILL');
    },
  };
}

/** The time of the last line in a CRI log file. */
async function lastTime(logPath: string): Promise<string | undefined> {
  try {
    const fh = await open(logPath, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      const lines = buf.toString().split('\n').filter((l) => l !== '');
      return lines[lines.length - 1]?.split(' ')[0];
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
