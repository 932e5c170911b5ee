// Runs store-child.ts in separate Node processes for cross-process tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CHILD_SCRIPT = fileURLToPath(new URL('./store-child.ts', import.meta.url));

export interface RunningChild {
  child: ChildProcess;
  /** The first JSON line the child prints. */
  firstLine: Promise<unknown>;
  /** All JSON lines once the child exits (rejects on a non-zero exit). */
  done: Promise<unknown[]>;
}

export function startChild(args: string[]): RunningChild {
  const child = spawn(process.execPath, [CHILD_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let resolveFirst: (v: unknown) => void = () => undefined;
  let rejectFirst: (e: Error) => void = () => undefined;
  const firstLine = new Promise<unknown>((resolve, reject) => {
    resolveFirst = resolve;
    rejectFirst = reject;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const nl = stdout.indexOf('\n');
    if (nl >= 0) resolveFirst(JSON.parse(stdout.slice(0, nl)));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<unknown[]>((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (code === 0) {
        resolve(
          stdout
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as unknown),
        );
      } else {
        const err = new Error(`child exited with ${code ?? signal}: ${stderr}`);
        rejectFirst(err);
        reject(err);
      }
    });
  });
  // Avoid unhandled rejections when a test only awaits one of the two.
  firstLine.catch(() => undefined);
  done.catch(() => undefined);
  return { child, firstLine, done };
}

/** Runs a child to completion and returns its single JSON line. */
export async function runChild(args: string[]): Promise<unknown> {
  const lines = await startChild(args).done;
  return lines[0];
}
