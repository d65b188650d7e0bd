import { defineConfig } from 'tsup';

// The bench is an application, not a library: one ESM entry, no .d.ts. Workspace packages stay
// external and are imported lazily, so the bench builds and runs (reporting "not measured") even
// while one of them is missing or broken.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
});
