// A TypeDoc plugin: each entry point's module is named as a consumer imports it
// (`@presence/core/testing`) rather than by its path in the repository (`core/src/testing`).
import { Converter, ReflectionKind } from 'typedoc';
import { apiEntryPoints } from './lib/api-entry-points.mjs';

/** @param {import('typedoc').Application} app */
export function load(app) {
  const names = new Map(apiEntryPoints().map(({ name, file }) => [file, name]));
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const file = module.sources?.[0]?.fullFileName;
      const name = file === undefined ? undefined : names.get(file);
      if (name === undefined) {
        app.logger.error(`typedoc-package-names: no package entry point for module ${module.name}`);
        continue;
      }
      module.name = name;
    }
  });
}
