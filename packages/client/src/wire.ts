// Reads what the server sends into the client's model. The wire shapes are core's (imported as
// types only: nothing of core reaches the bundle); checks are by hand since zod would weigh 100×
// the client. Fields the server may add later (`lastSeenAt`) are kept when present.
import type {
  GetPresenceResponse,
  Presence,
  PresenceTimeoutFrame,
  UpdatePresenceServerFrame,
  UserInfo,
} from '@presence/core';
import { PresenceClientError } from './errors.js';
import type { FriendPresence, Page, Profile } from './types.js';

type Loose<T> = { readonly [K in keyof T]?: unknown } & { readonly lastSeenAt?: unknown };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function pageOf(value: unknown): Page | null {
  if (!isObject(value) || typeof value.url !== 'string') return null;
  return { url: value.url, title: text(value.title), domain: text(value.domain) };
}

function profileOf(info: Loose<UserInfo> | undefined): Profile | undefined {
  if (!isObject(info)) return undefined;
  const image = info.profile_image_extension;
  return {
    firstName: text(info.first_name),
    lastName: text(info.last_name),
    imageExtension: typeof image === 'string' ? image : null,
  };
}

/** The same presence, key order included, so that equal states compare equal as JSON. */
export function presenceOf(
  userId: string,
  page: Page | null,
  latestPage: Page | null,
  lastSeenAt?: unknown,
  profile?: Profile,
): FriendPresence {
  return {
    userId,
    page,
    latestPage,
    ...(typeof lastSeenAt === 'string' && page === null ? { lastSeenAt } : {}),
    ...(profile === undefined ? {} : { profile }),
  };
}

/** Whether two presences are the same state (frames are state: a repeat changes nothing). */
export const samePresence = (a: FriendPresence, b: FriendPresence): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/**
 * The presence an `update-presence` or `presence-timeout` frame states; `undefined` for any other
 * frame, or one that lacks a field.
 */
export function presenceOfFrame(frame: Record<string, unknown>): FriendPresence | undefined {
  const { userId } = frame as Loose<PresenceTimeoutFrame>;
  if (typeof userId !== 'string') return undefined;
  if (frame.type === 'presence-timeout') {
    return presenceOf(userId, null, null, (frame as Loose<PresenceTimeoutFrame>).lastSeenAt);
  }
  const f = frame as Loose<UpdatePresenceServerFrame>;
  if (frame.type !== 'update-presence' || typeof f.url !== 'string') return undefined;
  return presenceOf(
    userId,
    { url: f.url, title: text(f.title), domain: text(f.domain) },
    { url: text(f.latestUrl), title: text(f.latestTitle), domain: text(f.latestDomain) },
  );
}

/** `GET /presence` read into the client's model. */
export interface Snapshot {
  readonly self: FriendPresence;
  readonly friends: readonly FriendPresence[];
}

/**
 * Reads a `GET /presence` body.
 * @throws PresenceClientError (`server`) when it is not shaped like one
 */
export function snapshotOf(body: unknown): Snapshot {
  const b = body as Loose<GetPresenceResponse> | null;
  if (!isObject(b) || !isObject(b.userPresence) || !Array.isArray(b.presenceArr)) {
    throw new PresenceClientError(
      'server',
      'GET /presence answered a body without userPresence and presenceArr',
    );
  }
  const infos = (isObject(b.userInfoMap) ? b.userInfoMap : {}) as Record<string, Loose<UserInfo>>;
  const read = (p: Loose<Presence>): FriendPresence =>
    presenceOf(
      p.userId as string,
      pageOf(p.page),
      pageOf(p.latestPage),
      p.lastSeenAt,
      profileOf(infos[p.userId as string]),
    );
  const valid = (p: unknown): p is Loose<Presence> => isObject(p) && typeof p.userId === 'string';
  if (!valid(b.userPresence)) {
    throw new PresenceClientError('server', 'GET /presence answered a userPresence without userId');
  }
  return { self: read(b.userPresence), friends: b.presenceArr.filter(valid).map(read) };
}
