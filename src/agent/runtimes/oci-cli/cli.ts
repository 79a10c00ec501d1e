// Running the container CLI (podman or docker): one child process per call, output collected.
import { spawn } from 'node:child_process';

/** How every call of one runtime's CLI is made: the binary, global flags before the command, env. */
export interface CliInvocation {
  binary: string;
  globalArgs: string[];
  env: NodeJS.ProcessEnv;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliCallOptions {
  cwd?: string;
  /** Kill the call (SIGKILL) after this long; the result then has code -1 and `timedOut`. */
  timeoutMs?: number;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly result: CliResult,
  ) {
    super(message);
  }
}

/** Runs `binary ...globalArgs ...args`; resolves with whatever exit code it had. */
export function runCli(inv: CliInvocation, args: string[], opts: CliCallOptions = {}): Promise<CliResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    // stdin ignored: a CLI waiting on a pipe we never close would hang the call.
    const child = spawn(inv.binary, [...inv.globalArgs, ...args], { cwd: opts.cwd, env: inv.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, timedOut });
    });
  });
}

/** Runs the call and returns its stdout; a non-zero exit throws a CliError carrying the CLI's own message. */
export async function cliOutput(inv: CliInvocation, args: string[], opts: CliCallOptions = {}): Promise<string> {
  const r = await runCli(inv, args, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs} ms` : cliMessage(r.stderr) || `exit code ${r.code}`;
    throw new CliError(`${inv.binary} ${args[0]}: ${why}`, r);
  }
  return r.stdout;
}

/** The CLI's error text without its `Error: ` prefix and podman's logged warnings, on one line. */
export function cliMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^time=".*" level=(warning|info|debug)/.test(l))
    .map((l) => l.replace(/^Error(?: response from daemon)?:\s*/, ''))
    .join('; ');
}

/** Both CLIs say "no such container" (podman) / "No such container" (docker) for unknown ids. */
export function isNoSuchContainer(err: unknown): boolean {
  return err instanceof CliError && /no such (container|object)|no container with name or id/i.test(err.result.stderr);
}
