// A ContainerRuntime over a docker-compatible CLI (podman or docker; their differences are in a
// dialect). One container per start: `create` (named and labelled after pod, container and
// attempt, see container-identity.ts) then `start`; exits are watched through the CLI's event
// stream; `inspect` tells exit code, OOM kill and times. Files a pod needs on the host (emptyDir
// volumes, termination-message files) live in `<state dir>/<runtime>/pods/<pod uid>`.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import type {
  ContainerExit,
  ContainerHandle,
  ContainerRequest,
  ContainerRuntime,
  ExecResult,
  RunningContainer,
} from '../../container-runtime.js';
import { normalizeImage, parseImageRef } from '../../image-ref.js';
import { CliError, cliMessage, cliOutput, isNoSuchContainer, runCli } from './cli.js';
import { containerExit, isoTime, unknownExit } from './container-exit.js';
import { containerLabels, containerName, LABEL, ownerOf } from './container-identity.js';
import { createArgs } from './create-args.js';
import type { LogPump, OciCliDialect } from './dialect.js';
import { ExitWatcher } from './exit-watcher.js';
import { inspectContainer, inspectContainers, inspectImage, type ContainerInfo, type ImageInfo } from './inspect.js';
import { ContainerStartError } from './start-error.js';
import { resolveMounts } from './volumes.js';

const PULL_TIMEOUT_MS = 5 * 60_000;
/** How long an exited container's log copy may take to drain (docker only). */
const LOG_DRAIN_MS = 5_000;

export class OciCliRuntime implements ContainerRuntime {
  readonly name: string;
  private cliVersion = 'unknown';
  private readonly stateDir: string;
  private readonly exits: ExitWatcher;
  /** Log copies of running containers, by raw id (docker). */
  private readonly pumps = new Map<string, LogPump>();
  private prepared: Promise<void> | undefined;

  constructor(
    private readonly dialect: OciCliDialect,
    stateDir: string,
  ) {
    this.name = dialect.name;
    this.stateDir = resolve(stateDir);
    this.exits = new ExitWatcher(dialect.invocation, dialect.exitEvents);
  }

  /** The CLI's version once `check()` has run, `unknown` before. */
  get version(): string {
    return this.cliVersion;
  }

  async check(): Promise<void> {
    await this.ready();
    this.cliVersion = await this.dialect.version();
  }

  async start(req: ContainerRequest): Promise<ContainerHandle> {
    await this.ready();
    const inv = this.dialect.invocation;
    if (!req.container.image) throw new ContainerStartError('CreateContainerConfigError', `container ${req.container.name} has no image`);
    const image = normalizeImage(req.container.image);
    const imageInfo = await this.ensureImage(req.container, image);
    const podDir = this.podDir(req.pod.metadata?.uid ?? '');
    const mounts = await resolveMounts(req, podDir, this.name);
    const messageFile = await this.createTerminationMessageFile(req, podDir);
    if (messageFile !== undefined) mounts.push({ source: messageFile, destination: req.container.terminationMessagePath!, readOnly: false });
    await mkdir(dirname(req.logPath), { recursive: true });
    const name = containerName(req);
    const args = createArgs({
      req,
      name,
      image,
      imageUser: imageInfo.user,
      labels: containerLabels(req, this.stateDir, messageFile),
      mounts,
      logArgs: this.dialect.logArgs(req.logPath),
      podHostname: this.dialect.podHostname,
    });
    const id = await this.create(args, name);
    let info: ContainerInfo | undefined;
    try {
      const created = await inspectContainer(inv, id);
      await cliOutput(inv, ['start', id], { cwd: created && this.dialect.startDir(created) });
      info = await inspectContainer(inv, id);
    } catch (err) {
      await this.removeQuietly(id);
      throw new ContainerStartError('RunContainerError', errorText(err));
    }
    if (!info) throw new ContainerStartError('RunContainerError', `container ${name} disappeared right after it started`);
    if (this.dialect.pumpLogs) this.pumps.set(id, this.dialect.pumpLogs(id, req.logPath, false));
    return this.handle(info, image, imageID(image, imageInfo));
  }

  async wait(id: string): Promise<ContainerExit> {
    await this.ready();
    const raw = this.rawId(id);
    await this.exits.waitForExit(raw);
    const pump = this.pumps.get(raw);
    if (pump) {
      await Promise.race([pump.done, new Promise((r) => setTimeout(r, LOG_DRAIN_MS).unref())]);
      pump.stop();
      this.pumps.delete(raw);
    }
    const info = await inspectContainer(this.dialect.invocation, raw);
    return info ? containerExit(info) : unknownExit();
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    await this.ready();
    const grace = Math.max(0, Math.ceil(graceSeconds));
    try {
      await cliOutput(this.dialect.invocation, ['stop', '-t', String(grace), this.rawId(id)], { timeoutMs: (grace + 60) * 1000 });
    } catch (err) {
      if (!isNoSuchContainer(err)) throw err;
    }
  }

  async exec(id: string, command: string[], timeoutSeconds: number): Promise<ExecResult> {
    await this.ready();
    const r = await runCli(this.dialect.invocation, ['exec', this.rawId(id), ...command], { timeoutMs: timeoutSeconds * 1000 });
    if (r.timedOut) throw new Error(`command ${JSON.stringify(command)} timed out after ${timeoutSeconds}s`);
    return { exitCode: r.code, output: r.stdout + r.stderr };
  }

  async remove(id: string): Promise<void> {
    await this.ready();
    const raw = this.rawId(id);
    this.pumps.get(raw)?.stop();
    this.pumps.delete(raw);
    const info = await inspectContainer(this.dialect.invocation, raw);
    await this.removeQuietly(raw, true);
    const messageFile = info?.labels[LABEL.terminationMessageFile];
    if (messageFile) await rm(messageFile, { force: true });
  }

  async listRunning(): Promise<RunningContainer[]> {
    await this.ready();
    const inv = this.dialect.invocation;
    const out = await cliOutput(inv, ['ps', '--quiet', '--no-trunc', '--filter', `label=${LABEL.owner}=${this.stateDir}`]);
    const ids = out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const found: RunningContainer[] = [];
    for (const info of await inspectContainers(inv, ids)) {
      const owner = ownerOf(info.labels);
      if (!owner || !info.running) continue;
      const logPath = info.labels[LABEL.logPath];
      if (this.dialect.pumpLogs && logPath && !this.pumps.has(info.id)) this.pumps.set(info.id, this.dialect.pumpLogs(info.id, logPath, true));
      const image = info.imageName ? normalizeImage(info.imageName) : '';
      const imageInfo = image ? await inspectImage(inv, image).catch(() => undefined) : undefined;
      found.push({ ...owner, handle: this.handle(info, image, imageInfo ? imageID(image, imageInfo) : info.imageId) });
    }
    return found;
  }

  /** Removes what the runtime kept on the host for a pod (emptyDir volumes, termination-message files). */
  async removePod(podUid: string): Promise<void> {
    if (podUid === '') return;
    await rm(this.podDir(podUid), { recursive: true, force: true });
  }

  /** Stops the runtime's helper processes (event stream, log copies); containers keep running. */
  close(): void {
    this.exits.close();
    for (const p of this.pumps.values()) p.stop();
    this.pumps.clear();
  }

  private ready(): Promise<void> {
    this.prepared ??= this.dialect.prepare().catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  private podDir(podUid: string): string {
    return join(this.stateDir, this.name, 'pods', podUid);
  }

  private rawId(id: string): string {
    const prefix = `${this.name}://`;
    if (!id.startsWith(prefix)) throw new Error(`${id} is not a ${this.name} container id`);
    return id.slice(prefix.length);
  }

  private handle(info: ContainerInfo, image: string, imageID: string): ContainerHandle {
    return { id: `${this.name}://${info.id}`, startedAt: isoTime(info.startedAt) ?? new Date().toISOString(), image, imageID };
  }

  /** The kubelet's pull policy; pulling goes through the CLI (and fails where no registry is reachable). */
  private async ensureImage(container: Container, image: string): Promise<ImageInfo> {
    const inv = this.dialect.invocation;
    const policy = container.imagePullPolicy ?? defaultPullPolicy(image);
    if (policy !== 'Always') {
      const present = await inspectImage(inv, image);
      if (present) return present;
      if (policy === 'Never') {
        throw new ContainerStartError('ErrImageNeverPull', `Container image "${container.image}" is not present with pull policy of Never`);
      }
    }
    try {
      await cliOutput(inv, ['pull', '--quiet', image], { timeoutMs: PULL_TIMEOUT_MS });
    } catch (err) {
      throw new ContainerStartError('ErrImagePull', `failed to pull image "${image}": ${errorText(err)}`);
    }
    const pulled = await inspectImage(inv, image);
    if (!pulled) throw new ContainerStartError('ErrImagePull', `failed to pull image "${image}": not found after the pull`);
    return pulled;
  }

  /** `create`; a leftover container of the same name (same pod, container and attempt) is replaced. */
  private async create(args: string[], name: string, replaced = false): Promise<string> {
    try {
      const out = await cliOutput(this.dialect.invocation, args);
      return out.trim().split('\n').pop()!.trim();
    } catch (err) {
      if (!replaced && err instanceof CliError && /already in use|conflict/i.test(err.result.stderr)) {
        await this.removeQuietly(name, true);
        return this.create(args, name, true);
      }
      throw new ContainerStartError('CreateContainerError', errorText(err));
    }
  }

  private async removeQuietly(idOrName: string, rethrow = false): Promise<void> {
    try {
      await cliOutput(this.dialect.invocation, ['rm', '--force', idOrName]);
    } catch (err) {
      if (rethrow && !isNoSuchContainer(err)) throw err;
    }
  }

  /** An empty file the container can write its termination message into (kubelet: world-writable). */
  private async createTerminationMessageFile(req: ContainerRequest, podDir: string): Promise<string | undefined> {
    if (!req.container.terminationMessagePath) return undefined;
    const file = join(podDir, 'containers', req.container.name, `termination-log-${req.attempt}`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '');
    await chmod(file, 0o666);
    return file;
  }
}

/** Kubernetes' default: Always for `:latest` or no tag, IfNotPresent otherwise (the API server sets it too). */
function defaultPullPolicy(image: string): string {
  const ref = parseImageRef(image);
  return ref.digest === undefined && (ref.tag === undefined || ref.tag === 'latest') ? 'Always' : 'IfNotPresent';
}

/** A repo digest of the image's repository (what Kubernetes shows as imageID), else its id. */
function imageID(image: string, info: ImageInfo): string {
  const repo = parseImageRef(image).repository;
  return info.repoDigests.find((d) => d.startsWith(`${repo}@`)) ?? info.repoDigests[0] ?? info.id;
}

function errorText(err: unknown): string {
  return err instanceof CliError ? cliMessage(err.result.stderr) || err.message : (err as Error).message;
}
