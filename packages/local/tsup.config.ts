import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // DEMO_DIR is resolved from import.meta.url; the CJS build needs the shim.
    shims: true,
  },
  {
    // The `presence-local` bin: ESM only, keeps the shebang of src/cli.ts.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
  },
]);
