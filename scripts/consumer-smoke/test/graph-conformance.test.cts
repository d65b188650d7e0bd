// The FriendGraph conformance suite in a CommonJS test file, as a CommonJS project writes it.
import { MemoryFriendGraph } from '@presence/core';
import { describeFriendGraph } from '@presence/core/testing';

describeFriendGraph(
  'memory graph, from the tarball (CommonJS test file)',
  async (seed) => new MemoryFriendGraph(seed),
);
