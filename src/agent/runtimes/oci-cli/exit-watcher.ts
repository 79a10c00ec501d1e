// Waits for containers to exit with one `events` stream for all of them rather than one
// `podman wait` process each (~33 MB apiece). The stream is started before a container's state is
// checked and replays a few seconds back, so an exit between the two is not missed; it is
// restarted if it dies, stopped when nobody waits, and a slow poll backs it up.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CliInvocation } from './cli.js';
import { inspectContainers } from './inspect.js';

export interface ExitEvents {
  /** Arguments of the CLI's `events` command streaming container exits since `since`. */
  args(since: Date): string[];
  /** The id of the container a line of that stream reports as exited. */
  exitedId(line: string): string | undefined;
}

const REPLAY_MS = 5_000;
const RESTART_DELAY_MS = 1_000;

export class ExitWatcher {
  private readonly waiters = new Map<string, Array<() => void>>();
  private stream: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly inv: CliInvocation,
    private readonly events: ExitEvents,
    private readonly pollMs = 30_000,
  ) {}

  /** Resolves once the container (full id) is not running, or no longer exists. */
  async waitForExit(id: string): Promise<void> {
    const exited = new Promise<void>((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
    this.ensureStream();
    await this.recheck([id]);
    return exited;
  }

  /** Stops the stream; pending waits stay pending. */
  close(): void {
    this.closed = true;
    this.stopStream();
  }

  private ensureStream(): void {
    if (this.stream || this.restartTimer || this.closed) return;
    const child = spawn(this.inv.binary, [...this.inv.globalArgs, ...this.events.args(new Date(Date.now() - REPLAY_MS))], {
      env: this.inv.env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.stream = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const id = this.events.exitedId(line);
      if (id !== undefined && this.waiters.has(id)) void this.recheck([id]);
    });
    child.on('error', () => undefined); // 'close' follows
    child.on('close', () => {
      if (this.stream !== child) return;
      this.stream = undefined;
      if (this.closed || this.waiters.size === 0) return;
      // Restarted a little later (a CLI that fails at once must not spin); the recheck covers the gap.
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.ensureStream();
        void this.recheck([...this.waiters.keys()]);
      }, RESTART_DELAY_MS);
    });
    if (!this.pollTimer) {
      this.pollTimer = setInterval(() => void this.recheck([...this.waiters.keys()]), this.pollMs);
      this.pollTimer.unref();
    }
  }

  private stopStream(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const s = this.stream;
    this.stream = undefined;
    s?.kill('SIGKILL');
  }

  /** Releases the waiters of containers that are not running any more. */
  private async recheck(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    let infos;
    try {
      infos = await inspectContainers(this.inv, ids);
    } catch {
      return; // the CLI failed: the stream or the next poll will tell
    }
    const running = new Set(infos.filter((i) => i.running).map((i) => i.id));
    for (const id of ids) {
      if (running.has(id)) continue;
      const resolvers = this.waiters.get(id);
      this.waiters.delete(id);
      for (const r of resolvers ?? []) r();
    }
    if (this.waiters.size === 0) this.stopStream();
  }
}
