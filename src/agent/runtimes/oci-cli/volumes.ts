// A container's volumeMounts as host directories to bind: hostPath volumes are checked (and
// created) by their `type` as the kubelet does, an emptyDir is a directory under the pod's state
// dir that lives as long as the pod. Other volume sources do not exist without an API-backed
// volume manager: a container mounting one is refused with the reason saying so.
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { Stats } from 'node:fs';
import type { Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { ContainerRequest } from '../../container-runtime.js';
import { ContainerStartError } from './start-error.js';

export interface BindMount {
  source: string;
  destination: string;
  readOnly: boolean;
  /** `rslave` (HostToContainer), `rshared` (Bidirectional); absent = private. */
  propagation?: 'rslave' | 'rshared';
}

/** Where a pod's emptyDir volume lives, under `<podDir>` = `<state dir>/pods/<pod uid>`. */
export function emptyDirPath(podDir: string, volumeName: string): string {
  return join(podDir, 'volumes', 'kubernetes.io~empty-dir', volumeName);
}

/** Resolves, checks and creates what the container's volumeMounts need; throws CreateContainerConfigError. */
export async function resolveMounts(req: ContainerRequest, podDir: string, runtimeName: string): Promise<BindMount[]> {
  const volumes = new Map((req.pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  const mounts: BindMount[] = [];
  for (const vm of req.container.volumeMounts ?? []) {
    const volume = volumes.get(vm.name);
    if (!volume) throw configError(`cannot find volume "${vm.name}" to mount into container "${req.container.name}"`);
    // `-v source:destination:options` cannot carry a ':' in a path.
    const subPath = subPathOf(vm, req.env);
    const hostPath = volume.hostPath?.path ?? '';
    for (const p of [vm.mountPath, hostPath, subPath]) {
      if (p.includes(':')) throw configError(`volume "${vm.name}": path ${p} contains ':', which the ${runtimeName} CLI cannot mount`);
    }
    let source = await volumeSource(volume, podDir, runtimeName);
    if (subPath) {
      source = join(source, subPath);
      await mkdir(source, { recursive: true });
    }
    const propagation = vm.mountPropagation === 'HostToContainer' ? 'rslave' : vm.mountPropagation === 'Bidirectional' ? 'rshared' : undefined;
    mounts.push({ source, destination: vm.mountPath, readOnly: vm.readOnly === true, ...(propagation ? { propagation } : {}) });
  }
  return mounts;
}

async function volumeSource(volume: Volume, podDir: string, runtimeName: string): Promise<string> {
  if (volume.hostPath) {
    const path = volume.hostPath.path;
    if (!isAbsolute(path)) throw configError(`volume "${volume.name}": hostPath ${path} is not an absolute path`);
    try {
      await checkHostPath(path, volume.hostPath.type ?? '');
    } catch (err) {
      throw configError(`MountVolume.SetUp failed for volume "${volume.name}" : ${(err as Error).message}`);
    }
    return path;
  }
  if (volume.emptyDir) {
    const dir = emptyDirPath(podDir, volume.name);
    // World-writable like the kubelet's, so containers running as any user can use it.
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o777);
    return dir;
  }
  const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
  throw configError(`volume "${volume.name}": ${kind} volumes are not supported by the ${runtimeName} runtime`);
}

/** The kubelet's hostPath type semantics; "" (and a missing path) creates a directory like containerd does. */
export async function checkHostPath(path: string, type: string): Promise<void> {
  const st = await statOrUndefined(path);
  const fail = (what: string): never => {
    throw new Error(`hostPath type check failed: ${path} is not a ${what}`);
  };
  switch (type) {
    case '':
    case 'DirectoryOrCreate':
      if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (type === 'DirectoryOrCreate' && !st.isDirectory()) fail('directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, '', { flag: 'a', mode: 0o644 });
      } else if (!st.isFile()) fail('file');
      return;
    case 'File':
      if (!st?.isFile()) fail('file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('block device');
      return;
    default:
      throw new Error(`hostPath type ${type} is not supported`);
  }
}

/** Follows symlinks: a link to a directory is a directory, as for the kubelet. */
async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** `subPath`, or `subPathExpr` with `$(VAR)` taken from the container's environment. */
function subPathOf(vm: VolumeMount, env: Record<string, string>): string {
  if (vm.subPathExpr) return vm.subPathExpr.replace(/\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (ref: string, name: string) => env[name] ?? ref);
  return vm.subPath ?? '';
}

function configError(message: string): ContainerStartError {
  return new ContainerStartError('CreateContainerConfigError', message);
}
