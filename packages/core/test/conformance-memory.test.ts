import {
  DEFAULT_LAST_SEEN_RETENTION_MS,
  DEFAULT_MEMORY_TTL_MS,
  MemoryFriendGraph,
  MemoryPresenceStore,
} from '../src/index.js';
import { describeFriendGraph, describePresenceStore, FakeClock } from '../src/testing/index.js';

const clock = new FakeClock();

// No `loseData`: process memory cannot lose data under its callers (a restart loses them too), so
// the suite checks instead that its markers are never reported lost.
describePresenceStore('memory', async () => new MemoryPresenceStore({ clock }), {
  ttl: { expire: async () => void clock.advance(DEFAULT_MEMORY_TTL_MS + 1) },
  lastSeen: { expire: async () => void clock.advance(DEFAULT_LAST_SEEN_RETENTION_MS + 1) },
  backendNow: () => clock.now(),
  makeStoreWith: async ({ lastSeenRetentionMs }) =>
    new MemoryPresenceStore({ clock, lastSeenRetentionMs }),
});

describeFriendGraph('memory', async (seed) => new MemoryFriendGraph(seed));
