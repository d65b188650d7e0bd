import type { Page, SharingSettings } from './model.js';

/** What an update's frame and its recipients depend on, before the store write. */
export interface FingerprintInput {
  readonly userId: string;
  /** The page as written (hidden when the client or the rule hid it). */
  readonly page: Page;
  readonly shared: boolean;
  /** The user's current sharing settings. */
  readonly settings: SharingSettings | undefined;
  /** The user's accepted friends (any order). */
  readonly friends: readonly string[];
  readonly now: number;
  /** The service's `frameRefreshMs`; 0: no fingerprint (the skip rule is off). */
  readonly refreshMs: number;
}

const encoder = new TextEncoder();

/**
 * The fingerprint of the `update-presence` frame an update leads to, as the store compares it
 * (`PageOptions.frameFingerprint`), or `undefined` when the skip rule is off.
 *
 * The frame is `(page, latest page under the current rule)`. The page written and the settings are
 * known before the write; the latest page is not, but needs no place in the fingerprint:
 * - a shared page `P` is the latest page too, and `P` passes the rule, so the frame is `(P, P)`;
 * - a hidden page leaves the latest page as it was, and the latest page only moves with a shared
 *   page, whose fingerprint differs (it is marked shared): so when a hidden update's fingerprint
 *   equals the kept one, no shared page was written since, and the latest page is the one the kept
 *   frame carried, shown under the same settings.
 * The recipients are the user's own connections (a new one forgets the kept fingerprint in the
 * store) and the friends' (the sorted friend list is part of it, so a new friend gets the next
 * frame; a friend's new socket reads `GET /presence`). The refresh window (`now` in windows of
 * `refreshMs`, offset per user so that windows do not turn over for everyone at once) bounds how
 * long a frame can be skipped after a fault the store cannot see. SHA-256, first 128 bits.
 */
export async function frameFingerprint(input: FingerprintInput): Promise<string | undefined> {
  const { refreshMs } = input;
  if (refreshMs === 0) return undefined;
  const window = Math.floor((input.now + offsetOf(input.userId, refreshMs)) / refreshMs);
  const settings =
    input.settings === undefined
      ? null
      : [input.settings.shareMode, input.settings.domainAllowList, input.settings.domainDenyList];
  const text = JSON.stringify([
    1,
    input.shared,
    input.page.url,
    input.page.title,
    settings,
    [...input.friends].sort(),
    window,
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  let binary = '';
  for (const byte of digest.subarray(0, 16)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** A stable offset in [0, period) per user: a string hash of the id. */
function offsetOf(userId: string, period: number): number {
  let hash = 0;
  for (let i = 0; i < userId.length; i++) hash = (Math.imul(hash, 31) + userId.charCodeAt(i)) | 0;
  return (hash >>> 0) % period;
}
