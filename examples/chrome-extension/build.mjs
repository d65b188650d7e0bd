// Builds the unpacked extension into dist/: the service worker bundled with @presence/client
// (extensions cannot import from node_modules), the manifest and the popup copied as they are.
import { cp, mkdir, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const out = new URL('./dist/', import.meta.url);
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [new URL('./src/service-worker.js', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  target: 'chrome116',
  outfile: new URL('service-worker.js', out).pathname,
  logLevel: 'warning',
});
for (const file of ['manifest.json', 'popup.html', 'popup.js', 'popup.css']) {
  await cp(new URL(`./src/${file}`, import.meta.url), new URL(file, out));
}
