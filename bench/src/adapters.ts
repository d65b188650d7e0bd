import type { FriendGraph, PresenceStore } from '@presence/core';
import type { Redis } from 'ioredis';

/** A failed lazy import: the package is missing, unbuilt or broken. The bench reports why. */
export class Unavailable extends Error {}

async function load<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    throw new Unavailable(`${name} is not available (${message})`);
  }
}

/** The part of `@presence/redis` the bench uses. */
export interface RedisModule {
  RedisPresenceStore: new (options: {
    client?: Redis;
    url?: string;
    keyPrefix?: string;
    ttlMs?: number;
  }) => PresenceStore & {
    readonly keyPrefix: string;
  };
}

/** The part of `@presence/postgres` the bench uses. */
export interface PostgresModule {
  PostgresFriendGraph: new (options: {
    connectionString?: string;
    schema?: string;
    maxConnections?: number;
  }) => FriendGraph;
}

/** Loads `@presence/redis`, or throws {@link Unavailable}. */
export const loadRedis = () => load<RedisModule>('@presence/redis');
/** Loads `@presence/postgres`, or throws {@link Unavailable}. */
export const loadPostgres = () => load<PostgresModule>('@presence/postgres');
/** Loads `@presence/lambda`, or throws {@link Unavailable}. */
export const loadLambda = () => load<Record<string, unknown>>('@presence/lambda');
/** Loads `@presence/local`, or throws {@link Unavailable}. */
export const loadLocal = () => load<Record<string, unknown>>('@presence/local');

/** Message of an error for a "not measured" row. */
export function reason(error: unknown): string {
  if (error instanceof Unavailable) return error.message;
  const e = error as Error;
  return `${e?.name ?? 'Error'}: ${(e?.message ?? String(error)).split('\n')[0]}`;
}

/** Runs `fn` with bounded concurrency over `0..count-1` (for seeding through the store's own API). */
export async function forEachLimited(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
  onProgress?: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await fn(i);
      done += 1;
      if (onProgress && done % 1000 === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
