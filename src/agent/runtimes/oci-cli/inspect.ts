// `inspect` output of both CLIs reduced to what the runtime reads. Podman and docker agree on
// most of it; where they differ (image name, id prefixes, the bundle dir) both forms are read.
import { CliError, cliOutput, isNoSuchContainer, type CliInvocation } from './cli.js';

export interface ContainerInfo {
  id: string;
  name: string;
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** The runtime's own error for a container that failed to start, '' otherwise. */
  error: string;
  startedAt: string;
  finishedAt: string;
  labels: Record<string, string>;
  imageName: string;
  /** `sha256:<hex>`. */
  imageId: string;
  /** Podman's per-container directory (the OCI bundle); conmon records OOM kills there. */
  bundleDir?: string;
}

export interface ImageInfo {
  /** `sha256:<hex>`. */
  id: string;
  repoDigests: string[];
  user: string;
}

export interface RawContainer {
  Id: string;
  Name?: string;
  State?: { Running?: boolean; ExitCode?: number; OOMKilled?: boolean; Error?: string; StartedAt?: string; FinishedAt?: string };
  Config?: { Labels?: Record<string, string> | null; Image?: string };
  ImageName?: string;
  Image?: string;
  StaticDir?: string;
}

interface RawImage {
  Id: string;
  RepoDigests?: string[] | null;
  Config?: { User?: string } | null;
}

/** Inspects containers by id; ids that do not exist (any more) are left out, other failures throw. */
export async function inspectContainers(inv: CliInvocation, ids: string[]): Promise<ContainerInfo[]> {
  if (ids.length === 0) return [];
  try {
    return (JSON.parse(await cliOutput(inv, ['container', 'inspect', ...ids])) as RawContainer[]).map(toContainerInfo);
  } catch (err) {
    if (!isNoSuchContainer(err)) throw err;
    // One unknown id fails the whole call: ask one by one.
    if (ids.length === 1) return [];
    return (await Promise.all(ids.map((id) => inspectContainers(inv, [id])))).flat();
  }
}

export async function inspectContainer(inv: CliInvocation, id: string): Promise<ContainerInfo | undefined> {
  return (await inspectContainers(inv, [id]))[0];
}

export function toContainerInfo(c: RawContainer): ContainerInfo {
  const s = c.State ?? {};
  return {
    id: c.Id,
    name: (c.Name ?? '').replace(/^\//, ''),
    running: s.Running === true,
    exitCode: s.ExitCode ?? 0,
    oomKilled: s.OOMKilled === true,
    error: s.Error ?? '',
    startedAt: s.StartedAt ?? '',
    finishedAt: s.FinishedAt ?? '',
    labels: c.Config?.Labels ?? {},
    imageName: c.ImageName ?? c.Config?.Image ?? '',
    imageId: sha256(c.Image ?? ''),
    ...(c.StaticDir ? { bundleDir: c.StaticDir } : {}),
  };
}

/** The image, or undefined when it is not in local storage. */
export async function inspectImage(inv: CliInvocation, image: string): Promise<ImageInfo | undefined> {
  let raw: RawImage[];
  try {
    raw = JSON.parse(await cliOutput(inv, ['image', 'inspect', image])) as RawImage[];
  } catch (err) {
    // podman: "image not known", docker: "No such image".
    if (err instanceof CliError && /image not known|no such image/i.test(err.result.stderr)) return undefined;
    throw err;
  }
  const i = raw[0];
  if (!i) return undefined;
  return { id: sha256(i.Id), repoDigests: i.RepoDigests ?? [], user: i.Config?.User ?? '' };
}

function sha256(id: string): string {
  return id === '' || id.startsWith('sha256:') ? id : `sha256:${id}`;
}
