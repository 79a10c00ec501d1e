// Starts a real `everynode server` process for a test: random free port, temporary data dir,
// stopped by PID at the end. Also runs the real kubectl (a chosen version) against it.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Agent, request } from 'node:https';
import YAML from 'yaml';

const ROOT = new URL('../..', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');

/**
 * Flags for tests of the API server alone: only the namespace controller runs, so nothing else
 * writes in the background (no leader lease renewals, no DaemonSet status, no events).
 */
export const API_ONLY = ['--controllers', 'namespace'];

export const KUBECTL_DIR = dirname(realpathSync(execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim()));

export class TestServer {
  proc: ChildProcess | undefined;
  url = '';
  readonly dataDir: string;
  private readonly cacheDir: string;
  private stderr = '';
  /** Extra node flags for the server process (e.g. --cpu-prof for a benchmark). */
  nodeArgs: string[] = [];
  /** Server flags, reused by launch() after a kill. */
  args: string[] = [];

  private constructor(dataDir?: string) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'everynode-test-'));
    this.cacheDir = mkdtempSync(join(tmpdir(), 'everynode-kubectl-cache-'));
  }

  static async start(opts: { dataDir?: string; args?: string[]; nodeArgs?: string[] } = {}): Promise<TestServer> {
    const s = new TestServer(opts.dataDir);
    s.nodeArgs = opts.nodeArgs ?? [];
    s.args = opts.args ?? [];
    await s.launch();
    return s;
  }

  get kubeconfig(): string {
    return join(this.dataDir, 'admin.kubeconfig');
  }

  get token(): string {
    const cfg = YAML.parse(readFileSync(this.kubeconfig, 'utf8')) as { users: { user: { token: string } }[] };
    return cfg.users[0]!.user.token;
  }

  get ca(): string {
    return readFileSync(join(this.dataDir, 'pki', 'ca.crt'), 'utf8');
  }

  /** Starts the process and waits for its "listening" log line. */
  async launch(args: string[] = this.args): Promise<void> {
    this.stderr = '';
    const proc = spawn(process.execPath, [...this.nodeArgs, MAIN, 'server', '--data-dir', this.dataDir, '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start within 30 s:\n${this.stderr}`)), 30_000);
      proc.stderr!.on('data', (chunk: Buffer) => {
        this.stderr += chunk.toString();
        const m = /"url":"(https:[^"]+)"/.exec(this.stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${this.stderr}`));
      });
    });
  }

  get logs(): string {
    return this.stderr;
  }

  /** SIGTERM and wait; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return p?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    p.kill('SIGTERM');
    return exited;
  }

  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await exited;
  }

  /** Stops the process and removes its folders. */
  async destroy(): Promise<void> {
    await this.kill9();
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.cacheDir, { recursive: true, force: true });
  }

  /** Runs `kubectl.<version>` (e.g. '1.33') with this server's kubeconfig and a private cache. */
  kubectl(version: string, args: string[], opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve) => {
      const proc = spawn(join(KUBECTL_DIR, `kubectl.${version}`), ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], {
        env: { ...process.env, ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      proc.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      proc.stdin.end(opts.input ?? '');
    });
  }

  /** Starts `kubectl.<version>` in the background (e.g. `get -w`); the caller reads its output and kills it by PID. */
  spawnKubectl(version: string, args: string[]): ChildProcess {
    return spawn(join(KUBECTL_DIR, `kubectl.${version}`), ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** A raw HTTPS request with the admin token (or none). */
  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, withToken = true): Promise<RawResponse> {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const url = new URL(path, this.url);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: new Agent({ ca: this.ca }),
          headers: {
            ...(withToken ? { Authorization: `Bearer ${this.token}` } : {}),
            ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: any;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}
