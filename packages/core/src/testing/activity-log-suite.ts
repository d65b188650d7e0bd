import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ActivityAppend,
  type ActivityEntry,
  type ActivityLog,
  DEFAULT_ACTIVITY_PAGE_LIMIT,
  MAX_ACTIVITY_PAGE_LIMIT,
} from '../activity-log.js';
import { InvalidInputError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { Page } from '../model.js';
import {
  type ActivityLogFactory,
  type OpenedActivityLog,
  openActivityLog,
} from './activity-log-handle.js';
import { checkActivityPagination } from './activity-log-property.js';
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

interface SuiteContext {
  log(): ActivityLog;
  clock(): FakeClock;
  readonly makeLog: ActivityLogFactory;
  readonly options: ActivityLogSuiteOptions;
}

const T0 = 1_700_000_000_000;
const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const ALICE = 'alice';
const BOB = `o'brien"bob"`;
const CAROL = 'carol-ünïcødé-用户-😀';
const DAVE = '{dave}:tag';
const LONG = `google_${'1'.repeat(121)}`;

const GITHUB: Page = { url: 'https://github.com/presence/core', title: 'GitHub' };
const BBC: Page = { url: 'https://www.bbc.co.uk/news', title: 'BBC' };
const ODD: Page = { url: 'https://foo.github.io/a?b="c"&d=é#x', title: 'Foo "ü" {x} 😀' };

const visit = (userId: string, at: number, page: Page = GITHUB): ActivityAppend => ({
  userId,
  at,
  type: 'update-presence',
  page,
});
const mark = (userId: string, at: number, type: 'online' | 'offline'): ActivityAppend => ({
  userId,
  at,
  type,
});

/** Lists the user's whole history page by page (bounded), newest first. */
async function listAll(log: ActivityLog, userId: string, limit = 100): Promise<ActivityEntry[]> {
  const all: ActivityEntry[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await log.list(userId, { limit, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.entries);
    if (page.nextCursor === null) return all;
    cursor = page.nextCursor;
  }
  throw new Error(`list(${userId}) still had a cursor after 1000 pages`);
}

const ats = (entries: readonly ActivityEntry[]) => entries.map((e) => e.at);
const rejectsAsInvalid = (promise: Promise<unknown>) =>
  expect(promise).rejects.toSatisfy(InvalidInputError.isInstance);

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

function retentionTests(ctx: SuiteContext): void {
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

function eraseTests(ctx: SuiteContext): void {
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

function inputTests(ctx: SuiteContext): void {
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

/**
 * Registers the {@link ActivityLog} conformance suite with vitest. Before every test, `makeLog`
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
