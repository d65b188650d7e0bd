import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { connectionId, pageOf, userId } from '../dataset.js';

/** Options of {@link LegacyPresence}. */
export interface LegacyPresenceOptions {
  /** The same Redis the new store uses. */
  readonly redis: Redis;
  /** Prepended to the earlier deployment's global key names, so the bench never touches real keys. */
  readonly keyPrefix: string;
  /** PostgreSQL connection settings: the legacy code opens a new client per invocation. */
  readonly pgConfig: pg.ClientConfig;
  /** Schema holding `friendship_table` and `user_table`. */
  readonly schema: string;
  /** `@connections` endpoint (the local stand-in). */
  readonly gatewayEndpoint: string;
  /** Sweep timeout. @default 180_000 */
  readonly timeoutMs?: number;
}

/** The earlier deployment's key names (with the bench's prefix). */
export interface LegacyKeys {
  readonly userConnection: string;
  readonly connectionUser: string;
  readonly status: string;
  readonly page: string;
  readonly latestPage: string;
}

interface LegacyPage {
  url: string;
  title: string;
}

/**
 * A faithful re-implementation of the earlier deployment's command pattern (PROTOCOL.md, "The
 * earlier deployment's storage pattern"): global hashes `presence_user_connection`,
 * `presence_connection_user`, `page`, `latest_page` and sorted set `status`; one Redis command
 * awaited at a time (MULTI only where the old code used it); a new `pg.Client` (connect … end) on
 * every invocation; the `OR` friends query; one query per offline user in the sweep; one
 * `PostToConnection` per recipient connection through the AWS SDK.
 *
 * It keeps the old semantics (one connection per user, last wins) because that is what was
 * deployed; it exists only as a performance baseline and is never used by the service.
 */
export class LegacyPresence {
  readonly #redis: Redis;
  readonly #pgConfig: pg.ClientConfig;
  readonly #timeoutMs: number;
  readonly #gateway: ApiGatewayManagementApiClient;
  readonly #k: LegacyKeys;
  readonly #friendsSql: string;
  readonly #profilesSql: string;

  constructor(options: LegacyPresenceOptions) {
    this.#redis = options.redis;
    this.#pgConfig = options.pgConfig;
    this.#timeoutMs = options.timeoutMs ?? 180_000;
    const p = options.keyPrefix;
    this.#k = {
      userConnection: `${p}presence_user_connection`,
      connectionUser: `${p}presence_connection_user`,
      status: `${p}status`,
      page: `${p}page`,
      latestPage: `${p}latest_page`,
    };
    this.#friendsSql = `SELECT * FROM "${options.schema}".friendship_table WHERE (user_id1 = $1 OR user_id2 = $1) AND accepted_at IS NOT NULL`;
    this.#profilesSql = `SELECT * FROM "${options.schema}".user_table WHERE user_id = ANY($1)`;
    this.#gateway = new ApiGatewayManagementApiClient({
      endpoint: options.gatewayEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
  }

  /** The legacy key names (for seeding and memory measurement). */
  get keys(): LegacyKeys {
    return this.#k;
  }

  /** `$connect` (inferred from the layout): HSET both connection hashes, ZADD status, one at a time. */
  async connect(userId: string, connectionId: string, now = Date.now()): Promise<void> {
    await this.#redis.hset(this.#k.userConnection, userId, connectionId);
    await this.#redis.hset(this.#k.connectionUser, connectionId, userId);
    await this.#redis.zadd(this.#k.status, now, userId);
  }

  /** heartbeat: `HGET presence_connection_user` then `ZADD status`. */
  async heartbeat(connectionId: string, now = Date.now()): Promise<void> {
    const userId = await this.#redis.hget(this.#k.connectionUser, connectionId);
    if (userId === null) return;
    await this.#redis.zadd(this.#k.status, now, userId);
  }

  /**
   * update-presence: `HGET` the user; `MULTI` (`ZADD status`, `HSET page`, `HSET latest_page` when
   * shared); a new PostgreSQL connection and the friends query; `HMGET presence_user_connection`
   * for the friends; `HGET latest_page`; one post per connection (friends and the user's own).
   */
  async updatePresence(connectionId: string, page: LegacyPage, now = Date.now()): Promise<number> {
    const userId = await this.#redis.hget(this.#k.connectionUser, connectionId);
    if (userId === null) return 0;
    const json = JSON.stringify({ url: page.url, title: page.title });
    const multi = this.#redis
      .multi()
      .zadd(this.#k.status, now, userId)
      .hset(this.#k.page, userId, json);
    if (page.url !== '') multi.hset(this.#k.latestPage, userId, json);
    await multi.exec();
    const friends = await this.#withNewClient((client) => this.#friends(client, userId));
    const connections =
      friends.length > 0 ? await this.#redis.hmget(this.#k.userConnection, ...friends) : [];
    const latestRaw = await this.#redis.hget(this.#k.latestPage, userId);
    const latest =
      latestRaw === null ? { url: '', title: '' } : (JSON.parse(latestRaw) as LegacyPage);
    const frame = JSON.stringify({
      type: 'update-presence',
      userId,
      url: page.url,
      title: page.title,
      domain: legacyDomain(page.url),
      latestUrl: latest.url,
      latestTitle: latest.title,
      latestDomain: legacyDomain(latest.url),
    });
    const targets = [connectionId, ...connections.filter((c): c is string => c !== null)];
    await Promise.all(targets.map((id) => this.#post(id, frame)));
    return targets.length;
  }

  /**
   * GET /presence: a new PostgreSQL connection; the friends query; the profiles query
   * (`user_id = ANY($1)`); `HMGET page`; `HMGET latest_page`.
   */
  async getPresence(userId: string): Promise<unknown> {
    const { friends, profiles } = await this.#withNewClient(async (client) => {
      const friendIds = await this.#friends(client, userId);
      const result = await client.query(this.#profilesSql, [[userId, ...friendIds]]);
      return { friends: friendIds, profiles: result.rows as Record<string, unknown>[] };
    });
    const ids = [userId, ...friends];
    const pages = await this.#redis.hmget(this.#k.page, ...ids);
    const latest = await this.#redis.hmget(this.#k.latestPage, ...ids);
    const presence = ids.map((id, i) => {
      const page = pages[i];
      const latestPage = latest[i];
      return {
        userId: id,
        page: page == null ? null : withDomain(JSON.parse(page) as LegacyPage),
        latestPage:
          page == null
            ? null
            : withDomain(
                latestPage == null
                  ? { url: '', title: '' }
                  : (JSON.parse(latestPage) as LegacyPage),
              ),
      };
    });
    const userInfoMap = Object.fromEntries(profiles.map((row) => [row.user_id, row]));
    return { userPresence: presence[0], presenceArr: presence.slice(1), userInfoMap };
  }

  /**
   * Timeout sweep: `MULTI` (`ZRANGEBYSCORE status -inf cutoff`, `ZREMRANGEBYSCORE`); `HDEL page`,
   * `HDEL latest_page`; `HMGET` + `HDEL` of the connection hashes; then, for each offline user in
   * turn, the friends query, `HMGET` of the friends' connections and one post per connection.
   * Returns the users swept and posts sent.
   */
  async sweep(
    now = Date.now(),
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<{ offline: number; posts: number; announced: number }> {
    const cutoff = now - this.#timeoutMs;
    const result = await this.#redis
      .multi()
      .zrangebyscore(this.#k.status, '-inf', cutoff)
      .zremrangebyscore(this.#k.status, '-inf', cutoff)
      .exec();
    const users = (result?.[0]?.[1] as string[] | undefined) ?? [];
    if (users.length === 0) return { offline: 0, posts: 0, announced: 0 };
    await this.#redis.hdel(this.#k.page, ...users);
    await this.#redis.hdel(this.#k.latestPage, ...users);
    const connections = (await this.#redis.hmget(this.#k.userConnection, ...users)).filter(
      (c): c is string => c !== null,
    );
    await this.#redis.hdel(this.#k.userConnection, ...users);
    if (connections.length > 0) await this.#redis.hdel(this.#k.connectionUser, ...connections);
    let posts = 0;
    let announced = 0;
    await this.#withNewClient(async (client) => {
      for (const userId of users) {
        // The bench's time bound, not the old code's: the caller compares per-user rates.
        if (Date.now() >= deadline) break;
        announced += 1;
        const friends = await this.#friends(client, userId);
        if (friends.length === 0) continue;
        const friendConnections = (
          await this.#redis.hmget(this.#k.userConnection, ...friends)
        ).filter((c): c is string => c !== null);
        const frame = JSON.stringify({ type: 'presence-timeout', userId });
        await Promise.all(friendConnections.map((id) => this.#post(id, frame)));
        posts += friendConnections.length;
      }
    });
    return { offline: users.length, posts, announced };
  }

  /** Releases the SDK client. */
  close(): void {
    this.#gateway.destroy();
  }

  async #friends(client: pg.Client, userId: string): Promise<string[]> {
    const { rows } = await client.query<{ user_id1: string; user_id2: string }>(this.#friendsSql, [
      userId,
    ]);
    const out = new Set<string>();
    for (const row of rows) out.add(row.user_id1 === userId ? row.user_id2 : row.user_id1);
    return [...out];
  }

  async #withNewClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client(this.#pgConfig);
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  async #post(connectionId: string, data: string): Promise<void> {
    await this.#gateway.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }),
    );
  }
}

// The earlier deployment computed the domain with psl in the Lambda; the hostname's last two
// labels cost about the same and keep the baseline free of another dependency.
function legacyDomain(url: string): string {
  if (url === '') return '';
  try {
    return new URL(url).hostname.split('.').slice(-2).join('.');
  } catch {
    return '';
  }
}

function withDomain(page: LegacyPage): LegacyPage & { domain: string } {
  return { url: page.url, title: page.title, domain: legacyDomain(page.url) };
}

/** Options of {@link seedLegacyOnline}. */
export interface LegacySeedOptions {
  /** Users `0 … count-1` of the data set are put online. */
  readonly count: number;
  /** Their last activity (ms). */
  readonly now: number;
  /** Connection id tag, so different phases' connections never collide. */
  readonly tag: string;
  /** Users per pipeline. */
  readonly batch: number;
  /** Called after each pipeline with the users written so far. */
  readonly onProgress?: (done: number) => void;
}

/**
 * Writes online users in the earlier layout (both connection hashes, `status`, `page` and
 * `latest_page` with the data set's page), pipelined: bench seeding, not the pattern under test.
 */
export async function seedLegacyOnline(
  redis: Redis,
  keys: LegacyKeys,
  options: LegacySeedOptions,
): Promise<void> {
  const { count, now, tag, batch } = options;
  for (let start = 0; start < count; start += batch) {
    const pipe = redis.pipeline();
    for (let i = start; i < Math.min(count, start + batch); i += 1) {
      const json = JSON.stringify(pageOf(i));
      const connection = connectionId(i, 0, tag);
      pipe.hset(keys.userConnection, userId(i), connection);
      pipe.hset(keys.connectionUser, connection, userId(i));
      pipe.zadd(keys.status, now, userId(i));
      pipe.hset(keys.page, userId(i), json);
      pipe.hset(keys.latestPage, userId(i), json);
    }
    await pipe.exec();
    options.onProgress?.(Math.min(count, start + batch));
  }
}
