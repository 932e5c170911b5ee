import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Integration suites start real services (moto, Samba, PostgreSQL); keep the
    // machine (2 cores) from being oversubscribed.
    maxWorkers: 2,
  },
});
