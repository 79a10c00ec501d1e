// Run before `npm start`, `npm test` and `npm run bench`: installs the npm dependencies when
// they are missing (a fresh clone) and rebuilds dist/ when the sources are newer than it.
// Plain Node, no dependencies: it runs before any are installed.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.error('everynode: installing npm dependencies (the first time takes about a minute: better-sqlite3 compiles)...');
  run('npm ci --no-audit --no-fund');
}

const stamp = join(root, 'dist', 'cli', 'main.js');
const sourcesChanged = () => Math.max(newest(join(root, 'src')), statSync(join(root, 'scripts', 'gen-openapi.mjs')).mtimeMs);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sourcesChanged()) {
  console.error('everynode: building (tsc)...');
  run('npm run --silent build');
}
