import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PRESENCE_FUNCTION_NAMES, type PresenceFunctionName, usesGroup } from '../src/manifest.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const functionsDir = join(packageRoot, 'dist', 'functions');

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown>; entryPoint?: string }>;
}

const metafileOf = (name: string): Metafile => {
  const file = join(functionsDir, name, 'metafile-esm.json');
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: build @presence/lambda first (pnpm --filter @presence/lambda build)`,
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Metafile;
};

/** The npm packages that went into a set of outputs (`pg`, `@aws-sdk/client-...`). */
function packagesOf(outputs: Metafile['outputs'][string][]): Set<string> {
  const packages = new Set<string>();
  for (const output of outputs) {
    for (const input of Object.keys(output.inputs)) {
      const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(
        input,
      );
      if (match?.[1]) packages.add(match[1]);
      else if (input.includes('packages/redis/')) packages.add('@presence/redis');
      else if (input.includes('packages/postgres/')) packages.add('@presence/postgres');
      else if (input.includes('packages/dynamodb/')) packages.add('@presence/dynamodb');
    }
  }
  return packages;
}

/** Everything the function's asset holds (the entry and every chunk it may load). */
const assetPackages = (name: PresenceFunctionName) =>
  packagesOf(Object.values(metafileOf(name).outputs));
/** What the entry itself holds: the code a cold start parses and runs. */
const entryPackages = (name: PresenceFunctionName) => {
  const { outputs } = metafileOf(name);
  return packagesOf(
    Object.entries(outputs)
      .filter(([file]) => file.endsWith(`${name}/index.mjs`))
      .map(([, output]) => output),
  );
};

describe('one function, one bundle (read from each bundle metafile)', () => {
  it('the authorizer holds neither pg nor ioredis, nor a Secrets Manager or @connections client', () => {
    const packages = assetPackages('authorizer');
    for (const absent of [
      'pg',
      'ioredis',
      '@presence/redis',
      '@presence/postgres',
      '@aws-sdk/client-secrets-manager',
      '@aws-sdk/client-apigatewaymanagementapi',
      '@aws-lambda-powertools/parameters',
      '@presence/dynamodb',
      '@aws-sdk/client-dynamodb',
    ]) {
      expect(packages.has(absent), absent).toBe(false);
    }
    expect(packages.has('aws-jwt-verify')).toBe(true);
  });

  it.each(PRESENCE_FUNCTION_NAMES)(
    '%s holds the client of each port it uses, and no other',
    (name) => {
      const packages = assetPackages(name);
      expect(packages.has('ioredis'), 'ioredis').toBe(usesGroup(name, 'redis'));
      expect(packages.has('pg'), 'pg').toBe(usesGroup(name, 'database'));
      expect(packages.has('@aws-sdk/client-apigatewaymanagementapi'), '@connections client').toBe(
        usesGroup(name, 'gateway'),
      );
      expect(packages.has('aws-jwt-verify'), 'aws-jwt-verify').toBe(usesGroup(name, 'identity'));
      expect(packages.has('@aws-sdk/client-dynamodb'), 'DynamoDB client').toBe(
        usesGroup(name, 'activity'),
      );
      // CDK never reaches a function.
      expect(packages.has('aws-cdk-lib')).toBe(false);
      expect(packages.has('constructs')).toBe(false);
    },
  );

  it.each(PRESENCE_FUNCTION_NAMES)(
    '%s loads the X-Ray tracer only on demand (a chunk of its own, not the entry)',
    (name) => {
      expect(assetPackages(name).has('aws-xray-sdk-core')).toBe(true);
      expect(entryPackages(name).has('aws-xray-sdk-core')).toBe(false);
    },
  );

  it.each(PRESENCE_FUNCTION_NAMES)(
    '%s holds the Redis friend cache builder only when it has the friendCache group',
    (name) => {
      const inputs = Object.values(metafileOf(name).outputs).flatMap((o) => Object.keys(o.inputs));
      const cache = inputs.some((input) => input.endsWith('src/compose/friend-cache.ts'));
      expect(cache).toBe(usesGroup(name, 'friendCache'));
    },
  );

  it.each(PRESENCE_FUNCTION_NAMES)(
    '%s loads the DynamoDB client of the activity history only on demand (not in the entry)',
    (name) => {
      expect(entryPackages(name).has('@aws-sdk/client-dynamodb')).toBe(false);
      expect(entryPackages(name).has('@presence/dynamodb')).toBe(false);
    },
  );

  it('is minified', () => {
    const source = readFileSync(join(functionsDir, 'authorizer', 'index.mjs'), 'utf8');
    // Minified output puts thousands of characters on a line; the unminified build had ~80.
    const lines = source.split('\n');
    expect(source.length / lines.length).toBeGreaterThan(1000);
  });
});

describe('the npm package', () => {
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
    files: string[];
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };

  it('ships no source map and no metafile (they stay in the build directory)', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: packageRoot,
      encoding: 'utf8',
    });
    const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
    const paths = pack.files.map((f) => f.path);
    expect(paths).toContain('dist/functions/authorizer/index.mjs');
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    expect(paths.filter((p) => /metafile/.test(p))).toEqual([]);
  }, 120_000);

  it('keeps aws-cdk-lib and constructs optional peers: a backend importing the handlers installs no CDK', () => {
    for (const name of ['aws-cdk-lib', 'constructs']) {
      expect(manifest.dependencies[name], name).toBeUndefined();
      expect(manifest.peerDependencies[name], name).toBeDefined();
      expect(manifest.peerDependenciesMeta[name]?.optional, name).toBe(true);
    }
    for (const entry of ['index.js', 'index.cjs']) {
      const source = readFileSync(join(packageRoot, 'dist', entry), 'utf8');
      expect(source, entry).not.toMatch(/["']aws-cdk-lib|["']constructs["']/);
    }
  });
});
