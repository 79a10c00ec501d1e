// Who a container's process runs as: securityContext runAsUser/runAsGroup (the container's over
// the pod's), the pod's supplementalGroups and fsGroup as extra groups, runAsNonRoot checked as
// upstream's kubelet checks it. With no runAsUser the process runs as the agent does, so for a
// root agent runAsNonRoot refuses it ("the image" of a process container is the host).
import { readFileSync } from 'node:fs';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { configError } from './errors.js';

export interface RunAs {
  /** Switched to before the command runs; undefined keeps the agent's. */
  uid?: number;
  gid?: number;
  /** Supplementary groups set (empty: cleared); undefined keeps the agent's. */
  groups?: number[];
  /** allowPrivilegeEscalation: false. */
  noNewPrivs: boolean;
}

export interface Identity {
  runAs: RunAs;
  /** $HOME when the pod does not set it: the user's home in /etc/passwd, else `/`. */
  home: string;
}

export interface PasswdEntry {
  uid: number;
  gid: number;
  home: string;
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
    .map((f) => ({ uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

export function readPasswd(): PasswdEntry[] {
  try {
    return parsePasswd(readFileSync('/etc/passwd', 'utf8'));
  } catch {
    return [];
  }
}

/** How upstream names a pod in messages: `name_namespace(uid)`. */
const podRef = (pod: Pod): string => `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;

export function resolveIdentity(pod: Pod, container: Container, agent: { uid: number; gid: number }, passwd: PasswdEntry[]): Identity {
  const psc = pod.spec?.securityContext ?? {};
  const csc = container.securityContext ?? {};
  const uid = csc.runAsUser ?? psc.runAsUser;
  const gid = csc.runAsGroup ?? psc.runAsGroup;
  const where = `(pod: "${podRef(pod)}", container: ${container.name})`;
  if (csc.runAsNonRoot ?? psc.runAsNonRoot) {
    if (uid === 0) throw configError(`container's runAsUser breaks non-root policy ${where}`);
    if (uid === undefined && agent.uid === 0) throw configError(`container has runAsNonRoot and image will run as root ${where}`);
  }
  const extra = [...new Set([...(psc.supplementalGroups ?? []), ...(psc.fsGroup !== undefined ? [psc.fsGroup] : [])])];
  const noNewPrivs = csc.allowPrivilegeEscalation === false;
  const changes = uid !== undefined || gid !== undefined || extra.length > 0;
  const home = (uid: number): string => passwd.find((p) => p.uid === uid)?.home || '/';
  if (!changes) return { runAs: { noNewPrivs }, home: home(agent.uid) };
  if (agent.uid !== 0) {
    if ((uid !== undefined && uid !== agent.uid) || (gid !== undefined && gid !== agent.gid) || extra.length > 0) {
      throw configError(`runAsUser, runAsGroup and supplementalGroups need the agent to run as root (it runs as uid ${agent.uid}) ${where}`);
    }
    return { runAs: { noNewPrivs }, home: home(agent.uid) }; // already who it asks to be
  }
  // Without runAsGroup, the user's primary group (root's if the uid is not in /etc/passwd), as runtimes do.
  const group = gid ?? (uid !== undefined ? (passwd.find((p) => p.uid === uid)?.gid ?? 0) : undefined);
  return {
    runAs: { ...(uid !== undefined ? { uid } : {}), ...(group !== undefined ? { gid: group } : {}), groups: extra, noNewPrivs },
    home: home(uid ?? agent.uid),
  };
}

/** setpriv options applying `r` (empty when there is nothing to change). */
export function setprivArgs(r: RunAs): string[] {
  const args: string[] = [];
  if (r.uid !== undefined) args.push(`--reuid=${r.uid}`);
  if (r.gid !== undefined) args.push(`--regid=${r.gid}`);
  if (r.groups !== undefined) args.push(r.groups.length > 0 ? `--groups=${r.groups.join(',')}` : '--clear-groups');
  if (r.noNewPrivs) args.push('--no-new-privs');
  return args;
}
