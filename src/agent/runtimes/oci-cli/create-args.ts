// The `create` command line for one container, the same for podman and docker (both take the
// docker flag set). Pure: every decision about files and images is made before and passed in.
//
// Networking: there is no CNI here, so every container joins the host's network namespace
// (`--network host`). A hostNetwork pod also shares the host's UTS namespace (its hostname is the
// node's); any other pod gets the pod's hostname, as it would in its own sandbox — where the CLI
// allows it (docker refuses --hostname with the host network: there it is the node's).
import type { ContainerRequest } from '../../container-runtime.js';
import { resourceArgs } from './resources.js';
import { securityArgs } from './security.js';
import type { BindMount } from './volumes.js';

export interface CreateSpec {
  req: ContainerRequest;
  name: string;
  /** Fully qualified image reference. */
  image: string;
  /** The image's configured user (`Config.User`), '' for root. */
  imageUser: string;
  labels: Record<string, string>;
  mounts: BindMount[];
  /** Where the CLI sends the container's output, e.g. podman's k8s-file log driver. */
  logArgs: string[];
  /** The CLI can give a container on the host network its own hostname. */
  podHostname: boolean;
}

export function createArgs(spec: CreateSpec): string[] {
  const { pod, container } = spec.req;
  const podSpec = pod.spec ?? { containers: [] };
  const args = ['create', '--name', spec.name, '--init', '--network', 'host'];
  if (podSpec.hostNetwork) args.push('--uts', 'host');
  else if (spec.podHostname) args.push('--hostname', podHostname(spec.req));
  if (podSpec.hostPID) args.push('--pid', 'host');
  if (podSpec.hostIPC) args.push('--ipc', 'host');
  for (const [k, v] of Object.entries(spec.labels)) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(spec.req.env)) args.push('--env', `${k}=${v}`);
  if (container.workingDir) args.push('--workdir', container.workingDir);
  if (container.tty) args.push('--tty');
  if (container.stdin) args.push('--interactive');
  args.push(...securityArgs(pod, container, spec.imageUser));
  args.push(...resourceArgs(container));
  for (const m of spec.mounts) args.push('--volume', volumeFlag(m));
  args.push(...spec.logArgs);
  // Kubernetes: `command` replaces the image's ENTRYPOINT, `args` its CMD. Both CLIs take the
  // entrypoint's executable in --entrypoint (which also drops the image's CMD) and the rest after
  // the image.
  const command = container.command ?? [];
  const cmdArgs = container.args ?? [];
  if (command.length > 0) args.push('--entrypoint', command[0]!, spec.image, ...command.slice(1), ...cmdArgs);
  else args.push(spec.image, ...cmdArgs);
  return args;
}

function volumeFlag(m: BindMount): string {
  const opts = [...(m.readOnly ? ['ro'] : []), ...(m.propagation ? [m.propagation] : [])];
  return `${m.source}:${m.destination}${opts.length > 0 ? `:${opts.join(',')}` : ''}`;
}

/** spec.hostname, else the pod's name cut to 63 characters (a DNS label), like the kubelet. */
function podHostname(req: ContainerRequest): string {
  const name = req.pod.spec?.hostname || req.pod.metadata?.name || 'localhost';
  return name.slice(0, 63).replace(/[-.]+$/, '');
}
