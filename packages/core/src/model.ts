/** A page as clients send and the store keeps it. `url: ""` means online with activity hidden. */
export interface Page {
  readonly url: string;
  readonly title: string;
}

/** A page as sent to clients: with the registrable domain of its URL. */
export interface PageView extends Page {
  readonly domain: string;
}

/** The page of an online user who shares nothing (yet). */
export const HIDDEN_PAGE: Page = Object.freeze({ url: '', title: '' });

/** What the store holds for an online user. */
export interface OnlineRecord {
  /** Current page; {@link HIDDEN_PAGE} when hidden or not yet sent. */
  readonly page: Page;
  /** Last shared (non-empty url) page, or `null` when nothing was shared during this session. */
  readonly latestPage: Page | null;
}

/** A connection and the user it belongs to. */
export interface ConnectionRef {
  readonly userId: string;
  readonly connectionId: string;
}

/** Profile of a user as the user service keeps it. */
export interface UserProfile {
  readonly userId: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly profileImageExtension: string | null;
}

/** Who may see which pages, as the user service keeps it. */
export type ShareMode = 'default_none' | 'default_all';

/** A user's sharing settings: allow list for `default_none`, deny list for `default_all`. */
export interface SharingSettings {
  readonly shareMode: ShareMode;
  readonly domainAllowList: readonly string[];
  readonly domainDenyList: readonly string[];
}

/** A user of a {@link FriendGraphSeed}: profile and, optionally, sharing settings. */
export interface SeedUser extends UserProfile {
  readonly sharing?: SharingSettings;
}

/** A friendship row: `from` requested, `to` received; `accepted: false` is a pending request. */
export interface SeedFriendship {
  readonly from: string;
  readonly to: string;
  readonly accepted: boolean;
}

/**
 * Users and friendship rows to load into a friend graph: the in-memory graph's constructor input,
 * the demo data of the local runtime, and the fixture the FriendGraph conformance suite seeds.
 */
export interface FriendGraphSeed {
  readonly users: readonly SeedUser[];
  readonly friendships: readonly SeedFriendship[];
}
