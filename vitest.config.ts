// Two test projects (docs/testing.md):
// - unit: src/**/*.test.ts, pure code in memory;
// - integration: test/**/*.test.ts, src/**/*.integration.test.ts, and any
//   src/**/*.test.ts that starts a service or a process (it imports
//   node:child_process, a child-process helper (testdata/children) or a
//   service launcher from test/support/), so a new
//   file lands in the right project without editing this file.
// Timeouts are generous and multiplied by POOLFORM_TEST_TIMEOUT_SCALE.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { timeoutScale } from './src/testing/timeouts.ts';

const scale = timeoutScale();

/** What makes a src/ test an integration test: it spawns processes or starts services. */
const INTEGRATION_MARKERS = /['"]node:child_process['"]|testdata\/children|test\/support\/(postgres|moto|samba|net|bulk-seed)|serve-process/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

const integrationInSrc = testFiles('src').filter((f) => f.endsWith('.integration.test.ts') || INTEGRATION_MARKERS.test(readFileSync(f, 'utf8')));

export default defineConfig({
  test: {
    pool: 'forks',
    // Integration suites start real services (moto, Samba, PostgreSQL); keep the
    // machine (2 cores) from being oversubscribed.
    maxWorkers: 2,
    setupFiles: ['./vitest.setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...integrationInSrc],
          testTimeout: 60_000 * scale,
          hookTimeout: 60_000 * scale,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', ...integrationInSrc],
          testTimeout: 120_000 * scale,
          hookTimeout: 300_000 * scale,
        },
      },
    ],
  },
});
