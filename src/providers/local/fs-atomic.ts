// Atomic file replacement for the local providers: write a temporary file in
// the same directory, then rename it over the target. A process killed at any
// point leaves either the old or the new content, never a torn file.
// (No fsync: the local provider guards against process crashes, not power loss.)
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A name no other writer uses, for temporary files and directories. */
export function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Replaces `path` with `data` atomically; `mode` applies to the new file. */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${uniqueSuffix()}`);
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** The errno code of a Node system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

const fileQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier task for the same `path` in this process has
 * settled (read-modify-write of a shared file). Other processes are kept out
 * by the state lock.
 */
export function withFileQueue<T>(path: string, task: () => Promise<T>): Promise<T> {
  const previous = fileQueues.get(path) ?? Promise.resolve();
  const run = previous.then(task, task);
  const tail = run.catch(() => undefined);
  fileQueues.set(path, tail);
  void tail.then(() => {
    if (fileQueues.get(path) === tail) fileQueues.delete(path);
  });
  return run;
}
