import { registrableDomain } from './domain.js';
import type { OnlineRecord, Page, PageView, SharingSettings } from './model.js';
import type { PresenceTimeoutFrame, UpdatePresenceServerFrame } from './schemas.js';
import { isShareable } from './sharing.js';

// What clients are shown of a user's stored pages, under that user's CURRENT sharing rule: the
// rule is applied when the page is written and again whenever it is read (a page shared before a
// domain was denied must not reach friends afterwards).

const HIDDEN_VIEW: PageView = Object.freeze({ url: '', title: '', domain: '' });

/** A stored page as clients see it: with its registrable domain. No sharing rule applied. */
export function view(page: Page): PageView {
  return { url: page.url, title: page.title, domain: registrableDomain(page.url) };
}

/**
 * A stored page as the owner's current rule shows it: the page with its domain when shareable,
 * otherwise hidden (`{url:"",title:"",domain:""}`, the "online, activity hidden" of PROTOCOL.md).
 */
export function visiblePage(page: Page, settings: SharingSettings | undefined): PageView {
  if (page.url === '') return HIDDEN_VIEW;
  const shown = view(page);
  return isShareable(shown.domain, settings) ? shown : HIDDEN_VIEW;
}

/**
 * The latest shared page as the owner's current rule shows it: all `""` when nothing was shared or
 * when the rule no longer shares it (what PROTOCOL.md sends for "never shared").
 */
export function visibleLatest(
  latest: Page | null,
  settings: SharingSettings | undefined,
): PageView {
  return latest === null ? HIDDEN_VIEW : visiblePage(latest, settings);
}

/** The `update-presence` frame of an online user, under their current sharing rule. */
export function updateFrame(
  userId: string,
  record: OnlineRecord,
  settings: SharingSettings | undefined,
): UpdatePresenceServerFrame {
  const page = visiblePage(record.page, settings);
  const latest = visibleLatest(record.latestPage, settings);
  return {
    type: 'update-presence',
    userId,
    url: page.url,
    title: page.title,
    domain: page.domain,
    latestUrl: latest.url,
    latestTitle: latest.title,
    latestDomain: latest.domain,
  };
}

/**
 * `lastSeenAt` on the wire: the last activity rounded DOWN to `granularityMs`, as ISO 8601 UTC, or
 * `null` when unknown.
 */
export function lastSeenAt(lastActivity: number | undefined, granularityMs: number): string | null {
  if (lastActivity === undefined || !Number.isFinite(lastActivity) || lastActivity < 0) return null;
  return new Date(Math.floor(lastActivity / granularityMs) * granularityMs).toISOString();
}

/** The `presence-timeout` frame telling that `userId` went offline. */
export function timeoutFrame(userId: string, seenAt: string | null): PresenceTimeoutFrame {
  return { type: 'presence-timeout', userId, lastSeenAt: seenAt };
}
