#!/usr/bin/env node
// `pnpm smoke:consumer`: installs the public packages as a consumer gets them and uses them.
//
// 1. `pnpm pack` every public package (what `pnpm publish` uploads) into a temporary directory and
//    check each tarball: LICENSE, README.md, no source maps or metafiles of bundled functions.
// 2. Create a fresh npm project there from scripts/consumer-smoke/, installing the tarballs, the
//    peer dependencies at the newest version their range allows, and the npm registry's
//    third-party packages.
// 3. Type-check a consumer that imports every entry point, ESM and CommonJS, with
//    skipLibCheck: false (and @presence/client with DOM types only).
// 4. Run it: import/require every entry, the `presence-local` bin, examples/demo (script and its
//    test) and the conformance suites of @presence/core/testing under the consumer's vitest, and
//    the demo's session over Redis and PostgreSQL with the consumer's own ioredis and pg clients.
// 5. Install the lowest version of ioredis and pg that the adapters' peer ranges allow (`^5.3.0`
//    installs 5.3.0), type-check the adapters against them and run the backends again.
//
// Options: --drivers=both|latest|oldest (default both), --keep (leave the directory to look at).
// Exits non-zero naming the step that failed. Every command is bounded by a timeout.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatBytes,
  packAll,
  publicPackages,
  root,
  run,
  tarballEntries,
} from './lib/packages.mjs';

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const drivers = (args.find((arg) => arg.startsWith('--drivers=')) ?? '--drivers=both').slice(10);
if (!['both', 'latest', 'oldest'].includes(drivers)) {
  console.error(`consumer-smoke: --drivers must be both, latest or oldest, not ${drivers}`);
  process.exit(2);
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const rootManifest = readJson(join(root, 'package.json'));
const packages = publicPackages();
const manifestOf = (name) => {
  const pkg = packages.find((candidate) => candidate.name === name);
  if (!pkg) throw new Error(`no public package ${name}`);
  return pkg.manifest;
};

/** The peer dependency ranges the adapters declare, and the oldest minor each allows. */
const PEERS = {
  ioredis: manifestOf('@presence/redis').peerDependencies?.ioredis,
  pg: manifestOf('@presence/postgres').peerDependencies?.pg,
};
/** `^5.3.0` → `5.3.0`: the lowest version the range allows, which is what gets installed. */
function lowestVersion(name, range) {
  const lowest = /^\^(\d+\.\d+\.\d+)$/.exec(range ?? '');
  if (!lowest) throw new Error(`peer range of ${name} (${range}) is not of the form ^X.Y.Z`);
  return lowest[1];
}

const work = mkdtempSync(join(tmpdir(), 'presence-consumer-'));
const consumer = join(work, 'consumer');
const timings = [];
let current = '';

async function step(name, fn) {
  current = name;
  const started = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  const result = await fn();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${name}: ${seconds} s`);
  process.stdout.write(`ok (${seconds} s)\n`);
  return result;
}

/** A command the consumer installed. */
const bin = (name) => join(consumer, 'node_modules', '.bin', name);

/** Runs a command in the consumer and prints its output. */
function inConsumer(command, commandArgs, options = {}) {
  const out = run(command, commandArgs, { cwd: consumer, ...options });
  if (out.trim() !== '') process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  return out;
}

function checkTarball({ name, tarball, bytes }) {
  const entries = tarballEntries(tarball);
  const paths = new Set(entries.map((entry) => entry.path));
  const problems = [];
  for (const required of ['LICENSE', 'README.md', 'package.json']) {
    if (!paths.has(required)) problems.push(`no ${required}`);
  }
  for (const { path } of entries) {
    if (/^dist\/functions\/.*\.map$/.test(path))
      problems.push(`bundled function source map ${path}`);
    if (/(^|\/)metafile-[^/]*\.json$/.test(path)) problems.push(`bundle metafile ${path}`);
  }
  const unpacked = entries.reduce((sum, entry) => sum + entry.size, 0);
  console.log(
    `${name}: ${formatBytes(bytes)} packed, ${formatBytes(unpacked)} unpacked, ${entries.length} files`,
  );
  return problems.map((problem) => `${name}: ${problem}`);
}

function consumerManifest(tarballs, peerVersions) {
  const lambda = manifestOf('@presence/lambda');
  const local = Object.fromEntries(tarballs.map(({ name, tarball }) => [name, `file:${tarball}`]));
  return {
    name: 'presence-consumer-smoke',
    private: true,
    type: 'module',
    dependencies: { ...local, ...peerVersions },
    devDependencies: {
      '@types/node': rootManifest.devDependencies['@types/node'],
      'aws-cdk-lib': lambda.devDependencies['aws-cdk-lib'],
      constructs: lambda.devDependencies.constructs,
      'fast-check': rootManifest.devDependencies['fast-check'],
      typescript: rootManifest.devDependencies.typescript,
      vitest: rootManifest.devDependencies.vitest,
    },
    // Every @presence/* dependency between the tarballs resolves to a tarball, never the registry.
    overrides: local,
  };
}

const NPM = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

function typecheck() {
  inConsumer(bin('tsc'), ['-p', 'tsconfig.json']);
  inConsumer(bin('tsc'), ['-p', 'tsconfig.browser.json']);
}

let backendsRan = false;
/**
 * Runs backends.mjs; its exit code 3 means skipped (services unreachable outside CI). Once it has
 * run, a later "unreachable" is the drivers failing to connect, not the services: a failure.
 */
function backends() {
  try {
    inConsumer('node', ['backends.mjs'], { timeoutMs: 60_000 });
    backendsRan = true;
  } catch (error) {
    if (!backendsRan && /exit 3\b/.test(error.message)) {
      console.log(error.message.split('\n').slice(1).join('\n'));
      return;
    }
    throw error;
  }
}

let failed = false;
try {
  const tarballs = await step('pack every public package', () => {
    const packed = packAll(join(work, 'tarballs'), packages);
    const problems = packed.flatMap(checkTarball);
    if (problems.length > 0) throw new Error(`tarball contents:\n  ${problems.join('\n  ')}`);
    return packed;
  });

  await step('create the consumer project', () => {
    cpSync(join(root, 'scripts', 'consumer-smoke'), consumer, { recursive: true });
    cpSync(join(root, 'examples', 'demo', 'index.mjs'), join(consumer, 'demo', 'index.mjs'));
    cpSync(join(root, 'examples', 'demo', 'test'), join(consumer, 'demo', 'test'), {
      recursive: true,
    });
    const peerVersions = drivers === 'oldest' ? oldestPeers() : PEERS;
    writeFileSync(
      join(consumer, 'package.json'),
      `${JSON.stringify(consumerManifest(tarballs, peerVersions), null, 2)}\n`,
    );
    console.log(`peer dependencies: ${JSON.stringify(peerVersions)}`);
  });

  await step('npm install (tarballs, peers, third-party packages)', () =>
    inConsumer('npm', ['install', ...NPM]),
  );

  await step('type-check every entry point (skipLibCheck: false, ESM + CJS + browser)', typecheck);

  await step('load every entry point (import, require, presence-local --help)', () => {
    inConsumer('node', ['import-all.mjs']);
    inConsumer('node', ['require-all.cjs']);
    const help = run(bin('presence-local'), ['--help'], { cwd: consumer });
    if (!help.includes('presence-local'))
      throw new Error(`presence-local --help printed:\n${help}`);
    console.log(help.split('\n')[0]);
  });

  await step('examples/demo and the conformance suites (vitest)', () => {
    inConsumer('node', ['demo/index.mjs']);
    inConsumer(bin('vitest'), ['run']);
  });

  await step('demo session over Redis + PostgreSQL with the consumer\u2019s drivers', backends);

  if (drivers === 'both') {
    await step('lowest supported ioredis and pg: install, type-check, run', () => {
      const oldest = oldestPeers();
      console.log(`installing ${JSON.stringify(oldest)}`);
      inConsumer('npm', [
        'install',
        ...NPM,
        ...Object.entries(oldest).map(([name, range]) => `${name}@${range}`),
      ]);
      inConsumer(bin('tsc'), ['-p', 'tsconfig.drivers.json']);
      backends();
    });
  }
} catch (error) {
  failed = true;
  console.error(`\nconsumer-smoke FAILED at "${current}":\n${error.message}`);
} finally {
  if (keep) console.log(`\nkept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

console.log(`\n${timings.join('\n')}`);
console.log(failed ? 'consumer-smoke: FAILED' : 'consumer-smoke: passed');
process.exit(failed ? 1 : 0);

function oldestPeers() {
  return Object.fromEntries(
    Object.entries(PEERS).map(([name, range]) => [name, lowestVersion(name, range)]),
  );
}
