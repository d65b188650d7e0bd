import { expect } from 'vitest';
import type { ActivityAppend, ActivityEntry, ActivityLog } from '../activity-log.js';
import { InvalidInputError } from '../errors.js';
import type { Page } from '../model.js';
import type { ActivityLogFactory } from './activity-log-handle.js';
import type { ActivityLogSuiteOptions } from './activity-log-suite.js';
import type { FakeClock } from './fake-clock.js';

// Inputs and helpers shared by the groups of the ActivityLog conformance suite.

/** What every group of tests receives: the current test's log and clock, and the suite's inputs. */
export interface SuiteContext {
  log(): ActivityLog;
  clock(): FakeClock;
  readonly makeLog: ActivityLogFactory;
  readonly options: ActivityLogSuiteOptions;
}

/** The suite's start time (the driven clock's too) and retention period. */
export const T0 = 1_700_000_000_000;
export const RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** User ids, including quotes, Unicode, braces and 128 characters. */
export const ALICE = 'alice';
export const BOB = `o'brien"bob"`;
export const CAROL = 'carol-ünïcødé-用户-😀';
export const DAVE = '{dave}:tag';
export const LONG = `google_${'1'.repeat(121)}`;

/** Shared pages: a plain one, a multi-label suffix, and one with quotes, Unicode and emoji. */
export const GITHUB: Page = { url: 'https://github.com/presence/core', title: 'GitHub' };
export const BBC: Page = { url: 'https://www.bbc.co.uk/news', title: 'BBC' };
export const ODD: Page = { url: 'https://foo.github.io/a?b="c"&d=é#x', title: 'Foo "ü" {x} 😀' };

/** An `update-presence` append. */
export const visit = (userId: string, at: number, page: Page = GITHUB): ActivityAppend => ({
  userId,
  at,
  type: 'update-presence',
  page,
});
/** An `online` or `offline` append. */
export const mark = (userId: string, at: number, type: 'online' | 'offline'): ActivityAppend => ({
  userId,
  at,
  type,
});

/** Lists the user's whole history page by page (bounded), newest first. */
export async function listAll(
  log: ActivityLog,
  userId: string,
  limit = 100,
): Promise<ActivityEntry[]> {
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

/** The `at` of each entry, in order. */
export const ats = (entries: readonly ActivityEntry[]) => entries.map((e) => e.at);
/** Expects the promise to reject with an InvalidInputError. */
export const rejectsAsInvalid = (promise: Promise<unknown>) =>
  expect(promise).rejects.toSatisfy(InvalidInputError.isInstance);
