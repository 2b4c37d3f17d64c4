import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Temporal native bridge crashes under worker threads: run test files in child processes.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/temporal-dev-server.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
