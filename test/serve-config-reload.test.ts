// Issue 11: the daemon survives every reload. A huge or hostile config
// dropped into the directory `serve` watches is loaded in a worker thread
// with the load budgets: meanwhile /healthz keeps answering, the last good
// configuration keeps serving, and /api/v1/status and the log say so.
// Asserts that /healthz answered during the load and the rejected state;
// the latencies are printed (the issue asks < 100 ms; a busy shared CI
// machine cannot promise any figure, so none is asserted).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe } from '../src/daemon/serve.ts';
import type { ServeHandle } from '../src/daemon/serve.ts';
import type { ReconcileOutcome } from '../src/daemon/pipeline.ts';
import type { Log } from '../src/server/types.ts';
import { localPoolYaml } from '../src/testing/local-pool.ts';

const GOOD = localPoolYaml();

function captureLog(): { log: Log; text: () => string } {
  const lines: string[] = [];
  const put = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...obj, msg }));
  return { log: { info: put('info'), warn: put('warn'), error: put('error'), debug: put('debug') }, text: () => lines.join('\n') };
}

const idle = async (): Promise<ReconcileOutcome> => ({
  changes: [],
  applied: 0,
  failed: 0,
  held: [],
  decisions: [],
  errors: [],
  providerErrors: [],
  audited: false,
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls /healthz until `done` resolves; returns each answer's status and latency. */
async function pollHealth(url: string, done: Promise<unknown>): Promise<{ status: number; ms: number }[]> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const answers: { status: number; ms: number }[] = [];
  while (!finished || answers.length === 0) {
    const t = performance.now();
    const res = await fetch(`${url}/healthz`);
    answers.push({ status: res.status, ms: performance.now() - t });
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 10));
  }
  return answers;
}

describe('serve keeps serving while a huge or broken config is reloaded (issue 11)', () => {
  for (const [name, content, code] of [
    // Within the budgets but large and invalid: parsed in full (a few hundred thousand nodes).
    ['a large invalid file', `kind: Zone\nname: big\nhuge: [${'1,'.repeat(120_000)}1]\n`, 'schema'],
    // Past the node budget: refused by the pre-scan (issue: 10 MB of [1,1,...] killed the daemon).
    ['a 10 MB flow sequence', `x: [${'1,'.repeat(5_000_000)}1]\n`, 'config-too-large'],
    [
      'a circular alias',
      'kind: Pool\nname: p\ntype: server\nservers:\n  - name: s\n    hostname: h\n    connection_type: rdp\n    connection_info: &ci\n      self: *ci\n',
      'yaml-alias-cycle',
    ],
  ] as const) {
    it(`${name}: /healthz answers during the load, the last good config serves, status and log say so`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'poolform-reload-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'pools.yaml'), GOOD);
      const captured = captureLog();
      const handle: ServeHandle = await startServe({
        dir,
        listen: '127.0.0.1:0',
        stateDir: join(dir, 'state'),
        env: {},
        cwd: dir,
        log: captured.log,
        reconcile: idle,
        watch: false,
      });
      cleanups.push(() => handle.stop());

      // The noise floor of this machine, for the printed figures.
      const baseline = await pollHealth(handle.url, new Promise((r) => setTimeout(r, 500)));
      writeFileSync(join(dir, 'zz-huge.yaml'), content);
      const reload = handle.daemon.reload();
      const answers = await pollHealth(handle.url, reload);
      await reload;

      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const worst = Math.max(...answers.map((a) => a.ms));
      const floor = Math.max(...baseline.map((a) => a.ms));
      console.log(
        `${name}: /healthz answered ${answers.length} times during the reload; slowest ${worst.toFixed(1)} ms (without a reload: slowest ${floor.toFixed(1)} ms)`,
      );

      const status = handle.daemon.status();
      expect(status.config.rejected_at).not.toBeNull();
      expect(status.config.errors.some((d) => d.code === code && d.file === 'zz-huge.yaml' && d.line >= 1)).toBe(true);
      expect(handle.daemon.getConfig()?.pools.map((p) => p.name)).toEqual(['desktops']);
      expect(captured.text()).toContain('"config-rejected"');
      expect(captured.text()).toContain('still serving the last good configuration');

      // The daemon still reconciles with the last good config.
      const summary = await handle.daemon.reconcileNow('test');
      expect(summary.result).not.toBe('error');

      // A good config again replaces it, and the rejected state clears.
      rmSync(join(dir, 'zz-huge.yaml'));
      await handle.daemon.reload();
      expect(handle.daemon.status().config.rejected_at).toBeNull();
    }, 120_000);
  }
});
