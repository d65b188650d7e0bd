#!/usr/bin/env node
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
// `pnpm check:attw`: the published types of every public package, from the tarball `pnpm pack`
// makes (what `pnpm publish` uploads, `workspace:` ranges rewritten).
//
// 1. @arethetypeswrong/cli on each tarball: every entry point resolves to types and JavaScript of
//    the same format under node16 (from ESM and from CJS) and bundler resolution. Entries with a
//    `require` condition are checked as dual (profile node16); entries without one are ESM-only by
//    design (`@presence/client`, `@presence/core/testing`) and checked with profile esm-only. node10
//    resolution (`moduleResolution: "node"`) is not supported: subpath exports need node16/bundler.
//    Non-JavaScript exports (`./sql/*.sql`, `./package.json`) are not entry points for attw.
// 2. What attw does not look at: the modules the published .d.ts files import from other
//    packages. Each must be a dependency or peer dependency that ships its own types, or have its
//    `@types/` package in dependencies or peerDependencies; otherwise a consumer gets TS2307/TS7016,
//    or `any` under skipLibCheck. Node's built-in modules are the consumer's @types/node.
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { packAll, publicPackages, run } from './lib/packages.mjs';

const NOT_CODE = /\.(sql|json|css|html|md)$/;

/** Splits the package's exports into the entries attw checks as dual and as ESM-only. */
function entryPoints(manifest) {
  const exports = manifest.exports ?? { '.': manifest.main };
  const dual = [];
  const esmOnly = [];
  for (const [key, value] of Object.entries(exports)) {
    if (NOT_CODE.test(key)) continue;
    const hasRequire = typeof value === 'object' && value !== null && 'require' in value;
    (hasRequire ? dual : esmOnly).push(key);
  }
  return { dual, esmOnly };
}

function attw(tarball, profile, entries) {
  const args = [
    'exec',
    'attw',
    tarball,
    '--profile',
    profile,
    '--format',
    'ascii',
    '--no-color',
    '--entrypoints',
    ...entries,
  ];
  try {
    console.log(run('pnpm', args, { timeoutMs: 3 * 60_000 }).trim());
    return [];
  } catch (error) {
    console.log(error.message);
    return [`attw (${profile}: ${entries.join(' ')}) found problems`];
  }
}

/** Every .d.ts / .d.cts / .d.mts file under a directory. */
function declarationFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.d\.[cm]?ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageNameOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** `@scope/name` → `@types/scope__name`. */
const typesPackageOf = (name) =>
  `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;

/** Where the workspace package at `from` resolves a package from, if it is installed. */
function installedDir(name, from) {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

/**
 * Whether an installed package ships its own types: a `types`/`typings` field, a `types`
 * condition in its exports, or a .d.ts beside its main file (which TypeScript finds by name).
 */
function shipsTypes(dir) {
  if (!dir) return false;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (manifest.types || manifest.typings) return true;
  if (JSON.stringify(manifest.exports ?? {}).includes('"types"')) return true;
  const main = (manifest.main ?? 'index.js').replace(/\.[cm]?js$/, '');
  return existsSync(join(dir, `${main}.d.ts`)) || existsSync(join(dir, main, 'index.d.ts'));
}

/** The problems of the imports of a tarball's declaration files. */
function checkDeclarationImports({ name, dir, manifest, tarball }) {
  const unpacked = mkdtempSync(join(tmpdir(), 'presence-attw-'));
  try {
    run('tar', ['-xzf', tarball, '-C', unpacked]);
    const published = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8'));
    const declared = new Set([
      ...Object.keys(published.dependencies ?? {}),
      ...Object.keys(published.peerDependencies ?? {}),
    ]);
    const problems = new Set();
    for (const file of declarationFiles(join(unpacked, 'package'))) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const specifiers = [
        ...info.importedFiles.map((ref) => ref.fileName),
        ...info.typeReferenceDirectives.map((ref) => ref.fileName),
      ];
      const where = file.slice(join(unpacked, 'package').length + 1);
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const pkg = packageNameOf(specifier);
        if (builtinModules.includes(pkg) || pkg === 'node' || pkg === name) continue;
        const types = typesPackageOf(pkg);
        if (declared.has(types)) continue;
        if (declared.has(pkg) && shipsTypes(installedDir(pkg, dir))) continue;
        problems.add(
          declared.has(pkg)
            ? `${name}: ${where} imports '${specifier}'; ${pkg} ships no types and ${types} is not in dependencies or peerDependencies`
            : `${name}: ${where} imports '${specifier}', but neither ${pkg} nor ${types} is in dependencies or peerDependencies`,
        );
      }
    }
    if (published.name !== manifest.name) problems.add(`${name}: tarball names ${published.name}`);
    return [...problems];
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}

const work = mkdtempSync(join(tmpdir(), 'presence-attw-tarballs-'));
const problems = [];
try {
  for (const pkg of packAll(work, publicPackages())) {
    console.log(`\n== ${pkg.name}`);
    const { dual, esmOnly } = entryPoints(pkg.manifest);
    if (dual.length > 0)
      problems.push(...attw(pkg.tarball, 'node16', dual).map((p) => `${pkg.name}: ${p}`));
    if (esmOnly.length > 0)
      problems.push(...attw(pkg.tarball, 'esm-only', esmOnly).map((p) => `${pkg.name}: ${p}`));
    const imports = checkDeclarationImports(pkg);
    for (const problem of imports) console.log(problem);
    if (imports.length === 0) console.log('declaration imports: every one declared, with types');
    problems.push(...imports);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`\ncheck-attw: FAILED\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('\ncheck-attw: every public package passed');
