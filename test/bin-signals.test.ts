// bin/poolform.js on a system Node older than 22.22 re-runs itself on Node 24
// through scripts/with-node.sh. Issue 12 defect 3: `kill PID` of the process
// you started must stop the daemon, not leave its Node 24 child holding the port.
// Needs an old Node on PATH (this project's machines have Node 20 in /usr/bin);
// skipped where there is none.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { testTimeout } from '../src/testing/timeouts.ts';

const BIN = fileURLToPath(new URL('../bin/poolform.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    try {
      const v = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      const [a = 0, b = 0] = v.split('.').map(Number);
      if (a < 22 || (a === 22 && b < 22)) return candidate;
    } catch {
      // not runnable
    }
  }
  return undefined;
}

const OLD_NODE = oldNode();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Starts `command args` (which runs serve on port 0), waits for its port, sends `signal`, checks the port closes. */
async function killAndCheck(how: { command: string; args: string[]; cwd: string }, signal: NodeJS.Signals, expectClean: boolean): Promise<void> {
  const child = spawn(how.command, how.args, {
    cwd: how.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  const deadline = Date.now() + 60_000;
  let port = 0;
  while (port === 0) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (m) port = Number(m[1]);
    else if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start:\n${out}`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  expect(await portOpen(port)).toBe(true);
  child.kill(signal);
  const result = await exited;
  // serve shuts down gracefully on SIGTERM/SIGINT (exit 0); SIGHUP ends it by the signal itself.
  if (expectClean) expect(result).toEqual({ code: 0, signal: null });
  else expect(result.code === 0 || result.code === null ? (result.signal ?? result.code) : result.code).not.toBeUndefined();
  // The Node 24 process is gone with it: nothing listens on the port any more.
  let open = true;
  for (let i = 0; i < 100 && open; i++) {
    open = await portOpen(port);
    if (open) await new Promise((r) => setTimeout(r, 50));
  }
  expect(open, out).toBe(false);
}

function serveDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-sig-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'cfg'));
  writeFileSync(join(dir, 'cfg', 'settings.yaml'), 'kind: Settings\nreconcile_interval: 1h\n');
  return dir;
}

describe.skipIf(OLD_NODE === undefined)('bin/poolform.js on an old system Node forwards signals to its Node 24 child', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(
      `${signal} to the wrapper stops serve and frees its port`,
      async () => {
        const dir = serveDir();
        await killAndCheck(
          { command: OLD_NODE ?? 'node', args: [BIN, 'serve', 'cfg', '--listen', '127.0.0.1:0', '--state', 'st'], cwd: dir },
          signal,
          signal !== 'SIGHUP',
        );
      },
      testTimeout(90_000),
    );
  }

  it(
    'SIGTERM to `npm run poolform -- serve` (npm, its sh -c, with-node.sh) stops serve too',
    async () => {
      const dir = serveDir();
      await killAndCheck(
        {
          command: 'npm',
          args: ['run', '--silent', 'poolform', '--', 'serve', join(dir, 'cfg'), '--listen', '127.0.0.1:0', '--state', join(dir, 'st')],
          cwd: ROOT,
        },
        'SIGTERM',
        false,
      );
    },
    testTimeout(90_000),
  );
});
