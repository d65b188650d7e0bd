import {
  CachingFriendGraph,
  type FriendGraph,
  MemoryFriendGraph,
  StoreUnavailableError,
} from '@presence/core';
import { describeFriendCache } from '@presence/core/testing';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisFriendCache } from '../src/index.js';
import {
  clearPrefix,
  clusterClient,
  clusterUnavailable,
  freshPrefix,
  mastersOf,
  singleNodeClient,
  singleNodeUnavailable,
} from './helpers.js';

/** Every key of a cache, from every master. */
async function cacheKeys(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of mastersOf(client)) {
    let cursor = '0';
    do {
      const [next, page] = await node.scan(cursor, 'MATCH', `${prefix}:f:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...page);
    } while (cursor !== '0');
  }
  return keys;
}

/**
 * The suite's `expire`: checks every entry key has a TTL of at most `ttlMs`, then expires it now
 * (PEXPIREAT in the past deletes a key exactly as its TTL would, with no waiting).
 */
async function expireEntries(cache: RedisFriendCache, ttlMs: number): Promise<void> {
  for (const key of await cacheKeys(cache.client, cache.keyPrefix)) {
    if (!key.includes('}:e:')) continue;
    const ttl = await cache.client.pttl(key);
    if (ttl <= 0 || ttl > ttlMs)
      throw new Error(`key ${key} has PTTL ${ttl}, expected 1..${ttlMs}`);
    await cache.client.pexpireat(key, 1);
  }
}

/** The conformance suite and the decorator over one client. */
function suiteOn(name: string, client: () => Redis | Cluster, filePrefix: string): void {
  let count = 0;
  describeFriendCache(name, async () => {
    count += 1;
    const cache = new RedisFriendCache({ client: client(), keyPrefix: `${filePrefix}:${count}` });
    return {
      cache,
      expire: (ttlMs) => expireEntries(cache, ttlMs),
      cleanup: () => clearPrefix(client(), cache.keyPrefix),
    };
  });

  describe(`CachingFriendGraph over RedisFriendCache: ${name}`, () => {
    it('a hit reads the friend graph 0 times; an invalidation makes the next read fresh', async () => {
      const inner = new MemoryFriendGraph({
        users: [],
        friendships: [{ from: 'alice', to: '{bob}', accepted: true }],
      });
      const reads: string[] = [];
      const counted: FriendGraph = {
        ...inner,
        friendsOf: (id) => inner.friendsOf(id),
        friendsOfMany: (ids) => inner.friendsOfMany(ids),
        areFriends: (a, b) => inner.areFriends(a, b),
        profilesOf: (ids) => inner.profilesOf(ids),
        sharingSettingsOf: (id) => inner.sharingSettingsOf(id),
        friendsWithProfilesOf: (id) => inner.friendsWithProfilesOf(id),
        friendsAndSettingsOf: (id) => {
          reads.push(id);
          return inner.friendsAndSettingsOf(id);
        },
      };
      const cache = new RedisFriendCache({ client: client(), keyPrefix: `${filePrefix}:graph` });
      const graph = new CachingFriendGraph(counted, { cache, ttlSeconds: 60 });
      try {
        expect(await graph.friendsAndSettingsOf('alice')).toEqual({
          friends: ['{bob}'],
          settings: undefined,
        });
        expect(await graph.friendsAndSettingsOf('alice')).toEqual({
          friends: ['{bob}'],
          settings: undefined,
        });
        expect(await graph.areFriends('{bob}', 'alice')).toBe(true);
        expect(reads).toEqual(['alice']);
        await graph.invalidate(['alice', '{bob}']);
        await graph.friendsAndSettingsOf('alice');
        expect(reads).toEqual(['alice', 'alice']);
      } finally {
        await clearPrefix(client(), cache.keyPrefix);
      }
    });
  });
}

const singleSkip = await singleNodeUnavailable();
if (singleSkip !== undefined) {
  describe.skip(`FriendCache conformance: redis single node (${singleSkip})`, () => {
    it('needs Redis on 127.0.0.1:6379', () => {});
  });
} else {
  const client = singleNodeClient();
  const prefix = freshPrefix('friend-cache-single');
  afterAll(async () => {
    await clearPrefix(client, prefix);
    await client.quit();
  });
  suiteOn('redis single node', () => client, prefix);

  describe('RedisFriendCache outside the contract', () => {
    it('keeps each user’s two keys in one slot and never puts the raw id inside braces', () => {
      const cache = new RedisFriendCache({ client, keyPrefix: 'p' });
      const entry = cache.entryKey('{x}y');
      const generation = cache.generationKey('{x}y');
      expect(entry).toMatch(/^p:f:\{f[0-9a-z]+\}:e:\{x\}y$/);
      expect(generation.replace(':g:', ':e:')).toBe(entry);
    });

    it('answers StoreUnavailableError when Redis cannot be reached, and after close()', async () => {
      const cache = new RedisFriendCache({
        url: 'redis://127.0.0.1:1',
        redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 },
      });
      await expect(cache.getMany(['alice'])).rejects.toSatisfy(StoreUnavailableError.isInstance);
      await expect(cache.invalidate(['alice'])).rejects.toSatisfy(StoreUnavailableError.isInstance);
      await cache.close();
      await expect(cache.getMany(['alice'])).rejects.toSatisfy(StoreUnavailableError.isInstance);
    });
  });
}

const clusterSkip = clusterUnavailable();
if (clusterSkip !== undefined) {
  describe.skip(`FriendCache conformance: redis cluster (${clusterSkip})`, () => {
    it('needs redis-server to start a cluster', () => {});
  });
} else {
  const client = clusterClient();
  const prefix = freshPrefix('friend-cache-cluster');
  afterAll(async () => {
    await clearPrefix(client, prefix);
    await client.quit();
  });
  suiteOn('redis cluster (3 masters)', () => client, prefix);
}
