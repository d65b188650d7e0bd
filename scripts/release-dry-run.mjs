#!/usr/bin/env node
// `pnpm release:dry-run`: the publish half of `pnpm release` (build, test, `changeset publish`),
// without uploading anything. For every public package it runs the command `changeset publish`
// runs in a pnpm workspace (`pnpm publish --access public --tag latest --no-git-checks`), with
// `--dry-run` and the registry pointed at a closed loopback port, so that nothing can leave the
// machine whatever the flags do. Then it checks what would be uploaded: the manifest pnpm
// publishes (no `workspace:` range left, every @presence/* dependency at the version being
// released, public access) and that no private package would be published. `pnpm build` first.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAll, publicPackages, root, run } from './lib/packages.mjs';

/** A port nothing listens on: the discard port on loopback. */
const NOWHERE = 'http://127.0.0.1:9/';

const packages = publicPackages();
const versions = new Map(packages.map(({ name, manifest }) => [name, manifest.version]));
const problems = [];

const changesetConfig = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8'));
const rootScripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts ?? {};
if (!/changeset publish/.test(rootScripts.release ?? '')) {
  problems.push(`the root package.json has no release script running changeset publish`);
}

for (const { name, dir, manifest } of packages) {
  const access = manifest.publishConfig?.access ?? changesetConfig.access;
  if (access !== 'public') problems.push(`${name}: access is ${access}, not public`);
  try {
    const out = run(
      'pnpm',
      [
        'publish',
        '--dry-run',
        '--access',
        'public',
        '--tag',
        'latest',
        '--no-git-checks',
        '--registry',
        NOWHERE,
      ],
      {
        cwd: dir,
        timeoutMs: 2 * 60_000,
        withStderr: true,
        // npm retries the closed port with back-off for a minute otherwise.
        env: { ...process.env, npm_config_fetch_retries: '0' },
      },
    );
    const size = /package size:\s*(.+)/.exec(out)?.[1] ?? '?';
    console.log(`${name}@${manifest.version}: pnpm publish --dry-run ok (${size})`);
  } catch (error) {
    problems.push(`${name}: pnpm publish --dry-run failed\n${error.message}`);
  }
}

// What the registry would receive: the manifest inside the tarball pnpm makes.
const work = mkdtempSync(join(tmpdir(), 'presence-release-'));
try {
  for (const { name, tarball } of packAll(work, packages)) {
    const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json']));
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (range.startsWith('workspace:')) {
          problems.push(`${name}: ${field}.${dep} is still ${range} in the tarball`);
        }
        const version = versions.get(dep);
        if (version !== undefined && !range.includes(version)) {
          problems.push(`${name}: ${field}.${dep} is ${range}, not the released ${version}`);
        }
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

// changeset publish skips private packages; every workspace package outside packages/ is one.
for (const group of ['examples', 'tests', 'bench']) {
  const dirs =
    group === 'bench'
      ? [join(root, 'bench')]
      : readdirSync(join(root, group)).map((d) => join(root, group, d));
  for (const dir of dirs) {
    const file = join(dir, 'package.json');
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (manifest.private !== true) problems.push(`${manifest.name} (${dir}) is not private`);
  }
}

if (problems.length > 0) {
  console.error(`\nrelease-dry-run: FAILED\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`\nrelease-dry-run: ${packages.length} packages would be published, nothing private`);
