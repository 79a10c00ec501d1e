// Containers run under an init process (`--init`: catatonit for podman, tini for docker), so a
// command that cannot be executed does not fail `start`: the init starts, fails to exec it, says
// so on stderr and exits. Kubernetes reports that case as a StartError (exit code 128); this finds
// the init's complaint at the end of the container's output.

const PATTERNS = [
  /ERROR \(catatonit:\d+\): failed to exec pid1: (.+)$/, // catatonit (podman)
  /\[FATAL tini \(\d+\)\] exec (.+)$/, // tini (docker-init)
];

/** The init's exec error from the end of the container's output (plain text), if it is one. */
export function initExecFailure(output: string): string | undefined {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const last = lines[lines.length - 1] ?? '';
  for (const p of PATTERNS) {
    const m = p.exec(last);
    if (m) return `failed to start the container's command: ${m[1]}`;
  }
  return undefined;
}
