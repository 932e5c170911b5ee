// Bounded reads of files a config names: regular files only, never more than
// the limit + 1 byte, never blocking on a FIFO (issue 11, item 3). Also for
// secrets resolved at run time (resolveSecret).
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRegularFile, readRegularFileSync } from './bounded-read.ts';
import { resolveSecret } from './secrets.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'poolform-bounded-'));
  execFileSync('mkfifo', [join(dir, 'pipe')]);
  await writeFile(join(dir, 'small.txt'), 'hello\n');
  await writeFile(join(dir, 'big.txt'), 'x'.repeat(5000));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readRegularFile(Sync)', () => {
  it('reads a regular file within the limit', async () => {
    const sync = readRegularFileSync(join(dir, 'small.txt'), 100);
    expect(sync.ok && sync.bytes.toString()).toBe('hello\n');
    const async = await readRegularFile(join(dir, 'small.txt'), 100);
    expect(async.ok && async.bytes.toString()).toBe('hello\n');
  });

  it('refuses FIFOs (without blocking), devices and directories, naming the path', async () => {
    for (const [path, kind] of [
      [join(dir, 'pipe'), /FIFO/],
      ['/dev/zero', /character device/],
      ['/dev/urandom', /character device/],
      [dir, /directory/],
    ] as const) {
      for (const r of [readRegularFileSync(path, 1024), await readRegularFile(path, 1024)]) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.reason).toBe('not-regular');
          expect(r.message).toContain(path);
          expect(r.message).toMatch(kind);
        }
      }
    }
  });

  it('refuses a socket', async () => {
    const path = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const r = readRegularFileSync(path, 1024);
      expect(r.ok).toBe(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('stops at the limit + 1 byte', async () => {
    const r = readRegularFileSync(join(dir, 'big.txt'), 1000);
    expect(r).toMatchObject({ ok: false, reason: 'too-large' });
    expect(await readRegularFile(join(dir, 'big.txt'), 1000)).toMatchObject({ ok: false, reason: 'too-large' });
  });
});

describe('resolveSecret at run time', () => {
  it('a ${file:} secret on a FIFO or a device fails fast with the path, never the content', () => {
    for (const ref of ['pipe', '/dev/zero']) {
      expect(() => resolveSecret(`\${file:${ref}}`, { env: {}, baseDir: dir })).toThrow(/not a regular file/);
    }
    expect(resolveSecret('${file:small.txt}', { env: {}, baseDir: dir })).toBe('hello\n');
  });
});
