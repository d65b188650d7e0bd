import { defineConfig } from 'tsup';
import { PRESENCE_FUNCTION_NAMES } from './src/function-names.js';

// One self-contained bundle per Lambda function: dist/functions/<name>/index.mjs (the CDK asset).

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'cdk/index': 'src/cdk/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    external: ['aws-cdk-lib', 'constructs', 'cdk-nag'],
  },
  {
    entry: Object.fromEntries(
      PRESENCE_FUNCTION_NAMES.map((name) => [
        `functions/${name}/index`,
        `src/functions/${name}.ts`,
      ]),
    ),
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node22',
    bundle: true,
    noExternal: [/.*/],
    splitting: false,
    sourcemap: true,
    clean: false,
    banner: {
      // Bundled CommonJS dependencies (pg, ioredis) call require(); give ESM bundles one.
      js: "import { createRequire as __presenceCreateRequire } from 'node:module'; const require = __presenceCreateRequire(import.meta.url);",
    },
  },
]);
