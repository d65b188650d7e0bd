import { describePresenceStore } from '@presence/core/testing';
import { afterAll, describe, it } from 'vitest';
import {
  clearPrefix,
  clusterClient,
  clusterUnavailable,
  conformanceOptions,
  freshPrefix,
  storeFactory,
} from './helpers.js';

const skip = clusterUnavailable();
if (skip !== undefined) {
  describe.skip(`PresenceStore conformance: redis cluster (${skip})`, () => {
    it('needs redis-server to start a cluster', () => {});
  });
} else {
  const client = clusterClient();
  const prefix = freshPrefix('conformance-cluster');
  const stores = storeFactory(() => client, prefix);
  afterAll(async () => {
    await clearPrefix(client, prefix);
    await client.quit();
  });
  describePresenceStore('redis cluster (3 masters)', stores.make, {
    ...conformanceOptions(stores.current, (lastSeenRetentionMs) =>
      stores.makeWith({ lastSeenRetentionMs }),
    ),
  });
}
