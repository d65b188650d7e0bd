import { ForbiddenError, TooManyFriendsError } from './errors.js';
import type { Page, SharingSettings } from './model.js';
import type { PresenceWithLastSeen } from './ports.js';
import { lastSeenAt, visibleLatest, visiblePage } from './presence-view.js';
import type { GetPresenceResponse, Presence, UserInfo } from './schemas.js';
import { type ServiceContext, without } from './service-context.js';
import { SIZE_CHECK_FRIENDS } from './service-options.js';

/**
 * `GET /presence`: one graph query (friends joined to profiles and sharing settings), then one store
 * read (presence of the online users and last seen of the offline ones). Each user's pages are
 * shown under their current sharing rule; offline users carry `lastSeenAt`.
 * @throws TooManyFriendsError when the caller has more than `maxFriends` friends (nothing read from
 *   the store), or more than {@link SIZE_CHECK_FRIENDS} and a body over `maxResponseBytes`
 */
export async function getPresence(
  ctx: ServiceContext,
  caller: string,
): Promise<GetPresenceResponse> {
  const { graph, log, settings: cfg } = ctx;
  const read = await graph.friendsWithProfilesOf(caller);
  const friends = without(read.friends, caller);
  if (friends.length > cfg.maxFriends) {
    log.warn({ op: 'get-presence', friends: friends.length }, 'too many friends to answer');
    throw new TooManyFriendsError(
      `the caller has ${friends.length} friends; GET /presence answers for at most ${cfg.maxFriends} (maxFriends)`,
    );
  }
  const ids = [caller, ...friends];
  const { online, lastSeen } = await presenceWithLastSeen(ctx, ids);
  const presenceOf = (id: string): Presence => {
    const record = online.get(id);
    if (record === undefined) {
      return {
        userId: id,
        page: null,
        latestPage: null,
        lastSeenAt: lastSeenAt(lastSeen.get(id), cfg.lastSeenGranularityMs),
      };
    }
    const sharing = read.settings.get(id);
    return {
      userId: id,
      page: visiblePage(record.page, sharing),
      latestPage: visibleLatest(record.latestPage, sharing),
    };
  };
  const userInfoMap: Record<string, UserInfo> = {};
  for (const id of ids) {
    const profile = read.profiles.get(id);
    userInfoMap[id] = {
      user_id: id,
      first_name: profile?.firstName ?? '',
      last_name: profile?.lastName ?? '',
      profile_image_extension: profile?.profileImageExtension ?? null,
    };
  }
  const body = {
    userPresence: presenceOf(caller),
    presenceArr: friends.map(presenceOf),
    userInfoMap,
  };
  if (friends.length > SIZE_CHECK_FRIENDS) {
    // Escaped as a string inside the proxy response, as Lambda's cap counts it.
    const bytes = Buffer.byteLength(JSON.stringify(JSON.stringify(body)), 'utf8');
    if (bytes > cfg.maxResponseBytes) {
      log.warn({ op: 'get-presence', friends: friends.length, bytes }, 'presence too large');
      throw new TooManyFriendsError(
        `the answer for ${friends.length} friends would be ${bytes} bytes; GET /presence answers with at most ${cfg.maxResponseBytes} (maxResponseBytes)`,
      );
    }
  }
  log.info({ op: 'get-presence', userId: caller, friends: friends.length }, 'presence read');
  return body;
}

/** The presence and last seen of `ids` in one store read (presence only when the store keeps no last seen). */
async function presenceWithLastSeen(
  ctx: ServiceContext,
  ids: readonly string[],
): Promise<PresenceWithLastSeen> {
  const { store, calls, lastSeen } = ctx;
  if (lastSeen === undefined || lastSeen.lastSeenRetentionMs === 0) {
    const online = await calls.run('presenceOf', () => store.presenceOf(ids));
    return { online, lastSeen: new Map() };
  }
  return calls.run('presenceWithLastSeenOf', () => lastSeen.presenceWithLastSeenOf(ids));
}

/**
 * `GET /presence/{userId}`: the target's current page `{url, title}` as their current sharing rule
 * shows it (hidden: `""`s), `null` when offline. A friend's page costs one graph query (the
 * target's friends and settings, served by the friend cache when on) and one store read; the
 * caller's own page is the stored one, read without the graph (it was shareable when stored, and
 * a user may see their own page), so it keeps answering while the friend graph is down.
 * @throws ForbiddenError when the target is neither the caller nor an accepted friend
 */
export async function getUserPresence(
  ctx: ServiceContext,
  caller: string,
  target: string,
): Promise<Page | null> {
  const { graph, store, calls } = ctx;
  let settings: SharingSettings | undefined;
  if (caller !== target) {
    const read = await graph.friendsAndSettingsOf(target);
    if (!read.friends.includes(caller)) {
      throw new ForbiddenError('Forbidden access to user presence');
    }
    settings = read.settings;
  }
  const record = (await calls.run('presenceOf', () => store.presenceOf([target]))).get(target);
  if (record === undefined) return null;
  if (caller === target) return { url: record.page.url, title: record.page.title };
  const shown = visiblePage(record.page, settings);
  return { url: shown.url, title: shown.title };
}
