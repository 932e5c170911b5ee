// serve's off-thread config loading: the same result as loadConfig, and
// diagnostics (never a rejection, never a crash of the caller) when the
// worker runs out of memory, overruns its deadline or cannot load.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.ts';
import { loadConfigInWorker, workerUrl } from './load-worker.ts';

const example = fileURLToPath(new URL('../../config.example', import.meta.url));

describe('loadConfigInWorker', () => {
  it('finds its entry in a clone (TypeScript) and in the built package (dist/cli/config-worker.js)', () => {
    expect(workerUrl('file:///repo/src/config/load-worker.ts').href).toBe('file:///repo/src/config/load-worker-main.ts');
    expect(workerUrl('file:///pkg/dist/chunks/serve-abc123.js').href).toBe('file:///pkg/dist/cli/config-worker.js');
    expect(workerUrl('file:///pkg/dist/cli/main.js').href).toBe('file:///pkg/dist/cli/config-worker.js');
  });

  it('returns what loadConfig returns', async () => {
    const [inWorker, direct] = await Promise.all([loadConfigInWorker(example), loadConfig(example)]);
    expect(inWorker.diagnostics).toEqual(direct.diagnostics);
    expect(inWorker.config).toEqual(direct.config);
  }, 60_000);

  it('passes budgets through, and reports directory problems as diagnostics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolform-worker-'));
    try {
      await writeFile(join(dir, 'a.yaml'), `x: [${'1,'.repeat(2_000)}1]\n`);
      const r = await loadConfigInWorker(dir, { budgets: { maxYamlNodes: 1_000 } });
      expect(r.diagnostics).toMatchObject([{ code: 'config-too-large', file: 'a.yaml', line: 1 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await loadConfigInWorker('/nonexistent/poolform')).diagnostics).toMatchObject([{ code: 'config-dir-missing' }]);
  }, 60_000);

  it('a worker that runs out of its heap or time is a diagnostic, not a crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolform-worker-'));
    try {
      await writeFile(join(dir, 'a.yaml'), `x: [${'1,'.repeat(250_000)}1]\n`);
      const oom = await loadConfigInWorker(dir, { maxHeapMb: 32 });
      expect(oom.config).toBeUndefined();
      expect(oom.diagnostics).toMatchObject([{ severity: 'error', code: 'config-load-failed', file: '' }]);
      expect(oom.diagnostics[0]?.message).toMatch(/ran out of memory/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const slow = await loadConfigInWorker(example, { timeoutMs: 1 });
    expect(slow.config).toBeUndefined();
    expect(slow.diagnostics).toMatchObject([{ severity: 'error', code: 'config-load-timeout' }]);
  }, 60_000);
});
