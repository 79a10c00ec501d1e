// A container's effective security context (the container's fields over the pod's) as CLI flags,
// and the kubelet's runAsNonRoot check, which needs the image's user.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { ContainerStartError } from './start-error.js';

/** `--user`, `--privileged`, capabilities, groups, seccomp... for `create`. */
export function securityArgs(pod: Pod, container: Container, imageUser: string): string[] {
  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  verifyRunAsNonRoot(pod, container, imageUser);
  const args: string[] = [];
  const user = userFlag(sc.runAsUser ?? podSc.runAsUser, sc.runAsGroup ?? podSc.runAsGroup, imageUser);
  if (user !== undefined) args.push('--user', user);
  for (const g of podSc.supplementalGroups ?? []) args.push('--group-add', String(g));
  if (sc.privileged) args.push('--privileged');
  for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', cap);
  for (const cap of sc.capabilities?.drop ?? []) args.push('--cap-drop', cap);
  if (sc.readOnlyRootFilesystem) args.push('--read-only');
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  // Kubernetes runs containers Unconfined unless a pod asks for the runtime's default profile.
  const seccomp = sc.seccompProfile ?? podSc.seccompProfile;
  if (seccomp?.type === 'Localhost') {
    throw new ContainerStartError('CreateContainerConfigError', `seccomp profile type Localhost is not supported by this runtime (container: ${container.name})`);
  }
  if (seccomp?.type !== 'RuntimeDefault') args.push('--security-opt', 'seccomp=unconfined');
  return args;
}

/** `uid[:gid]`; a group without a user keeps the image's user. */
function userFlag(uid: number | undefined, gid: number | undefined, imageUser: string): string | undefined {
  if (uid !== undefined) return gid !== undefined ? `${uid}:${gid}` : String(uid);
  if (gid !== undefined) return `${imageUserName(imageUser) || '0'}:${gid}`;
  return undefined;
}

function imageUserName(imageUser: string): string {
  return imageUser.split(':')[0] ?? '';
}

/** The kubelet's check (verifyRunAsNonRoot), with its messages; throws CreateContainerConfigError. */
export function verifyRunAsNonRoot(pod: Pod, container: Container, imageUser: string): void {
  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) return;
  const m = pod.metadata ?? {};
  const who = `(pod: "${m.name}_${m.namespace}(${m.uid})", container: ${container.name})`;
  const fail = (message: string): never => {
    throw new ContainerStartError('CreateContainerConfigError', message);
  };
  const uid = sc.runAsUser ?? podSc.runAsUser;
  if (uid !== undefined) {
    if (uid === 0) fail(`container's runAsUser breaks non-root policy ${who}`);
    return;
  }
  const user = imageUserName(imageUser);
  if (user !== '' && !/^[0-9]+$/.test(user)) fail(`container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${who}`);
  if (user === '' || Number(user) === 0) fail(`container has runAsNonRoot and image will run as root ${who}`);
}
