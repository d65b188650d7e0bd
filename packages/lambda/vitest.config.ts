import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dynalite (DynamoDB on loopback) for the activity history, started as @presence/dynamodb's
    // own tests start it.
    globalSetup: ['../dynamodb/test/global-setup.ts'],
    // A hang guard, not a performance bound: a CDK synth takes seconds on a loaded 2-core machine
    // (one took 7 s beside the other suites), past vitest's 5 s default.
    testTimeout: 30_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
