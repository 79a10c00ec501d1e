// `npm test`: every unit and end-to-end test file, through node's test runner with tsx.
// (Node 20's --test does not expand globs, so the files are listed here.)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const files = ['test/unit', 'test/e2e']
  .flatMap((dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.test.ts')).map((f) => join(dir, f)))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
// tsx runs TypeScript without checking it; check tests (and bench) as strictly as src/ first.
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.test.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
