import { ConfigError, type Logger } from '@presence/core';
import pg from 'pg';
import { DEFAULT_CHANGE_CHANNEL } from './change-triggers.js';
import { quoteIdentifier } from './names.js';
import { describeDriverError, toGraphUnavailable } from './translate-error.js';

/** Options of {@link listenForGraphChanges}. */
export interface GraphChangeListenerOptions {
  /**
   * The user service's database. `LISTEN` holds one session for as long as it listens: connect
   * directly (or through PgBouncer in session mode), not through RDS Proxy, which would pin it.
   */
  readonly connectionString?: string;
  /** Any other pg client field (host, user, password, ssl...); `connectionString` wins. */
  readonly clientConfig?: pg.ClientConfig;
  /** The channel {@link changeTriggersSql} notifies on. @default 'presence_friend_graph' */
  readonly channel?: string;
  /**
   * Called with the users of each change (two for a friendship, one for sharing settings), one
   * call after the other, in commit order: typically `(ids) => graph.invalidate(ids)`. A failure is
   * logged at `warn` (code only) and the next change goes on.
   */
  readonly onChange: (userIds: string[]) => Promise<void> | void;
  /**
   * Called after the session was lost and listening again: changes committed in between were not
   * announced (their cache entries live until their TTL), so this is where to react if that matters.
   */
  readonly onReconnect?: () => Promise<void> | void;
  /** Gets `warn` lines (codes only, never ids) on lost sessions, bad payloads and failed callbacks. */
  readonly logger?: Logger;
  /** First delay before reconnecting, doubled after each failure up to 30 s. @default 1000 */
  readonly reconnectDelayMs?: number;
}

/** A running {@link listenForGraphChanges}. */
export interface GraphChangeListener {
  /** Resolves once every change received so far has been handed to `onChange` and settled. */
  settle(): Promise<void>;
  /** Stops listening and ends the session. Idempotent. */
  close(): Promise<void>;
}

const MAX_RECONNECT_DELAY_MS = 30_000;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The user ids of a payload (`["a","b"]`), or `undefined` when it is not one. */
export function changedUserIds(payload: string | undefined): string[] | undefined {
  try {
    const value: unknown = JSON.parse(payload ?? '');
    if (
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((id) => typeof id === 'string' && id !== '')
    ) {
      return [...new Set(value as string[])];
    }
  } catch {
    // not JSON: reported below
  }
  return undefined;
}

/**
 * `LISTEN`s on the channel of {@link changeTriggersSql} and hands every change to `onChange`, so a
 * friend cache forgets a friendship or a settings change within milliseconds of its commit rather
 * than at its TTL. Reconnects on its own (backoff from `reconnectDelayMs` to 30 s).
 * @throws GraphUnavailableError when the first connection or `LISTEN` fails
 * @example
 * const listener = await listenForGraphChanges({
 *   connectionString: process.env.USER_DB_URL,
 *   onChange: (userIds) => graph.invalidate?.(userIds),
 * });
 */
export async function listenForGraphChanges(
  options: GraphChangeListenerOptions,
): Promise<GraphChangeListener> {
  if (typeof options.onChange !== 'function') {
    throw new ConfigError('listenForGraphChanges needs an onChange function');
  }
  const listener = new Listener(options);
  await listener.connect();
  return listener;
}

class Listener implements GraphChangeListener {
  readonly #options: GraphChangeListenerOptions;
  readonly #channel: string;
  readonly #log: Logger;
  readonly #baseDelayMs: number;
  #delayMs: number;
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: GraphChangeListenerOptions) {
    this.#options = options;
    this.#channel = options.channel ?? DEFAULT_CHANGE_CHANNEL;
    quoteIdentifier(this.#channel, 'channel');
    this.#log = options.logger ?? silent;
    this.#baseDelayMs = options.reconnectDelayMs ?? 1000;
    if (!Number.isInteger(this.#baseDelayMs) || this.#baseDelayMs < 1) {
      throw new ConfigError(
        `reconnectDelayMs must be a positive integer, got ${this.#baseDelayMs}`,
      );
    }
    this.#delayMs = this.#baseDelayMs;
  }

  async connect(): Promise<void> {
    const client = new pg.Client({
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      application_name: 'presence-graph-listener',
      ...this.#options.clientConfig,
      ...(this.#options.connectionString === undefined
        ? {}
        : { connectionString: this.#options.connectionString }),
    });
    client.on('notification', (message) => {
      if (message.channel === this.#channel) this.#enqueue(message.payload);
    });
    client.on('error', (error) => {
      this.#log.warn(
        { op: 'graph-listener', reason: describeDriverError(error) },
        'graph change listener: session lost',
      );
      this.#lost(client);
    });
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.#channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw toGraphUnavailable('listen', error);
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#delayMs = this.#baseDelayMs;
  }

  async settle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.#chain) {
      seen = this.#chain;
      await seen;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await this.settle();
  }

  #enqueue(payload: string | undefined): void {
    const userIds = changedUserIds(payload);
    if (userIds === undefined) {
      this.#log.warn(
        { op: 'graph-listener' },
        'graph change listener: payload is not a list of ids',
      );
      return;
    }
    this.#chain = this.#chain
      .then(() => this.#options.onChange(userIds))
      .catch((error: unknown) => {
        this.#log.warn(
          { op: 'graph-listener', code: (error as { code?: unknown })?.code ?? 'internal' },
          'graph change listener: onChange failed',
        );
      });
  }

  #lost(client: pg.Client): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    this.#timer = setTimeout(async () => {
      if (this.#closed) return;
      try {
        await this.connect();
      } catch {
        this.#delayMs = Math.min(this.#delayMs * 2, MAX_RECONNECT_DELAY_MS);
        this.#reconnectLater();
        return;
      }
      this.#log.info({ op: 'graph-listener' }, 'graph change listener: listening again');
      try {
        await this.#options.onReconnect?.();
      } catch (error) {
        this.#log.warn(
          { op: 'graph-listener', code: (error as { code?: unknown })?.code ?? 'internal' },
          'graph change listener: onReconnect failed',
        );
      }
    }, this.#delayMs);
    this.#timer.unref();
  }
}
