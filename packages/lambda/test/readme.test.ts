import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GROUP_VARIABLES, PRESENCE_METRICS } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The rows of the README's configuration table: `| group | \`VARIABLE\` | default | meaning |`. */
function configurationRows(): [group: string, variable: string][] {
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Errors'));
  return [...section.matchAll(/^\| (\w+) \| `([A-Z_]+)` \|/gm)].map((m) => [
    m[1] ?? '',
    m[2] ?? '',
  ]);
}

describe('README', () => {
  it('documents every environment variable of the schemas, in its group, and no other', () => {
    const documented = configurationRows()
      .map(([group, variable]) => `${group}:${variable}`)
      .sort();
    const schema = Object.entries(GROUP_VARIABLES)
      .flatMap(([group, variables]) =>
        variables.filter((v) => v !== 'AWS_DEFAULT_REGION').map((v) => `${group}:${v}`),
      )
      .sort();
    expect(documented).toEqual(schema);
  });

  it('documents every metric the functions emit', () => {
    for (const name of Object.values(PRESENCE_METRICS))
      expect(readme, name).toContain(`\`${name}\``);
  });
});
