// Shared networking helpers for test setups that start services on loopback
// (moto, PostgreSQL, Samba, `poolform serve`): a free port, and waiting until
// a started child process is ready (or has died, with its output in the error).
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). Another
 * process may take it before the caller binds: callers that spawn a server retry.
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last `limit` characters a child writes to stdout and stderr (for error messages). */
export function tailOutput(child: ChildProcess, limit = 4000): () => string {
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-limit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => output;
}

export interface WaitReadyOptions {
  /** The service's process: if it exits first, waiting fails at once. */
  child: ChildProcess;
  /** Recent output of the child, put into errors. */
  output: () => string;
  timeoutMs: number;
  /** For errors: "moto server", "postgres", "samba LDAPS on 127.1.2.3:636". */
  what: string;
  everyMs?: number;
}

/**
 * Polls `probe` until it resolves true (a throw counts as "not yet"). Fails with
 * the child's output when the child exits first or `timeoutMs` passes.
 */
export async function waitUntilReady(probe: () => Promise<boolean>, options: WaitReadyOptions): Promise<void> {
  const { child, output, timeoutMs, what } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 100));
  }
}

/** A probe for waitUntilReady: an HTTP GET that answers 2xx. */
export function httpOk(url: string): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.ok;
  };
}
