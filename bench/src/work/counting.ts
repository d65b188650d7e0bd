import type { ConnectionNotifier } from '@presence/core';
import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';

/**
 * Work counted at the clients while the bench drives operations: Redis commands and round trips
 * (ioredis), SQL queries and new sessions (pg), frames posted and sockets closed (the notifier).
 * Counting wrappers, never production code: they patch one client instance the bench built.
 */
export interface WorkCounts {
  /** Redis commands written (`sendCommand` calls, a pipeline's members and script reloads included). */
  redisCommands: number;
  /**
   * Redis round trips: waves of commands, counted each time this client sends a command while
   * none of its commands is awaiting a reply. Commands sent together (a pipeline, or `Promise.all`
   * of several) are one wave; a command sent after the previous reply is another.
   */
  redisRoundTrips: number;
  /** Pipelines written (`pipeline().exec()`), each counted once. */
  redisPipelines: number;
  /** SQL queries (`pool.query` calls). */
  sqlQueries: number;
  /** New PostgreSQL sessions the pool opened. */
  sqlSessions: number;
  /** Frames handed to the notifier (one per connection). */
  posts: number;
  /** Sockets the notifier was asked to close. */
  closes: number;
}

/** A set of counters, shared by the wrappers of one runtime. */
export class WorkCounter {
  readonly counts: WorkCounts = WorkCounter.zero();
  /** Redis commands awaiting a reply now (what splits waves). */
  #redisInFlight = 0;

  /** Counts with every field at 0. */
  static zero(): WorkCounts {
    return {
      redisCommands: 0,
      redisRoundTrips: 0,
      redisPipelines: 0,
      sqlQueries: 0,
      sqlSessions: 0,
      posts: 0,
      closes: 0,
    };
  }

  /** A copy of the counts now. */
  snapshot(): WorkCounts {
    return { ...this.counts };
  }

  /** Counts since `before` (a {@link snapshot}). */
  since(before: WorkCounts): WorkCounts {
    const now = this.snapshot();
    const diff = WorkCounter.zero();
    for (const key of Object.keys(diff) as (keyof WorkCounts)[]) diff[key] = now[key] - before[key];
    return diff;
  }

  /** Called by {@link countRedis} for each command; returns the function to call on its reply. */
  redisSent(): () => void {
    this.counts.redisCommands += 1;
    if (this.#redisInFlight === 0) this.counts.redisRoundTrips += 1;
    this.#redisInFlight += 1;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      this.#redisInFlight -= 1;
    };
  }
}

interface SentCommand {
  readonly promise: Promise<unknown>;
}

/**
 * Counts every command `client` sends (its own, its pipelines', its scripts') into `counter`.
 * Patches this instance's `sendCommand`; connect the client first if its handshake should not count.
 */
export function countRedis<T extends Redis | Cluster>(client: T, counter: WorkCounter): T {
  const target = client as unknown as {
    sendCommand(command: SentCommand, stream?: { isPipeline?: boolean }, node?: unknown): unknown;
  };
  const original = target.sendCommand.bind(client);
  const pipelines = new WeakSet<object>();
  target.sendCommand = (command, stream, node) => {
    const replied = counter.redisSent();
    if (stream?.isPipeline === true && !pipelines.has(stream)) {
      pipelines.add(stream);
      counter.counts.redisPipelines += 1;
    }
    // Registered before the caller's own continuation: the wave ends before its next command.
    command.promise.then(replied, replied);
    return original(command, stream, node);
  };
  return client;
}

/** Counts `pool.query` calls and the sessions the pool opens into `counter`. */
export function countPool(pool: pg.Pool, counter: WorkCounter): pg.Pool {
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
    counter.counts.sqlQueries += 1;
    return original(...args);
  };
  pool.on('connect', () => {
    counter.counts.sqlSessions += 1;
  });
  return pool;
}

/** A notifier that counts the frames and closes it passes on to `notifier`. */
export function countNotifier(
  notifier: ConnectionNotifier,
  counter: WorkCounter,
): ConnectionNotifier {
  return {
    send(connectionIds, frame) {
      counter.counts.posts += connectionIds.length;
      return notifier.send(connectionIds, frame);
    },
    close(connectionIds) {
      counter.counts.closes += connectionIds.length;
      return notifier.close(connectionIds);
    },
  };
}
