import { DEFAULT_MEMORY_TTL_MS, MemoryFriendGraph, MemoryPresenceStore } from '../src/index.js';
import { describeFriendGraph, describePresenceStore, FakeClock } from '../src/testing/index.js';

const clock = new FakeClock();

describePresenceStore('memory', async () => new MemoryPresenceStore({ clock }), {
  ttl: { expire: async () => void clock.advance(DEFAULT_MEMORY_TTL_MS + 1) },
});

describeFriendGraph('memory', async (seed) => new MemoryFriendGraph(seed));
