import * as fc from 'fast-check';
import { expect } from 'vitest';
import type { ActivityAppend, ActivityEntry, ActivityLog } from '../activity-log.js';
import { type ActivityLogFactory, openActivityLog } from './activity-log-handle.js';
import { FakeClock } from './fake-clock.js';

const T0 = 1_700_000_000_000;
/** Short, so that random offsets land on both sides of the retention boundary. */
const RETENTION_MS = 10_000;
const USERS = ['prop-ann', `prop-o'bri"en`] as const;
const PAGES = [
  { url: 'https://github.com/a', title: 'A' },
  { url: 'https://www.bbc.co.uk/news', title: 'BBC "news"' },
] as const;

interface AppendOp {
  readonly user: 0 | 1;
  /** Offset of `at` from the clock when appended; negative is a backdated entry. */
  readonly offset: number;
  readonly kind: 0 | 1 | 2 | 3;
}

const appendArb: fc.Arbitrary<AppendOp> = fc.record({
  user: fc.constantFrom(0 as const, 1 as const),
  // Few distinct offsets, so that many entries share a millisecond.
  offset: fc.oneof(fc.constantFrom(0, -1, -RETENTION_MS + 1), fc.integer({ min: -15_000, max: 5 })),
  kind: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
});

const scenarioArb = fc.record({
  before: fc.array(appendArb, { maxLength: 25 }),
  advanceMs: fc.constantFrom(0, 1, 3_000, RETENTION_MS - 1, RETENTION_MS),
  limit: fc.integer({ min: 1, max: 7 }),
  /** Appends made between pages (index = after which page), to check cursor stability. */
  during: fc.array(fc.array(appendArb, { maxLength: 3 }), { maxLength: 4 }),
});

type ScenarioValue = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function toAppend(op: AppendOp, now: number): ActivityAppend {
  const userId = USERS[op.user];
  const at = Math.max(0, now + op.offset);
  if (op.kind < 2) return { userId, at, type: 'update-presence', page: PAGES[op.kind as 0 | 1] };
  return { userId, at, type: op.kind === 2 ? 'online' : 'offline' };
}

const byIdDescending = (a: ActivityEntry, b: ActivityEntry) => (a.id < b.id ? 1 : -1);

async function runScenario(
  log: ActivityLog,
  clock: FakeClock,
  scenario: ScenarioValue,
): Promise<void> {
  const appended: ActivityEntry[] = [];
  for (const op of scenario.before) {
    const entry = await log.append(toAppend(op, clock.now()));
    if (op.user === 0) appended.push(entry);
  }
  clock.advance(scenario.advanceMs);
  const now = clock.now();
  const expected = appended.filter((e) => now < e.at + RETENTION_MS).sort(byIdDescending);

  const listed: ActivityEntry[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await log.list(USERS[0], {
      limit: scenario.limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (cursor !== undefined) {
      // Entries are only added while listing, so a cursor always promised more.
      expect(result.entries.length, 'a non-null cursor led to an empty page').toBeGreaterThan(0);
    }
    listed.push(...result.entries);
    if (result.nextCursor !== null) {
      expect(result.entries).toHaveLength(scenario.limit);
    } else {
      expect(result.entries.length).toBeLessThanOrEqual(scenario.limit);
      break;
    }
    cursor = result.nextCursor;
    for (const op of scenario.during[page] ?? []) await log.append(toAppend(op, clock.now()));
  }

  for (let i = 1; i < listed.length; i++) {
    const [newer, older] = [listed[i - 1] as ActivityEntry, listed[i] as ActivityEntry];
    expect(newer.id > older.id, 'strictly newest first across pages, no repeats').toBe(true);
    expect(newer.at).toBeGreaterThanOrEqual(older.at);
  }
  const listedIds = new Set(listed.map((e) => e.id));
  const missing = expected.filter((e) => !listedIds.has(e.id));
  expect(missing, 'every unexpired entry that existed before the listing').toEqual([]);
  if (scenario.during.every((ops) => ops.length === 0)) {
    expect(listed).toEqual(expected);
  }
  for (const entry of listed) expect(now < entry.at + RETENTION_MS).toBe(true);
}

/** Options of {@link checkActivityPagination}. */
export interface ActivityPaginationCheck {
  readonly numRuns: number;
  readonly seed?: number;
}

/**
 * Property: after random appends (two users, backdated and same-millisecond entries, all kinds) and
 * a clock move, listing one user page by page with a random limit yields every unexpired entry
 * exactly once, strictly newest first, full pages until the last; with random appends between
 * pages, nothing repeats and nothing that existed before is lost.
 */
export async function checkActivityPagination(
  makeLog: ActivityLogFactory,
  check: ActivityPaginationCheck,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (scenario) => {
      const clock = new FakeClock(T0);
      const { log, dispose } = await openActivityLog(makeLog, {
        clock,
        retentionMs: RETENTION_MS,
      });
      try {
        await runScenario(log, clock, scenario);
      } finally {
        await dispose();
      }
    }),
    { numRuns: check.numRuns, ...(check.seed === undefined ? {} : { seed: check.seed }) },
  );
}
