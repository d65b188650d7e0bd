import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { BenchContext } from './context.js';

/** The size the issue asks of the client's entry, min+gzip. */
const GOAL_BYTES = 4 * 1024;

/**
 * What `@presence/client` costs a browser or extension bundle: its package entry (the built
 * `dist/index.js`, everything it exports) bundled and minified by esbuild for the browser, then
 * gzipped at level 9. A size, not a timing: the same on every machine for the same build.
 */
export async function measureClientBundle(ctx: BenchContext): Promise<void> {
  const { build } = await import('esbuild');
  const entry = createRequire(import.meta.url).resolve('@presence/client');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (code === undefined) throw new Error('esbuild produced no output');
  const gzipped = gzipSync(code, { level: 9 }).length;
  ctx.results.set('client:gzip', gzipped);
  ctx.report.add({
    section: 'client',
    name: '@presence/client entry, esbuild --bundle --minify, gzip -9',
    note: `${(gzipped / 1024).toFixed(2)} KB min+gzip (${gzipped.toLocaleString('en-US')} B; ${code.length.toLocaleString('en-US')} B minified)`,
  });
  ctx.report.target('client bundle (min+gzip)', gzipped / 1024, '<', GOAL_BYTES / 1024, ' KB');
}
