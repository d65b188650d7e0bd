#!/usr/bin/env node
// `pnpm check:changesets`: what `changeset version` would do, tried on a throwaway copy of the
// repository (its tracked and new files; node_modules linked), never on the checkout itself,
// whose changesets the integrator consumes once, at the end of a round.
//
// Checks that it bumps public packages only: no private workspace package (bench, examples,
// tests/faults) changes version or gets a CHANGELOG.md; every public package named by a
// changeset is bumped and gets its CHANGELOG.md; every changeset is consumed. Prints the bumps.
// Options: --keep (leave the copy to look at).
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root, run } from './lib/packages.mjs';

const keep = process.argv.includes('--keep');

/** Every workspace package of a checkout: `{ dir (relative), name, version, private }`. */
function workspacePackages(base) {
  const dirs = ['bench'];
  for (const group of ['packages', 'examples', 'tests']) {
    for (const entry of readdirSync(join(base, group))) dirs.push(join(group, entry));
  }
  return dirs
    .filter((dir) => existsSync(join(base, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(base, dir, 'package.json'), 'utf8'));
      return { dir, name: manifest.name, version: manifest.version, private: !!manifest.private };
    });
}

/** The packages the pending changesets name, from their front matter. */
function namedByChangesets(base) {
  const dir = join(base, '.changeset');
  const names = new Set();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? '';
    for (const match of front.matchAll(/^\s*["']?([^"':]+)["']?\s*:/gm)) names.add(match[1]);
  }
  return names;
}

const copy = mkdtempSync(join(tmpdir(), 'presence-changesets-'));
const problems = [];
try {
  for (const file of run('git', ['ls-files', '--cached', '--others', '--exclude-standard'])
    .split('\n')
    .filter((f) => f !== '' && existsSync(join(root, f)))) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');

  const before = workspacePackages(copy);
  const named = namedByChangesets(copy);
  console.log(`${named.size} packages named by pending changesets: ${[...named].join(', ')}`);

  const version = spawnSync(
    process.execPath,
    [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'],
    { cwd: copy, encoding: 'utf8', timeout: 2 * 60_000 },
  );
  process.stdout.write(version.stdout + version.stderr);
  if (version.status !== 0) throw new Error(`changeset version exited ${version.status}`);

  const after = new Map(workspacePackages(copy).map((pkg) => [pkg.dir, pkg]));
  for (const pkg of before) {
    const now = after.get(pkg.dir);
    const bumped = now.version !== pkg.version;
    const changelog = existsSync(join(copy, pkg.dir, 'CHANGELOG.md'));
    if (pkg.private) {
      if (bumped) problems.push(`private ${pkg.name} bumped ${pkg.version} -> ${now.version}`);
      if (changelog) problems.push(`private ${pkg.name} got a CHANGELOG.md`);
      continue;
    }
    if (named.has(pkg.name) && !bumped) problems.push(`${pkg.name} has changesets but no bump`);
    if (bumped && !changelog) problems.push(`${pkg.name} bumped without a CHANGELOG.md`);
    const entries = changelog
      ? readFileSync(join(copy, pkg.dir, 'CHANGELOG.md'), 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('- ')).length
      : 0;
    console.log(
      `${pkg.name}: ${pkg.version} -> ${now.version}${bumped ? `, CHANGELOG.md with ${entries} entries` : ' (unchanged)'}`,
    );
  }
  for (const name of named) {
    if (!before.some((pkg) => pkg.name === name))
      problems.push(`a changeset names ${name}, no package`);
  }
  const left = readdirSync(join(copy, '.changeset')).filter(
    (f) => f.endsWith('.md') && f !== 'README.md',
  );
  if (left.length > 0) problems.push(`changesets left unconsumed: ${left.join(', ')}`);
} catch (error) {
  problems.push(error.message);
} finally {
  if (keep) console.log(`kept ${copy}`);
  else rmSync(copy, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`\nchangelog-check: FAILED\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('\nchangelog-check: changeset version would bump public packages only');
