// Starts `everynode agent` (`--simulate N`, or a real one for this host) against a TestServer for
// an e2e test, and stops it by PID. `wrapper` runs it through another command (e.g. `ip netns exec
// NS`, which execs the agent: the PID stays the agent's).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestServer } from './server.js';

const MAIN = join(new URL('../..', import.meta.url).pathname, 'dist/cli/main.js');

export class TestAgent {
  private out = '';

  private constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (c: Buffer) => (this.out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (this.out += c.toString()));
  }

  /**
   * Spawns the agent with the server's agent token (e.g. args `['--simulate', '5', '--ready-delay-ms', '100']`)
   * and waits until it watches pods (its nodes are registered by then).
   */
  static async start(server: TestServer, args: string[], timeoutMs = 30_000, wrapper: string[] = []): Promise<TestAgent> {
    const argv = [process.execPath, MAIN, 'agent', '--server', server.url, '--token-file', join(server.dataDir, 'agent-token'), ...args];
    const [command, ...rest] = [...wrapper, ...argv];
    const proc = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    const agent = new TestAgent(proc);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent did not start within ${timeoutMs} ms:\n${agent.out}`)), timeoutMs);
      const check = (): void => {
        if (!agent.out.includes('"msg":"watching pods"')) return;
        clearTimeout(timer);
        resolve();
      };
      proc.stderr!.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`agent exited with ${code}:\n${agent.out}`));
      });
    });
    return agent;
  }

  get logs(): string {
    return this.out;
  }

  /** SIGTERM and wait; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const p = this.proc;
    if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    p.kill('SIGTERM');
    return exited;
  }

  /** SIGKILL and wait for the exit (no-op if it already exited). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await exited;
  }
}
