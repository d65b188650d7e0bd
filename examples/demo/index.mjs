#!/usr/bin/env node
// Embedding @presence/core in your own backend: the seven operations over the in-memory adapters.
// Swap MemoryPresenceStore / MemoryFriendGraph for @presence/redis and @presence/postgres in production.
import {
  createPresenceService,
  MemoryFriendGraph,
  MemoryNotifier,
  MemoryPresenceStore,
} from '@presence/core';

/** Runs a short scripted session and returns what each connection received. */
export async function runDemo() {
  const graph = new MemoryFriendGraph({
    users: [
      { userId: 'ada', firstName: 'Ada', lastName: 'Lovelace', profileImageExtension: null },
      { userId: 'alan', firstName: 'Alan', lastName: 'Turing', profileImageExtension: 'png' },
      { userId: 'grace', firstName: 'Grace', lastName: 'Hopper', profileImageExtension: null },
    ],
    friendships: [
      { from: 'ada', to: 'alan', accepted: true },
      { from: 'ada', to: 'grace', accepted: false },
    ],
  });
  const notifier = new MemoryNotifier();
  const service = createPresenceService({ store: new MemoryPresenceStore(), graph, notifier });

  await service.connect({ userId: 'ada', connectionId: 'ada-laptop' });
  await service.connect({ userId: 'alan', connectionId: 'alan-phone' });
  await service.connect({ userId: 'grace', connectionId: 'grace-desk' });
  await service.updatePresence(
    { userId: 'ada', connectionId: 'ada-laptop' },
    { url: 'https://en.wikipedia.org/wiki/Analytical_engine', title: 'Analytical engine' },
  );
  const alansView = await service.getPresence('alan');
  await service.disconnect('ada-laptop');

  return {
    alansView,
    received: Object.fromEntries(
      ['ada-laptop', 'alan-phone', 'grace-desk'].map((id) => [id, notifier.framesFor(id)]),
    ),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { alansView, received } = await runDemo();
  console.log("Alan's GET /presence:");
  console.log(JSON.stringify(alansView, null, 2));
  console.log('\nFrames each connection received:');
  for (const [id, frames] of Object.entries(received)) {
    console.log(`  ${id}: ${frames.map((f) => f.type).join(', ') || '(none: not a friend)'}`);
  }
}
