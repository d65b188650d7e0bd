// The PresenceStore conformance suite from the tarball of @presence/core/testing, run by a
// consumer's vitest against the in-memory store: what an adapter author does with it.
import { MemoryPresenceStore } from '@presence/core';
import { describePresenceStore, FakeClock } from '@presence/core/testing';

const clock = new FakeClock();

describePresenceStore(
  'memory store, from the tarball',
  async () => new MemoryPresenceStore({ clock }),
);
