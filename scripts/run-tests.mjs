#!/usr/bin/env node
// The README's test command (`pnpm test`): builds every package, runs every package's tests one
// package at a time (they share the loopback Redis and PostgreSQL), then prints one closing line
// `N passed, N failed` summed over all the vitest runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const groups = ['packages', 'examples', 'tests', '.'];
const resultFiles = () =>
  groups.flatMap((group) => {
    if (group === '.') return [join(root, 'bench', 'test-results.json')];
    const dir = join(root, group);
    return existsSync(dir)
      ? readdirSync(dir).map((name) => join(dir, name, 'test-results.json'))
      : [];
  });

for (const file of resultFiles()) rmSync(file, { force: true });

const extra = process.argv.slice(2);
const run = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', 'test', '--continue', '--concurrency=1', ...extra],
  { cwd: root, stdio: 'inherit' },
);

let passed = 0;
let failed = 0;
const missing = [];
for (const file of resultFiles()) {
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  if (report.numFailedTestSuites > 0 && report.numFailedTests === 0) {
    missing.push(`${file}: ${report.numFailedTestSuites} test file(s) failed to load`);
    failed += report.numFailedTestSuites;
  }
}
for (const line of missing) console.error(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status ?? 1);
