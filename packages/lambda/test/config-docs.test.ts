import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GROUP_VARIABLES, PRESENCE_METRICS } from '../src/index.js';

// docs/operations.md is the deployers' configuration reference: its table must name every variable
// the functions read, in its group, and nothing else. The Lambda-provided `aws` group is set by the
// runtime, never by a deployer, so it stays out of the table.
const operations = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

/** The text of the `## Configuration reference` section, up to the next `## ` heading. */
function configurationSection(): string {
  const start = operations.indexOf('\n## Configuration reference\n');
  if (start === -1)
    throw new Error('docs/operations.md has no "## Configuration reference" section');
  const end = operations.indexOf('\n## ', start + 1);
  return operations.slice(start, end === -1 ? undefined : end);
}

/** `group:VARIABLE` of each table row `| group | \`VARIABLE\` | default | meaning |`. */
function documented(): string[] {
  const rows = [
    ...configurationSection().matchAll(/^\| *([A-Za-z]+) *\| *`([A-Z][A-Z0-9_]*)` *\|/gm),
  ];
  return [...new Set(rows.map((row) => `${row[1]}:${row[2]}`))].sort();
}

/** `group:VARIABLE` of every variable the configuration schemas read, but the `aws` group's. */
function read(): string[] {
  return [
    ...new Set(
      Object.entries(GROUP_VARIABLES)
        .filter(([group]) => group !== 'aws')
        .flatMap(([group, variables]) => variables.map((variable) => `${group}:${variable}`)),
    ),
  ].sort();
}

describe('docs/operations.md configuration reference', () => {
  it('has a table row for every variable the functions read, in its group', () => {
    const rows = documented();
    const missing = read().filter((entry) => !rows.includes(entry));
    expect(missing, 'variables the code reads that the table does not name').toEqual([]);
  });

  it('names no variable the code does not read', () => {
    const known = read();
    const unknown = documented().filter((entry) => !known.includes(entry));
    expect(unknown, 'table rows the configuration schemas do not read').toEqual([]);
  });
});

describe('docs/operations.md metrics', () => {
  it('has a row for every metric the functions emit', () => {
    const start = operations.indexOf('\n## Metrics\n');
    const section = operations.slice(start, operations.indexOf('\n## ', start + 1));
    const missing = Object.values(PRESENCE_METRICS).filter(
      (name) => !section.includes(`| \`${name}\` |`),
    );
    expect(missing, 'metrics the functions emit that the table does not name').toEqual([]);
  });
});
