import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['demo/test/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.cts'],
  },
});
