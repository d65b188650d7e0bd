import { ConfigError } from '@presence/core';

/** Default {@link RedisKeyLayout} prefix. */
export const DEFAULT_KEY_PREFIX = 'presence';

/** Default number of sweep buckets (and of hash tags user data spreads over). */
export const DEFAULT_SWEEP_BUCKETS = 64;

const encoder = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 bytes of `text`: fast, stable across processes and languages. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Names of every key the Redis store writes. A user's hash and the sweep bucket that indexes the
 * user's connections share the hash tag `{<bucket>}` (the bucket is derived from a hash of the user
 * id, never the raw id), so one script touches one slot; the connection record is tagged with the
 * connection id (API Gateway ids never contain braces).
 *
 * | key | type | holds |
 * |---|---|---|
 * | `<prefix>:{<b>}:u:<userId>` | hash | `c:<connectionId>` → last-seen ms (`:<tokens>` with a rate limit); `n` connection count; `a` last activity; `u`/`t` current page; `lu`/`lt` latest shared page (or `L`); `f` last frame fingerprint |
 * | `<prefix>:{<b>}:s` | sorted set | member `<connectionId> <userId>`, score last-seen ms (the sweep index of bucket `b`) |
 * | `<prefix>:{<b>}:o` | sorted set | member `<userId>`, score the ms from which its announcement is claimable (the outbox) |
 * | `<prefix>:{<b>}:od` | hash | `<userId>` → `<lastActivity> <recordedAt> <claim>` (the outbox entries) |
 * | `<prefix>:{<b>}:m` | hash | the bucket's sweep marker: epoch, last sweep, last gap, pending reconcile |
 * | `<prefix>:{<b>}:l:<userId>` | string | last activity of a user who went offline (last seen) |
 * | `<prefix>:c:{<connectionId>}` | string | `<b> <userId>`: the connection's owner |
 */
export class RedisKeyLayout {
  /** Prefix of every key, without the trailing `:`. */
  readonly prefix: string;
  /** Number of sweep buckets. */
  readonly buckets: number;
  /** `<prefix>:`, the form the Lua scripts take. */
  readonly base: string;

  constructor(prefix = DEFAULT_KEY_PREFIX, buckets = DEFAULT_SWEEP_BUCKETS) {
    if (typeof prefix !== 'string' || prefix.length === 0 || /[{}\s]/u.test(prefix)) {
      throw new ConfigError('keyPrefix must be a non-empty string without braces or whitespace');
    }
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 16384) {
      throw new ConfigError(`sweepBuckets must be an integer from 1 to 16384, got ${buckets}`);
    }
    this.prefix = prefix;
    this.buckets = buckets;
    this.base = `${prefix}:`;
  }

  /** The bucket (and hash tag) of a user. */
  bucketOf(userId: string): number {
    return fnv1a32(userId) % this.buckets;
  }

  /** The hash holding a user's connections and pages. */
  userKey(userId: string, bucket = this.bucketOf(userId)): string {
    return `${this.base}{${bucket}}:u:${userId}`;
  }

  /** The sweep index (sorted set of `<connectionId> <userId>` by last-seen) of one bucket. */
  bucketKey(bucket: number): string {
    return `${this.base}{${bucket}}:s`;
  }

  /** The outbox of one bucket: user → the time (ms) from which its announcement is claimable. */
  outboxKey(bucket: number): string {
    return `${this.base}{${bucket}}:o`;
  }

  /** The outbox entries of one bucket: user → `<lastActivity> <recordedAt> <claim>`. */
  outboxDataKey(bucket: number): string {
    return `${this.base}{${bucket}}:od`;
  }

  /** The sweep marker of one bucket (outage and data-loss detection). */
  markerKey(bucket: number): string {
    return `${this.base}{${bucket}}:m`;
  }

  /** The last activity of a user who went offline, kept for the last-seen retention. */
  lastSeenKey(userId: string, bucket = this.bucketOf(userId)): string {
    return `${this.base}{${bucket}}:l:${userId}`;
  }

  /** The record of a connection's owner, readable from the connection id alone. */
  connectionKey(connectionId: string): string {
    return `${this.base}c:{${connectionId}}`;
  }

  /** The sweep index member of a connection. */
  member(connectionId: string, userId: string): string {
    return `${connectionId} ${userId}`;
  }

  /** The value of a connection record: `<bucket> <userId>`. */
  owner(userId: string, bucket = this.bucketOf(userId)): string {
    return `${bucket} ${userId}`;
  }

  /** Parses a connection record; `undefined` when malformed. */
  parseOwner(value: string): { bucket: number; userId: string } | undefined {
    const space = value.indexOf(' ');
    if (space <= 0) return undefined;
    const bucket = Number(value.slice(0, space));
    const userId = value.slice(space + 1);
    if (!Number.isInteger(bucket) || bucket < 0 || userId.length === 0) return undefined;
    return { bucket, userId };
  }

  /** Every key one user's write touches: the user hash, the bucket and the connection record. */
  keysOf(userId: string, connectionId: string): string[] {
    const bucket = this.bucketOf(userId);
    return [this.userKey(userId, bucket), this.bucketKey(bucket), this.connectionKey(connectionId)];
  }

  /** SCAN pattern matching every key of this layout. */
  get pattern(): string {
    return `${this.base.replace(/[*?[\]\\]/g, '\\$&')}*`;
  }
}
