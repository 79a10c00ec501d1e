// PURE: the systemd unit `everynode agent --print-systemd-unit` prints, to install the agent on a
// host: it runs the same command with the same flags (paths made absolute), restarts it whenever
// it stops, and on stop or restart kills only the agent process (KillMode=process): the daemons
// it started stay up and the next agent adopts them, as containers outlive a kubelet restart.
import { isAbsolute, resolve } from 'node:path';

/** Flags whose value is a path, made absolute so the unit works from any directory. */
const PATH_FLAGS = new Set(['--token-file', '--ca-file', '--state-dir', '--pod-manifest-path']);
const DROPPED_FLAGS = new Set(['--print-systemd-unit']);

/** The agent's own arguments for the unit: without --print-systemd-unit, with absolute paths. */
export function unitArgs(args: string[], cwd: string): string[] {
  const out: string[] = [];
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (DROPPED_FLAGS.has(flag)) continue;
    if (PATH_FLAGS.has(flag)) {
      if (eq > 0 && flag !== arg) out.push(`${flag}=${abs(arg.slice(eq + 1))}`);
      else if (i + 1 < args.length) out.push(flag, abs(args[++i]!));
      else out.push(arg);
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** One word of ExecStart: quoted when needed; `%` and `$` escaped (systemd expands them). */
export function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (escaped !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface SystemdUnitOptions {
  /** The node binary (absolute). */
  node: string;
  /** The everynode entry script (absolute). */
  script: string;
  /** Arguments after `agent`. */
  args: string[];
  /** For the description. */
  nodeName: string;
}

export function systemdUnit(o: SystemdUnitOptions): string {
  const exec = [o.node, o.script, 'agent', ...o.args].map(systemdWord).join(' ');
  return `# everynode agent for node ${o.nodeName}. Install:
#   everynode agent ... --print-systemd-unit > /etc/systemd/system/everynode-agent.service
#   systemctl daemon-reload && systemctl enable --now everynode-agent
[Unit]
Description=everynode agent (node ${o.nodeName})
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=${exec}
Restart=always
RestartSec=5
# Stopping or restarting the agent leaves the daemons it runs alone: a new agent adopts them.
KillMode=process
LimitNOFILE=1048576

[Install]
WantedBy=multi-user.target
`;
}
