#!/usr/bin/env node
// `pnpm check:links`: every Markdown file of the repository (tracked, or new and not ignored) is
// checked with remark: relative links and images resolve (files and headings, across files), and
// none leaves the repository (`../shared/...`, `file:`). External http(s) links are not fetched.
// Each problem is printed as `file:line:column  message`; exits 1 when there is any.
import { spawnSync } from 'node:child_process';
import { root, run } from './lib/packages.mjs';

const files = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'])
  .split('\n')
  .filter((file) => file !== '');

const result = spawnSync(
  'pnpm',
  [
    'exec',
    'remark',
    '--rc-path',
    'scripts/remarkrc.mjs',
    '--no-config',
    '--no-ignore',
    '--no-stdout',
    '--quiet',
    '--frail',
    ...files,
  ],
  { cwd: root, stdio: 'inherit', timeout: 5 * 60_000 },
);
if (result.status === 0) console.log(`check-links: ${files.length} Markdown files, no broken link`);
else
  console.error(`check-links: FAILED (the files and links above; ${files.length} files checked)`);
process.exit(result.status ?? 1);
