import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Unavailable } from '../adapters.js';
import { percentile } from '../stats.js';
import type { BenchContext } from './context.js';

const run = promisify(execFile);

/** Fresh processes per function for the cold-start median (the issue asks for 20). */
export const COLD_START_RUNS = 20;

/** What one function bundle weighs and how long importing it takes in a fresh process. */
export interface BundleMeasurement {
  /** The function's name, as its directory under `dist/functions`. */
  readonly name: string;
  /** Bytes of the entry, `index.mjs`: what a cold start loads and runs. */
  readonly entryBytes: number;
  /** Bytes of every `.mjs` of the asset (the entry and the chunks it may load on demand). */
  readonly bytes: number;
  /** Those bytes gzipped (about what the deployment zip carries). */
  readonly gzipBytes: number;
  /** Median, over {@link COLD_START_RUNS} fresh `node` processes, of the timed `import()`, ms. */
  readonly importMs: number;
  /** The slowest of those runs, ms. */
  readonly maxImportMs: number;
}

/** The directory of the prebuilt function bundles of the installed `@presence/lambda`. */
export function lambdaFunctionsDirectory(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('@presence/lambda/package.json');
  } catch (error) {
    throw new Unavailable(`@presence/lambda is not available (${(error as Error).message})`);
  }
  const dir = join(dirname(manifest), 'dist', 'functions');
  if (!existsSync(dir)) throw new Unavailable(`${dir} is missing: build @presence/lambda`);
  return dir;
}

/**
 * One timed `import()` of a bundle in a new `node` process with an empty environment (PATH only):
 * the module-scope work a Lambda cold start pays before the first invocation (the handlers build
 * their clients lazily, so nothing connects). The clock runs inside the child, around the import
 * alone, so Node's own start-up is not counted.
 */
async function timedImport(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '' },
    timeout: 30_000,
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`import of ${file} printed ${stdout.slice(0, 80)}`);
  return ms;
}

/** Measures every `<name>/index.mjs` under `dir`, one function after another (nothing in parallel). */
export async function measureBundleDirectory(
  dir: string,
  runs = COLD_START_RUNS,
): Promise<BundleMeasurement[]> {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'index.mjs')))
    .map((entry) => entry.name)
    .sort();
  const measured: BundleMeasurement[] = [];
  for (const name of names) {
    const file = join(dir, name, 'index.mjs');
    const files = readdirSync(join(dir, name)).filter((f) => f.endsWith('.mjs'));
    const source = Buffer.concat(files.map((f) => readFileSync(join(dir, name, f))));
    const times: number[] = [];
    for (let i = 0; i < runs; i += 1) times.push(await timedImport(file));
    measured.push({
      name,
      entryBytes: readFileSync(file).byteLength,
      bytes: source.byteLength,
      gzipBytes: gzipSync(source).byteLength,
      importMs: percentile(times, 50),
      maxImportMs: Math.max(...times),
    });
  }
  return measured;
}

/**
 * Per-function bundle bytes and cold-start initialisation (`pnpm bench --only bundles`): the
 * deployed `dist/functions/<name>/index.mjs` of `@presence/lambda`, its size raw and gzipped,
 * and the median of {@link COLD_START_RUNS} timed imports, each in a fresh process.
 */
export async function measureBundles(ctx: BenchContext): Promise<void> {
  const dir = lambdaFunctionsDirectory();
  const measured = await measureBundleDirectory(dir);
  if (measured.length === 0) throw new Unavailable(`no <name>/index.mjs bundle under ${dir}`);
  for (const m of measured) {
    ctx.report.add({
      section: 'bundles',
      name: `function ${m.name}`,
      p50Ms: m.importMs,
      note: `entry ${formatKiB(m.entryBytes)}, asset ${formatKiB(m.bytes)} (${formatKiB(m.gzipBytes)} gzipped); import() median of ${COLD_START_RUNS} fresh processes ${m.importMs.toFixed(1)} ms, slowest ${m.maxImportMs.toFixed(1)} ms`,
    });
  }
  const total = measured.reduce((sum, m) => sum + m.bytes, 0);
  ctx.report.notes.push(
    `bundles: ${measured.length} functions, ${formatKiB(total)} in all; p50 ms of a bundles row is its cold-start import() median`,
  );
}

function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB`;
}
