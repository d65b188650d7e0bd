import { describePresenceStore } from '@presence/core/testing';
import { afterAll, describe, it } from 'vitest';
import {
  clearPrefix,
  conformanceOptions,
  freshPrefix,
  singleNodeClient,
  singleNodeUnavailable,
  storeFactory,
} from './helpers.js';

const skip = await singleNodeUnavailable();
if (skip !== undefined) {
  describe.skip(`PresenceStore conformance: redis single node (${skip})`, () => {
    it('needs Redis on 127.0.0.1:6379', () => {});
  });
} else {
  const client = singleNodeClient();
  const prefix = freshPrefix('conformance-single');
  const stores = storeFactory(() => client, prefix);
  afterAll(async () => {
    await clearPrefix(client, prefix);
    await client.quit();
  });
  describePresenceStore('redis single node', stores.make, {
    ...conformanceOptions(stores.current, (lastSeenRetentionMs) =>
      stores.makeWith({ lastSeenRetentionMs }),
    ),
  });
}
