// Runs a command to completion in its own process group, capturing its combined output (capped
// like the kubelet caps probe output), killing the whole group when it takes too long.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ExecResult } from '../../container-runtime.js';
import type { Launch } from './launch.js';
import { signalGroup } from './proc.js';

export const MAX_OUTPUT_BYTES = 10 * 1024;

export function runCaptured(launch: Launch, timeoutSeconds: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(launch.argv[0]!, launch.argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: launch.env, cwd: '/' });
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (c: Buffer): void => {
      if (size < MAX_OUTPUT_BYTES) chunks.push(c.subarray(0, MAX_OUTPUT_BYTES - size));
      size += c.length;
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    let timedOut = false;
    const timer =
      timeoutSeconds > 0
        ? setTimeout(() => {
            timedOut = true;
            if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
          }, timeoutSeconds * 1000)
        : undefined;
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // What the command left behind in its group goes with it (and with it the pipes it holds).
    child.once('exit', () => child.pid !== undefined && signalGroup(child.pid, 'SIGKILL'));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new Error(`command timed out after ${timeoutSeconds}s`));
      const exitCode = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0);
      resolve({ exitCode, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
