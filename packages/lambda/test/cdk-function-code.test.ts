import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRESENCE_FUNCTION_NAMES, presenceFunctionsDirectory } from '../src/cdk/index.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const distFunctions = join(packageRoot, 'dist', 'functions');

/** The test task runs after `build` (turbo.json); say so plainly when it did not. */
function requireBuilt(path: string): void {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: build @presence/lambda first (pnpm --filter @presence/lambda build).`,
    );
  }
}

describe('function bundles as CDK assets', () => {
  beforeAll(() => {
    requireBuilt(join(packageRoot, 'dist', 'cdk', 'index.js'));
    requireBuilt(join(packageRoot, 'dist', 'cdk', 'index.cjs'));
  });

  it('finds dist/functions from the sources (tests)', () => {
    expect(presenceFunctionsDirectory()).toBe(distFunctions);
  });

  it('finds dist/functions from the built ESM module', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { presenceFunctionsDirectory as f } from './dist/cdk/index.js'; console.log(f());",
      ],
      { cwd: packageRoot, encoding: 'utf8' },
    );
    expect(out.trim()).toBe(distFunctions);
  });

  it('finds dist/functions from the built CommonJS module', () => {
    const out = execFileSync(
      process.execPath,
      ['-e', "console.log(require('./dist/cdk/index.cjs').presenceFunctionsDirectory());"],
      { cwd: packageRoot, encoding: 'utf8' },
    );
    expect(out.trim()).toBe(distFunctions);
  });

  it('has one self-contained ESM bundle per function, exporting handler', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const bundle = join(distFunctions, name, 'index.mjs');
      requireBuilt(bundle);
      const source = readFileSync(bundle, 'utf8');
      expect(source, name).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
      // Self-contained: nothing imported from the workspace packages at run time.
      expect(source, name).not.toMatch(/from\s*["']@presence\//);
    }
  });
});
