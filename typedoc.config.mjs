// TypeDoc: the API reference of every public package, `pnpm docs:api` → docs/api/ (git-ignored:
// generated, rebuilt by that one command). CI runs it and prints what the checks below find.
import { relative } from 'node:path';
import { apiEntryPoints } from './scripts/lib/api-entry-points.mjs';
import { publicPackages, root } from './scripts/lib/packages.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'presence',
  // Every code export of every public package (its package.json `exports`), from its sources.
  entryPoints: apiEntryPoints().map(({ file }) => relative(root, file)),
  tsconfig: 'tsconfig.typedoc.json',
  plugin: ['./scripts/typedoc-package-names.mjs'],
  out: 'docs/api',
  // The reference is the doc comments; the READMEs are read on GitHub and npm (pnpm check:links).
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  // `notDocumented` applies to these packages (by default only to the root package.json's).
  packagesRequiringDocumentation: publicPackages().map(({ name }) => name),
  // Exported symbols, and the call signatures of the functions and methods they hold. Not every
  // property: inferred types (zod) would flood the list with fields documented on their schema.
  requiredToBeDocumented: ['Class', 'Interface', 'TypeAlias', 'Function', 'Variable', 'Enum'],
  validation: {
    notExported: true,
    invalidLink: true,
    invalidPath: true,
    rewrittenLink: true,
    notDocumented: true,
    unusedMergeModuleWith: true,
  },
  // A missing doc comment or an unresolved {@link} fails `pnpm docs:api` (and CI).
  treatValidationWarningsAsErrors: true,
};
