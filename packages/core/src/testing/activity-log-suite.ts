import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACTIVITY_PAGE_LIMIT, MAX_ACTIVITY_PAGE_LIMIT } from '../activity-log.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { Page } from '../model.js';
import {
  ALICE,
  ats,
  BBC,
  BOB,
  CAROL,
  DAVE,
  GITHUB,
  LONG,
  listAll,
  mark,
  ODD,
  RETENTION_MS,
  type SuiteContext,
  T0,
  visit,
} from './activity-log-fixtures.js';
import {
  type ActivityLogFactory,
  type OpenedActivityLog,
  openActivityLog,
} from './activity-log-handle.js';
import { checkActivityPagination } from './activity-log-property.js';
import { eraseTests, inputTests, retentionTests } from './activity-log-rules.js';
import { FakeClock } from './fake-clock.js';

/** Options of {@link describeActivityLog}; each one is a knob of the property test. */
export interface ActivityLogSuiteOptions {
  /** Random scenarios of the pagination property; `0` skips it (state why in your test file). @default 40 */
  readonly propertyRuns?: number;
  /** fast-check seed, to replay a failure the property reported. */
  readonly propertySeed?: number;
  /** Timeout of the property test and of the tests that append many entries, in ms. @default 60_000 */
  readonly slowTimeoutMs?: number;
}

function appendTests(ctx: SuiteContext): void {
  describe('append and list', () => {
    it('append returns the entry as list shows it, with the registrable domain of the page', async () => {
      const entry = await ctx.log().append(visit(ALICE, T0, BBC));
      expect(entry).toEqual({
        id: entry.id,
        at: T0,
        type: 'update-presence',
        page: { ...BBC, domain: 'bbc.co.uk' },
      });
      expect(typeof entry.id).toBe('string');
      expect(await ctx.log().list(ALICE)).toEqual({ entries: [entry], nextCursor: null });
    });

    it('online and offline entries carry no page', async () => {
      const online = await ctx.log().append(mark(ALICE, T0, 'online'));
      const offline = await ctx.log().append(mark(ALICE, T0 + 5, 'offline'));
      expect(online).toEqual({ id: online.id, at: T0, type: 'online' });
      expect('page' in offline).toBe(false);
      expect((await ctx.log().list(ALICE)).entries).toEqual([offline, online]);
    });

    it('lists newest first by `at`, whatever the append order (a backdated offline included)', async () => {
      const log = ctx.log();
      await log.append(mark(ALICE, T0, 'online'));
      await log.append(visit(ALICE, T0 + 3_000));
      await log.append(visit(ALICE, T0 + 9_000, BBC));
      await log.append(mark(ALICE, T0 + 6_000, 'offline'));
      expect(ats((await log.list(ALICE)).entries)).toEqual([
        T0 + 9_000,
        T0 + 6_000,
        T0 + 3_000,
        T0,
      ]);
    });

    it('two identical entries in one millisecond are both kept; the later append comes first', async () => {
      const log = ctx.log();
      const first = await log.append(visit(ALICE, T0));
      const second = await log.append(visit(ALICE, T0));
      expect(second.id).not.toBe(first.id);
      expect((await log.list(ALICE)).entries).toEqual([second, first]);
    });

    it('concurrent appends in one millisecond all survive, with distinct ids', async () => {
      const log = ctx.log();
      const made = await Promise.all(
        Array.from({ length: 20 }, (_, i) => log.append(visit(ALICE, T0, i % 2 ? BBC : GITHUB))),
      );
      const listed = await listAll(log, ALICE, 7);
      expect(new Set(listed.map((e) => e.id)).size).toBe(20);
      expect([...listed].sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
        [...made].sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
    });

    it('ids order the entries: larger id, later entry', async () => {
      const log = ctx.log();
      for (const at of [T0 + 2, T0, T0 + 1, T0 + 1, T0 + 2]) await log.append(visit(ALICE, at));
      const ids = (await log.list(ALICE)).entries.map((e) => e.id);
      expect(ids).toEqual([...ids].sort().reverse());
    });

    it('keeps users apart, for ids with quotes, braces, colons, Unicode and 128 characters', async () => {
      const log = ctx.log();
      const users = [ALICE, BOB, CAROL, DAVE, LONG, 'Alice'];
      for (const [i, userId] of users.entries()) await log.append(visit(userId, T0 + i));
      for (const [i, userId] of users.entries()) {
        expect(ats((await log.list(userId)).entries), userId).toEqual([T0 + i]);
      }
      expect(await log.list('nobody-here')).toEqual({ entries: [], nextCursor: null });
    });

    it('keeps URLs and titles exactly: quotes, Unicode, emoji, an empty title, the length limits', async () => {
      const log = ctx.log();
      const longest: Page = {
        url: `https://example.com/${'x'.repeat(DEFAULT_LIMITS.maxUrlLength - 20)}`,
        title: 'ü'.repeat(DEFAULT_LIMITS.maxTitleLength),
      };
      const pages = [ODD, { url: 'https://github.com/', title: '' }, longest];
      for (const [i, page] of pages.entries()) await log.append(visit(ALICE, T0 + i, page));
      const listed = (await log.list(ALICE)).entries.map((e) =>
        e.type === 'update-presence' ? e.page : null,
      );
      expect(listed).toEqual([
        { ...longest, domain: 'example.com' },
        { url: 'https://github.com/', title: '', domain: 'github.com' },
        { ...ODD, domain: 'foo.github.io' },
      ]);
    });

    it('a page on a host with no registrable domain (an IP, localhost) is kept with domain ""', async () => {
      const entry = await ctx
        .log()
        .append(visit(ALICE, T0, { url: 'http://127.0.0.1:8080/x', title: 'dev' }));
      expect(entry.type === 'update-presence' && entry.page.domain).toBe('');
    });
  });
}

function paginationTests(ctx: SuiteContext): void {
  describe('pagination', () => {
    it('splits the history into full pages, newest first, with a null cursor exactly on the last', async () => {
      const log = ctx.log();
      for (let i = 0; i < 6; i++) await log.append(visit(ALICE, T0 + i));
      const first = await log.list(ALICE, { limit: 3 });
      expect(ats(first.entries)).toEqual([T0 + 5, T0 + 4, T0 + 3]);
      expect(first.nextCursor).not.toBeNull();
      const second = await log.list(ALICE, { limit: 3, cursor: first.nextCursor as string });
      expect(ats(second.entries)).toEqual([T0 + 2, T0 + 1, T0]);
      expect(second.nextCursor).toBeNull();
      const one = await log.list(ALICE, { limit: 6 });
      expect([one.entries.length, one.nextCursor]).toEqual([6, null]);
    });

    it(
      `limit defaults to ${DEFAULT_ACTIVITY_PAGE_LIMIT} and may be up to ${MAX_ACTIVITY_PAGE_LIMIT}`,
      async () => {
        const log = ctx.log();
        await Promise.all(
          Array.from({ length: MAX_ACTIVITY_PAGE_LIMIT + 1 }, (_, i) =>
            log.append(mark(ALICE, T0 + i, 'online')),
          ),
        );
        const byDefault = await log.list(ALICE);
        expect(byDefault.entries).toHaveLength(DEFAULT_ACTIVITY_PAGE_LIMIT);
        const most = await log.list(ALICE, { limit: MAX_ACTIVITY_PAGE_LIMIT });
        expect(ats(most.entries)).toEqual(
          Array.from(
            { length: MAX_ACTIVITY_PAGE_LIMIT },
            (_, i) => T0 + MAX_ACTIVITY_PAGE_LIMIT - i,
          ),
        );
        const rest = await log.list(ALICE, {
          limit: MAX_ACTIVITY_PAGE_LIMIT,
          cursor: most.nextCursor as string,
        });
        expect([ats(rest.entries), rest.nextCursor]).toEqual([[T0], null]);
      },
      ctx.options.slowTimeoutMs ?? 60_000,
    );

    it('a cursor is a position: newer appends wait for a new listing, a backdated one shows once', async () => {
      const log = ctx.log();
      for (const at of [T0, T0 + 10, T0 + 20, T0 + 30]) await log.append(visit(ALICE, at));
      const first = await log.list(ALICE, { limit: 2 });
      expect(ats(first.entries)).toEqual([T0 + 30, T0 + 20]);
      await log.append(visit(ALICE, T0 + 40));
      await log.append(mark(ALICE, T0 + 25, 'offline'));
      await log.append(mark(ALICE, T0 + 5, 'offline'));
      const rest = await log.list(ALICE, { limit: 10, cursor: first.nextCursor as string });
      expect(ats(rest.entries)).toEqual([T0 + 10, T0 + 5, T0]);
      expect(ats(await listAll(log, ALICE))).toEqual([
        T0 + 40,
        T0 + 30,
        T0 + 25,
        T0 + 20,
        T0 + 10,
        T0 + 5,
        T0,
      ]);
    });

    it('a cursor into an erased or expired history gives an empty last page', async () => {
      const log = ctx.log();
      for (let i = 0; i < 4; i++) await log.append(visit(ALICE, T0 + i));
      const first = await log.list(ALICE, { limit: 2 });
      await log.erase(ALICE);
      expect(await log.list(ALICE, { cursor: first.nextCursor as string })).toEqual({
        entries: [],
        nextCursor: null,
      });
      for (let i = 0; i < 4; i++) await log.append(visit(BOB, T0 + i));
      const bobs = await log.list(BOB, { limit: 2 });
      ctx.clock().set(T0 + 2 + RETENTION_MS);
      expect(await log.list(BOB, { cursor: bobs.nextCursor as string })).toEqual({
        entries: [],
        nextCursor: null,
      });
    });
  });
}

/**
 * Registers the {@link @presence/core!ActivityLog | ActivityLog} conformance suite with vitest. Before every test, `makeLog`
 * receives a driven clock and a retention period and returns an empty log that measures retention
 * with exactly those; after it, the suite runs `cleanup` (or `log.close?.()`).
 * @example
 * describeActivityLog('memory', async ({ clock, retentionMs }) => new MemoryActivityLog({ clock, retentionMs }));
 */
export function describeActivityLog(
  name: string,
  makeLog: ActivityLogFactory,
  options: ActivityLogSuiteOptions = {},
): void {
  describe(`ActivityLog conformance: ${name}`, () => {
    let current: (OpenedActivityLog & { clock: FakeClock }) | undefined;
    beforeEach(async () => {
      const clock = new FakeClock(T0);
      current = {
        ...(await openActivityLog(makeLog, { clock, retentionMs: RETENTION_MS })),
        clock,
      };
    });
    afterEach(async () => {
      const opened = current;
      current = undefined;
      await opened?.dispose();
    });
    const ctx: SuiteContext = {
      log: () => {
        if (current === undefined) throw new Error('the log is only available inside a test');
        return current.log;
      },
      clock: () => {
        if (current === undefined) throw new Error('the clock is only available inside a test');
        return current.clock;
      },
      makeLog,
      options,
    };
    appendTests(ctx);
    paginationTests(ctx);
    retentionTests(ctx);
    eraseTests(ctx);
    inputTests(ctx);
    const runs = options.propertyRuns ?? 40;
    const title = 'property: listing page by page yields every unexpired entry once, newest first';
    if (runs === 0) {
      it.skip(`${title} (skipped: propertyRuns is 0)`, () => {});
    } else {
      it(
        title,
        () =>
          checkActivityPagination(makeLog, {
            numRuns: runs,
            ...(options.propertySeed === undefined ? {} : { seed: options.propertySeed }),
          }),
        options.slowTimeoutMs ?? 60_000,
      );
    }
  });
}
