// The command line that starts a container (or an exec in it) as a chain of programs, each
// setting up one thing and exec-ing the next, so the container's process keeps the first pid:
//
//   sh -c '...'                   setup errors to fd 3 (below); joins the cgroups if no namespace follows
//   unshare --mount sh -c '...'   private mount namespace with the volumes mounted, then the cgroups joined
//   chroot NEWROOT                when the container needs a root of its own (mount-plan.ts)
//   env -C workingDir             after the mounts, so a workingDir inside a volume is the volume
//   setpriv --reuid ...           the user, last, so the setup above runs as root
//   the command and its args
//
// The cgroups are joined by the last shell: the command is limited from its first instruction, the
// setup (dozens of mounts for a root of its own) does not run under the container's cpu quota.
// Setup errors go to fd 3, a pipe the agent reads: data there means the setup failed, and the
// pipe closing empty means the setup is done (the last shell closes it before the final exec).
// The container's environment is the environment of the whole chain (sh passes it on), except
// names sh cannot carry (e.g. `my.var`) and PWD (which sh rewrites): `env` sets those last.
import { shellLine } from './shell.js';
import { setprivArgs, type RunAs } from './identity.js';
import type { MountTools } from './mount-plan.js';

export interface Tools extends MountTools {
  sh: string;
  unshare: string;
  chroot: string;
  env: string;
  setpriv: string;
  nsenter: string;
}

export interface ProcessSpec {
  /** command followed by args. */
  command: string[];
  env: Record<string, string>;
  workingDir: string;
  runAs: RunAs;
  /** cgroup.procs files to join first. */
  cgroupProcs: string[];
}

export interface Launch {
  argv: string[];
  env: Record<string, string>;
  /** Whether fd 3 must be a pipe the setup reports errors on. */
  syncFd: boolean;
}

const SH_NAME = 'everynode-setup';
const PORTABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function splitEnv(env: Record<string, string>): { inherited: Record<string, string>; assigned: string[] } {
  const inherited: Record<string, string> = {};
  const assigned: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (PORTABLE_NAME.test(k) && k !== 'PWD') inherited[k] = v;
    else assigned.push(`${k}=${v}`);
  }
  return { inherited, assigned };
}

/** env, setpriv and the command: the end of every chain. */
function finalStages(t: Tools, s: ProcessSpec, assigned: string[]): string[] {
  const env = [t.env, '-u', 'PWD', '-C', s.workingDir, ...(assigned.length > 0 ? ['--', ...assigned] : [])];
  return [...env, t.setpriv, ...setprivArgs(s.runAs), '--', ...s.command];
}

const joinCgroups = (procs: string[]): string[] => procs.map((f) => `echo $$ > ${shellLine(f)}`);

/** Starts a container: `mountScript` from planMounts (empty: no namespace), `newRoot` to chroot into. */
export function containerLaunch(t: Tools, s: ProcessSpec & { mountScript: string[]; newRoot?: string }): Launch {
  const { inherited, assigned } = splitEnv(s.env);
  const tail = [...(s.newRoot !== undefined ? [t.chroot, s.newRoot] : []), ...finalStages(t, s, assigned)];
  const namespaced = s.mountScript.length > 0;
  if (!namespaced && s.cgroupProcs.length === 0) return { argv: tail, env: inherited, syncFd: false };
  const handOver = [...joinCgroups(s.cgroupProcs), 'exec "$@" 2>&4 3>&- 4>&-']; // real stderr back, setup pipe closed
  const first = ['set -e', 'exec 4>&2 2>&3', ...(namespaced ? ['exec "$@"'] : handOver)];
  const argv = [t.sh, '-c', first.join('\n'), SH_NAME];
  if (namespaced) {
    const inner = ['set -e', ...s.mountScript, ...handOver];
    argv.push(t.unshare, '--mount', '--propagation', 'private', '--', t.sh, '-c', inner.join('\n'), SH_NAME);
  }
  return { argv: [...argv, ...tail], env: inherited, syncFd: true };
}

/** Runs a command in a running container: its cgroups, its mount namespace and root, its user. */
export function execLaunch(t: Tools, s: ProcessSpec & { pid: number; namespaced: boolean }): Launch {
  const { inherited, assigned } = splitEnv(s.env);
  const argv: string[] = [];
  if (s.cgroupProcs.length > 0) argv.push(t.sh, '-c', [...joinCgroups(s.cgroupProcs), 'exec "$@"'].join('\n'), SH_NAME);
  if (s.namespaced) argv.push(t.nsenter, `--target=${s.pid}`, '--mount', '--root');
  return { argv: [...argv, ...finalStages(t, s, assigned)], env: inherited, syncFd: false };
}
