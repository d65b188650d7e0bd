// The API reference's entry points: every code export of every public package, as the source
// file it is built from. Shared by typedoc.config.mjs and scripts/typedoc-package-names.mjs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { publicPackages } from './packages.mjs';

/** `{ import: { default: './dist/x.js' } }` (or a string) → `./dist/x.js`. */
function targetOf(value) {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return undefined;
  return targetOf(value.import ?? value.default ?? value.require);
}

/**
 * One entry per code export of a public package: `name` as a consumer imports it
 * (`@presence/core/testing`), `file` the absolute path of its source (`dist/x.js` is built from
 * `src/x.ts`). Throws when a source file is missing, so a new export cannot go undocumented.
 * @returns `{ name, file }[]`
 */
export function apiEntryPoints() {
  return publicPackages().flatMap(({ name, dir, manifest }) =>
    Object.entries(manifest.exports ?? { '.': manifest.module ?? manifest.main })
      .map(([key, value]) => [key, targetOf(value)])
      .filter(([, target]) => typeof target === 'string' && /\.[cm]?js$/.test(target))
      .map(([key, target]) => {
        const file = join(dir, target.replace(/^\.\/dist\//, 'src/').replace(/\.[cm]?js$/, '.ts'));
        if (!existsSync(file)) {
          throw new Error(`${name} exports ${key} (${target}), but ${file} does not exist`);
        }
        return { name: key === '.' ? name : `${name}${key.slice(1)}`, file };
      }),
  );
}
