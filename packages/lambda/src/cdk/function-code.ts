import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PresenceFunctionName } from '../manifest.js';

/** The file every bundle directory must hold; the Lambda handler is its `handler` export. */
const BUNDLE_FILE = 'index.mjs';

/**
 * What the asset leaves out of a bundle directory: source maps (they would only help with
 * `--enable-source-maps`, at a cold-start cost) and the build's metafile.
 */
export const ASSET_EXCLUDES: readonly string[] = ['*.map', 'metafile-*.json'];

/**
 * The directory of the module that is running: `__dirname` in the CommonJS build (where
 * `import.meta` is empty), `import.meta.url` in the ESM build and under vitest.
 */
function moduleDirectory(): string {
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * The directory of the prebuilt function bundles (`<name>/index.mjs`), this package's
 * `dist/functions`: the default of `PresenceApiProps.functionsCodeDirectory`. Found by walking up from this module to the nearest
 * `package.json`: the same answer from `src/cdk/*.ts` (tests), `dist/cdk/index.{js,cjs}` and any
 * chunk tsup might split the module into, so the path never depends on the build layout.
 */
export function presenceFunctionsDirectory(): string {
  let dir = moduleDirectory();
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'functions');
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `@presence/lambda/cdk: cannot find the @presence/lambda package root above ${moduleDirectory()}; pass \`functionsCodeDirectory\`.`,
      );
    }
    dir = parent;
  }
}

/**
 * The asset directory of one function, checked to hold its bundle so that a missing build fails
 * at synth with the fix in the message rather than as an empty Lambda at deploy.
 */
export function functionAssetDirectory(
  functionsDirectory: string,
  name: PresenceFunctionName,
): string {
  const dir = resolve(functionsDirectory, name);
  if (!existsSync(join(dir, BUNDLE_FILE))) {
    throw new Error(
      `@presence/lambda/cdk: the bundle of the "${name}" function is missing: ${join(dir, BUNDLE_FILE)} does not exist. ` +
        'Build @presence/lambda first (`pnpm --filter @presence/lambda build` emits dist/functions/<name>/index.mjs), ' +
        'or point `functionsCodeDirectory` at a directory holding one <name>/index.mjs per function.',
    );
  }
  return dir;
}
