// How a container gets to see its volumes: a private mount namespace (unshare) in which each
// volume's host path is bind-mounted at its mountPath (then remounted read-only if asked).
// Nothing of this is visible on the host.
//
// A mountPath that does not exist on the host (say `/data`) cannot simply be created: that would
// change the host. Then the container gets its own root: a tmpfs where each directory on the way
// to such a mountPath is rebuilt — every entry of the host directory bind-mounted (recursively)
// into it, so the host's filesystem, /proc, /dev and /sys included, stays visible and writable as
// it is — and the missing mountPath is created in the tmpfs. The container is then chrooted there.
// (Simpler than an overlay of `/`: writes outside volumes still reach the host, as they do for a
// container without such volumes, and no filesystem has to support being an overlay layer.)
// A mountPath below another volume's mountPath is created inside that volume, as runc does.
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { configError } from './errors.js';
import { shellLine } from './shell.js';
import type { HostMount } from './volumes.js';

export interface MountTools {
  mount: string;
  mkdir: string;
  ln: string;
  chown: string;
  chmod: string;
}

export interface MountPlan {
  /** sh lines to run in a fresh private mount namespace; empty when no namespace is needed. */
  script: string[];
  /** The root to chroot into, when the container needs one of its own. */
  newRoot?: string;
}

export interface MountPlanOptions {
  tools: MountTools;
  /** An empty host directory the container's own root can be mounted on (in its namespace). */
  newRootDir: string;
  /** Why this agent cannot make mount namespaces (not root...), undefined when it can. */
  unavailable?: string;
}

const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);
const isUnder = (p: string, dir: string): boolean => p !== dir && (dir === '/' || p.startsWith(dir + '/'));

const exists = (p: string): boolean => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

interface Placed {
  m: HostMount;
  /** Where the container sees it, with the host's symlinks on the way resolved. */
  at: string;
  /** Inside another volume: created there before mounting. */
  nested: boolean;
}

/**
 * Where `target` is on the host with symlinks on the way resolved, whether it exists, and the
 * directory a missing one would have to be created in (its deepest existing ancestor).
 */
function locate(target: string): { at: string; missing: boolean; parent: string } {
  let existing = target;
  while (!exists(existing)) existing = posix.dirname(existing);
  const real = realpathSync(existing);
  if (existing === target) return { at: real, missing: false, parent: dirname(real) };
  const rest = target.slice(existing === '/' ? 1 : existing.length + 1);
  return { at: posix.join(real, rest), missing: true, parent: real };
}

export function planMounts(mounts: HostMount[], o: MountPlanOptions): MountPlan {
  // A host path at its own place needs nothing (unless it must become read-only there).
  const needed = mounts.filter((m) => m.target !== m.source || m.readOnly);
  if (needed.length === 0) return { script: [] };
  if (o.unavailable !== undefined) {
    const m = needed[0]!;
    const what = m.target === m.source ? `cannot make ${m.target} read-only` : `cannot show ${m.source} at ${m.target}`;
    throw configError(`${m.kind} volumes need root: ${what} (volume "${m.volume}"): ${o.unavailable}`);
  }
  const sorted = [...needed].sort((a, b) => depth(a.target) - depth(b.target));
  const placed: Placed[] = [];
  const skeleton = new Set<string>(); // host directories rebuilt in the new root
  const hidden = new Set<string>(); // host entries replaced by a mountPath of another type
  const created: Placed[] = [];
  for (const m of sorted) {
    const parent = [...placed].reverse().find((p) => isUnder(m.target, p.m.target));
    if (parent) {
      placed.push({ m, at: parent.at + m.target.slice(parent.m.target === '/' ? 0 : parent.m.target.length), nested: true });
      continue;
    }
    const { at, missing, parent: inDir } = locate(m.target);
    if (missing && !statSync(inDir).isDirectory()) throw configError(`mountPath ${m.target} cannot be made: ${inDir} is not a directory (volume "${m.volume}")`);
    const p: Placed = { m, at, nested: false };
    placed.push(p);
    if (!missing && statSync(at).isDirectory() === m.directory) continue;
    // Missing, or of the other kind (a file where a directory must be mounted): made in a new root.
    created.push(p);
    if (!missing) hidden.add(at);
    for (let dir = inDir; ; dir = dirname(dir)) {
      skeleton.add(dir);
      if (dir === '/') break;
    }
  }

  const t = o.tools;
  const script: string[] = [];
  const root = created.length > 0 ? o.newRootDir : undefined;
  const inRoot = (p: string): string => (root === undefined ? p : p === '/' ? root : root + p);
  if (root !== undefined) {
    script.push(shellLine(t.mount, '-t', 'tmpfs', '-o', 'mode=0755', 'everynode-root', root));
    // Keeps the recursive bind mounts below from copying the new root into itself.
    script.push(shellLine(t.mount, '--make-unbindable', root));
    for (const dir of [...skeleton].sort((a, b) => depth(a) - depth(b))) script.push(...rebuild(dir, skeleton, hidden, inRoot, t));
    for (const p of created) script.push(...makeTarget(inRoot(p.at), p.m.directory, t));
  }
  for (const p of placed) {
    if (p.nested) script.push(...makeTarget(inRoot(p.at), p.m.directory, t));
    script.push(shellLine(t.mount, '--rbind', p.m.source, inRoot(p.at)));
  }
  for (const p of placed) if (p.m.readOnly) script.push(shellLine(t.mount, '-o', 'remount,bind,ro', inRoot(p.at)));
  return { script, ...(root !== undefined ? { newRoot: root } : {}) };
}

function makeTarget(path: string, directory: boolean, t: MountTools): string[] {
  if (directory) return [shellLine(t.mkdir, '-p', path)];
  return [shellLine(t.mkdir, '-p', dirname(path)), `[ -e ${shellLine(path)} ] || : > ${shellLine(path)}`];
}

/** Lines that recreate host directory `dir` in the new root, its entries bind-mounted from the host. */
function rebuild(dir: string, skeleton: Set<string>, hidden: Set<string>, inRoot: (p: string) => string, t: MountTools): string[] {
  const lines: string[] = [];
  const st = statSync(dir);
  if (dir !== '/') lines.push(shellLine(t.mkdir, inRoot(dir)));
  lines.push(shellLine(t.chown, `${st.uid}:${st.gid}`, inRoot(dir)), shellLine(t.chmod, (st.mode & 0o7777).toString(8), inRoot(dir)));
  const dirs: string[] = [];
  const binds: string[] = [];
  for (const name of readdirSync(dir)) {
    const host = join(dir, name);
    if (skeleton.has(host) || hidden.has(host)) continue;
    let entry;
    try {
      entry = lstatSync(host);
    } catch {
      continue; // gone since listed
    }
    if (entry.isSymbolicLink()) {
      lines.push(shellLine(t.ln, '-s', readlinkSync(host), inRoot(host)));
    } else if (entry.isDirectory()) {
      dirs.push(inRoot(host));
      binds.push(shellLine(t.mount, '--rbind', host, inRoot(host)));
    } else {
      lines.push(`: > ${shellLine(inRoot(host))}`);
      binds.push(shellLine(t.mount, '--bind', host, inRoot(host)));
    }
  }
  if (dirs.length > 0) lines.push(shellLine(t.mkdir, ...dirs));
  return [...lines, ...binds];
}
