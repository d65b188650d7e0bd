import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';
import { PRESENCE_FUNCTION_NAMES } from './src/manifest.js';

// The library (`@presence/lambda`, `@presence/lambda/cdk`): ESM + CJS with types, dependencies
// external. Then one build per Lambda function: dist/functions/<name>/index.mjs (the CDK asset),
// self-contained, minified and tree-shaken, holding only the ports that function's entry imports.

/** `@presence/core`'s entry in the workspace. */
const CORE_SOURCES = fileURLToPath(new URL('../core/src/index.ts', import.meta.url));

const library: Options = {
  entry: { index: 'src/index.ts', 'cdk/index': 'src/cdk/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  // `pnpm build` empties dist/ first: builds run side by side and must not clean each other.
  clean: false,
  target: 'node20',
  external: ['aws-cdk-lib', 'constructs', 'cdk-nag'],
};

/**
 * One function's bundle. Splitting is on so that the X-Ray tracer, imported only with
 * `TRACING=true`, is a chunk of its own beside `index.mjs` (in the same asset directory), loaded
 * and initialised only by containers that trace. Source maps are written for local debugging;
 * they stay out of the npm tarball (`files`) and out of the Lambda asset (the construct excludes
 * them). The metafile records what went into the bundle (tests read it: the authorizer holds
 * neither pg nor ioredis); it stays out of the tarball and the asset too.
 */
const lambdaFunction = (name: string): Options => ({
  entry: { index: `src/functions/${name}.ts` },
  outDir: `dist/functions/${name}`,
  format: ['esm'],
  outExtension: () => ({ js: '.mjs' }),
  platform: 'node',
  target: 'node22',
  bundle: true,
  noExternal: [/.*/],
  splitting: true,
  minify: true,
  // Error classes keep their names in logs and `error.name`.
  keepNames: true,
  sourcemap: true,
  metafile: true,
  clean: false,
  dts: false,
  esbuildOptions(options) {
    // Core from its sources, module by module: its dist is one file, which esbuild cannot
    // tree-shake, so the authorizer would carry the frame schemas and the public suffix list.
    options.alias = { '@presence/core': CORE_SOURCES };
  },
  banner: {
    // Bundled CommonJS dependencies (pg, ioredis) call require(); give ESM bundles one.
    js: "import { createRequire as __presenceCreateRequire } from 'node:module'; const require = __presenceCreateRequire(import.meta.url);",
  },
});

export default defineConfig([library, ...PRESENCE_FUNCTION_NAMES.map(lambdaFunction)]);
