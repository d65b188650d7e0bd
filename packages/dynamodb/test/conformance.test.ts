import { describeActivityLog } from '@presence/core/testing';
import { afterAll, describe, it } from 'vitest';
import { dynamoUnavailable, logFactory, rawClient } from './helpers.js';

const skip = dynamoUnavailable();
if (skip !== undefined) {
  describe.skip(`ActivityLog conformance: dynamodb (${skip})`, () => {
    it('needs dynalite', () => {});
  });
} else {
  const raw = rawClient();
  afterAll(() => raw.destroy());
  describeActivityLog('dynamodb (dynalite)', logFactory(raw));
}
