// The public packages of the workspace and their tarballs, as `pnpm pack` makes them for
// `pnpm publish`: shared by the release checks (consumer smoke test, attw, publish dry run).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * The workspace's public packages: every `packages/*` whose package.json is not `private`, in
 * directory order.
 * @returns `{ name, dir, manifest }` per package, `dir` absolute
 */
export function publicPackages() {
  const base = join(root, 'packages');
  return readdirSync(base)
    .map((entry) => join(base, entry))
    .filter((dir) => statSync(join(dir, 'package.json'), { throwIfNoEntry: false })?.isFile())
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name, dir, manifest }));
}

/**
 * Runs a command, throwing with its output when it fails or outlives `timeoutMs`.
 * @returns its standard output (and its standard error after it, with `withStderr`)
 */
export function run(command, args, { cwd = root, timeoutMs = 10 * 60_000, env, withStderr } = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    env: env ?? process.env,
  });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed: ${why}\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
  return withStderr ? `${result.stdout}${result.stderr}` : result.stdout;
}

/**
 * Packs each package with `pnpm pack` (which rewrites `workspace:` ranges as `pnpm publish`
 * does) into `destination`.
 * @returns `{ name, dir, manifest, tarball, bytes }` per package
 */
export function packAll(destination, packages = publicPackages()) {
  return packages.map((pkg) => {
    const out = run('pnpm', ['pack', '--json', '--pack-destination', destination], {
      cwd: pkg.dir,
    });
    const { filename } = JSON.parse(out.slice(out.indexOf('{')));
    return { ...pkg, tarball: filename, bytes: statSync(filename).size };
  });
}

/**
 * The files of a tarball with their sizes, paths without the leading `package/`.
 * @returns `{ path, size }` per file
 */
export function tarballEntries(tarball) {
  return run('tar', ['-tzvf', tarball])
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      return {
        size: Number(fields[2]),
        path: fields
          .slice(5)
          .join(' ')
          .replace(/^package\//, ''),
      };
    });
}

/** A byte count for people: `3.19 MB`. */
export function formatBytes(bytes) {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(2)} MB`;
  if (bytes >= 1_000) return `${(bytes / 1_000).toFixed(1)} kB`;
  return `${bytes} B`;
}
