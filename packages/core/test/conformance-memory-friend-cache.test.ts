import { MemoryFriendCache } from '../src/index.js';
import { describeFriendCache, FakeClock } from '../src/testing/index.js';

describeFriendCache('memory', async () => {
  const clock = new FakeClock();
  return {
    cache: new MemoryFriendCache({ clock }),
    expire: async (ttlMs) => void clock.advance(ttlMs),
  };
});
