// Reading a file that a config names (a YAML file, a `${file:...}` secret, a
// key or certificate) safely: only regular files, never more than the limit.
// - opened with O_NONBLOCK, so a FIFO cannot block the process (and serve's
//   event loop) waiting for a writer; then fstat on the open descriptor (no
//   race with a rename in between) refuses FIFOs, devices (/dev/zero,
//   /dev/urandom), sockets and directories with an error naming the path;
// - reads at most limit + 1 bytes, so a file that grows, or that stat
//   reports wrongly (procfs says 0), can never make us read gigabytes.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';

export type BoundedReadResult =
  | { ok: true; bytes: Buffer; dev: number; ino: number }
  | { ok: false; reason: 'not-regular' | 'too-large' | 'unreadable'; message: string };

/** What kind of file this is, in words, for errors. */
export function fileKind(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  if (info.isDirectory()) return 'a directory';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

function describeError(path: string, err: unknown): string {
  const code = err instanceof Error && 'code' in err ? String(err.code) : 'read error';
  return `cannot read ${path} (${code})`;
}

function check(path: string, info: Stats, limit: number): BoundedReadResult | undefined {
  if (!info.isFile()) return { ok: false, reason: 'not-regular', message: `${path} is ${fileKind(info)}, not a regular file` };
  if (info.size > limit) return { ok: false, reason: 'too-large', message: `${path} is larger than ${limit} bytes` };
  return undefined;
}

/** Reads a regular file of at most `limit` bytes (synchronously: small secrets and keys). */
export function readRegularFileSync(path: string, limit: number): BoundedReadResult {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    return { ok: false, reason: 'unreadable', message: describeError(path, err) };
  }
  try {
    const info = fstatSync(fd);
    const refused = check(path, info, limit);
    if (refused) return refused;
    const buf = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(info.size + 1, 4096)));
    let total = 0;
    let chunk = buf;
    for (;;) {
      if (total === chunk.length) {
        if (chunk.length > limit) break;
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, total);
        chunk = bigger;
      }
      const n = readSync(fd, chunk, total, chunk.length - total, null);
      if (n === 0) break;
      total += n;
    }
    if (total > limit) return { ok: false, reason: 'too-large', message: `${path} is larger than ${limit} bytes` };
    return { ok: true, bytes: chunk.subarray(0, total), dev: info.dev, ino: info.ino };
  } catch (err) {
    return { ok: false, reason: 'unreadable', message: describeError(path, err) };
  } finally {
    closeSync(fd);
  }
}

/** The same, without blocking the event loop (config files, which may be megabytes). */
export async function readRegularFile(path: string, limit: number): Promise<BoundedReadResult> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, FLAGS);
  } catch (err) {
    return { ok: false, reason: 'unreadable', message: describeError(path, err) };
  }
  try {
    const info = await handle.stat();
    const refused = check(path, info, limit);
    if (refused) return refused;
    let chunk = Buffer.allocUnsafe(Math.min(limit + 1, Math.max(info.size + 1, 4096)));
    let total = 0;
    for (;;) {
      if (total === chunk.length) {
        if (chunk.length > limit) break;
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, chunk.length * 2));
        chunk.copy(bigger, 0, 0, total);
        chunk = bigger;
      }
      const { bytesRead } = await handle.read(chunk, total, chunk.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > limit) return { ok: false, reason: 'too-large', message: `${path} is larger than ${limit} bytes` };
    return { ok: true, bytes: chunk.subarray(0, total), dev: info.dev, ino: info.ino };
  } catch (err) {
    return { ok: false, reason: 'unreadable', message: describeError(path, err) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
