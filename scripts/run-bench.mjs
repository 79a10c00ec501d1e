// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose name contains the
// filter) one after another with tsx. Benchmarks print figures; a missed target is not a
// failure, only a bench that crashes makes this exit non-zero.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (benches.length === 0) {
  console.error(`no bench matches ${only.join(' ')}`);
  process.exit(1);
}
const failed = [];
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('bench', file)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed.push(`${file} (${result.signal ?? `exit ${result.status}`})`);
}
if (failed.length) {
  console.error(`\nbench crashed: ${failed.join(', ')}`);
  process.exit(1);
}
