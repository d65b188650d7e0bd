import { defineConfig } from 'tsup';

// ESM only, for browsers, MV3 service workers and Node >= 20 alike; ES2020 syntax so that bundlers
// of older browser targets need no transform.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2020',
  platform: 'neutral',
});
