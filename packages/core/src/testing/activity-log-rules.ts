import { describe, expect, it } from 'vitest';
import type { ActivityAppend } from '../activity-log.js';
import { MAX_ACTIVITY_PAGE_LIMIT } from '../activity-log.js';
import { DEFAULT_LIMITS } from '../limits.js';
import {
  ALICE,
  ats,
  BOB,
  CAROL,
  DAVE,
  listAll,
  mark,
  RETENTION_MS,
  rejectsAsInvalid,
  type SuiteContext,
  T0,
  visit,
} from './activity-log-fixtures.js';

// The retention, erase and bad-input groups of the ActivityLog conformance suite.

/** Retention, to the millisecond, on the driven clock. */
export function retentionTests(ctx: SuiteContext): void {
  describe('retention', () => {
    it('an entry is listed until `at + retentionMs`, to the millisecond, by the log clock', async () => {
      const log = ctx.log();
      await log.append(visit(ALICE, T0));
      await log.append(mark(ALICE, T0 + 1, 'offline'));
      ctx.clock().set(T0 + RETENTION_MS - 1);
      expect(ats((await log.list(ALICE)).entries)).toEqual([T0 + 1, T0]);
      ctx.clock().set(T0 + RETENTION_MS);
      expect(ats((await log.list(ALICE)).entries)).toEqual([T0 + 1]);
      ctx.clock().set(T0 + RETENTION_MS + 1);
      expect(await log.list(ALICE)).toEqual({ entries: [], nextCursor: null });
    });

    it('expired entries neither fill a page nor leave a cursor behind', async () => {
      const log = ctx.log();
      for (let i = 0; i < 5; i++) await log.append(visit(ALICE, T0 + i * 1_000));
      ctx.clock().set(T0 + 2_000 + RETENTION_MS);
      const page = await log.list(ALICE, { limit: 2 });
      expect([ats(page.entries), page.nextCursor]).toEqual([[T0 + 4_000, T0 + 3_000], null]);
    });

    it('an entry appended already expired is accepted and never listed', async () => {
      const log = ctx.log();
      ctx.clock().set(T0 + RETENTION_MS);
      const entry = await log.append(mark(ALICE, T0, 'offline'));
      expect(entry.at).toBe(T0);
      expect(await log.list(ALICE)).toEqual({ entries: [], nextCursor: null });
    });
  });
}

/** Erase: everything of one user, idempotent. */
export function eraseTests(ctx: SuiteContext): void {
  describe('erase', () => {
    it("removes every entry of the user and no one else's", async () => {
      const log = ctx.log();
      for (let i = 0; i < 30; i++) await log.append(visit(i % 3 ? ALICE : BOB, T0 + i));
      await log.erase(ALICE);
      expect(await log.list(ALICE)).toEqual({ entries: [], nextCursor: null });
      expect((await listAll(log, BOB)).length).toBe(10);
    });

    it('is idempotent: an unknown user, an empty history, twice in a row', async () => {
      const log = ctx.log();
      await log.erase('nobody-here');
      await log.append(visit(CAROL, T0));
      await log.erase(CAROL);
      await log.erase(CAROL);
      expect(await log.list(CAROL)).toEqual({ entries: [], nextCursor: null });
    });

    it('a history starts again after an erase', async () => {
      const log = ctx.log();
      await log.append(visit(DAVE, T0));
      await log.erase(DAVE);
      const again = await log.append(mark(DAVE, T0 + 1, 'online'));
      expect((await log.list(DAVE)).entries).toEqual([again]);
    });
  });
}

const BAD_USER_IDS: readonly unknown[] = ['', 'a b', 'a/b', 'x'.repeat(129), 42, undefined];

/** Bad input for every method: InvalidInputError, nothing written. */
export function inputTests(ctx: SuiteContext): void {
  describe('bad input: InvalidInputError, nothing written', () => {
    const badAppends: ReadonlyArray<readonly [string, unknown]> = [
      ...BAD_USER_IDS.map(
        (userId) => [`user id ${JSON.stringify(userId)}`, { ...visit(ALICE, T0), userId }] as const,
      ),
      ...[-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, `${T0}`].map(
        (at) => [`at ${String(at)}`, { ...visit(ALICE, T0), at }] as const,
      ),
      ['type UPDATE_PRESENCE', { ...visit(ALICE, T0), type: 'UPDATE_PRESENCE' }],
      ['no type', { userId: ALICE, at: T0 }],
      ['update-presence without a page', { userId: ALICE, at: T0, type: 'update-presence' }],
      ['a hidden page (url "")', visit(ALICE, T0, { url: '', title: '' })],
      [
        'a URL over the limit',
        visit(ALICE, T0, {
          url: `https://a.com/${'x'.repeat(DEFAULT_LIMITS.maxUrlLength)}`,
          title: '',
        }),
      ],
      [
        'a title over the limit',
        visit(ALICE, T0, {
          url: 'https://a.com/',
          title: 't'.repeat(DEFAULT_LIMITS.maxTitleLength + 1),
        }),
      ],
      ['a URL with a lone surrogate', visit(ALICE, T0, { url: 'https://a.com/\ud800', title: '' })],
      [
        'a title that is not a string',
        { ...visit(ALICE, T0), page: { url: 'https://a.com/', title: 7 } },
      ],
      ['null', null],
    ];
    it.each(badAppends)('append rejects %s', async (_what, entry) => {
      await rejectsAsInvalid(ctx.log().append(entry as ActivityAppend));
      expect(await ctx.log().list(ALICE)).toEqual({ entries: [], nextCursor: null });
    });

    it.each(BAD_USER_IDS.map((id) => [JSON.stringify(id), id] as const))(
      'list and erase reject user id %s',
      async (_what, userId) => {
        await rejectsAsInvalid(ctx.log().list(userId as string));
        await rejectsAsInvalid(ctx.log().erase(userId as string));
      },
    );

    it.each([0, -1, 1.5, MAX_ACTIVITY_PAGE_LIMIT + 1, Number.NaN])(
      'list rejects limit %s',
      async (limit) => {
        await rejectsAsInvalid(ctx.log().list(ALICE, { limit }));
      },
    );

    it('list rejects a cursor it did not issue: garbage, empty, tampered, another type', async () => {
      const log = ctx.log();
      for (let i = 0; i < 3; i++) await log.append(visit(ALICE, T0 + i));
      const { nextCursor } = await log.list(ALICE, { limit: 1 });
      const issued = nextCursor as string;
      const flipped = `${issued.slice(0, -2)}${issued.at(-2) === 'A' ? 'B' : 'A'}${issued.at(-1)}`;
      for (const cursor of [
        '',
        'garbage!',
        'bm90IGEgY3Vyc29y',
        `${issued}x`,
        flipped,
        42,
        '{"id":1}',
        issued.toUpperCase(),
      ]) {
        await rejectsAsInvalid(log.list(ALICE, { cursor: cursor as string }));
      }
      expect((await log.list(ALICE, { cursor: issued })).entries).toHaveLength(2);
    });
  });
}
