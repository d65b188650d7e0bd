// The adapters' public types against the drivers the consumer installed (ioredis and pg are peer
// dependencies): the consumer's own client and pool are what the adapters take.
import { PostgresFriendGraph } from '@presence/postgres';
import { RedisPresenceStore } from '@presence/redis';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';

export const store = new RedisPresenceStore({ client: new Redis({ lazyConnect: true }) });
export const clusterStore = new RedisPresenceStore({
  client: new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true }),
});
export const graph = new PostgresFriendGraph({ pool: new pg.Pool({ max: 1 }) });
