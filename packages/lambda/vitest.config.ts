import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dynalite (DynamoDB on loopback) for the activity history, started as @presence/dynamodb's
    // own tests start it.
    globalSetup: ['../dynamodb/test/global-setup.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
