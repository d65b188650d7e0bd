#!/usr/bin/env node
// `pnpm bench [--quick] [...]`: builds @presence/bench and the workspace packages it imports, then
// runs the benchmark against the loopback Redis and PostgreSQL, forwarding every argument.
// A package that fails to build does not stop the run: the bench reports it as "not measured".
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2).filter((arg) => arg !== '--');

if (!args.includes('--help')) {
  const build = spawnSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@presence/bench...',
      '--continue',
      '--output-logs=errors-only',
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (build.status !== 0) {
    console.error('bench: some packages failed to build; their rows will say "not measured".');
  }
}

const entry = join(root, 'bench', 'dist', 'main.js');
if (!existsSync(entry)) {
  console.error(`bench: ${entry} is missing: the bench itself failed to build`);
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--enable-source-maps', entry, ...args], {
  cwd: join(root, 'bench'),
  stdio: 'inherit',
});
process.exit(run.status ?? (run.signal === 'SIGINT' ? 130 : 1));
