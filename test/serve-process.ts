// Test support for the serve suites: runs `poolform serve` as a child process
// on a free loopback port, talks to it over HTTP, and cleans up the local
// provider's VM processes (by the pids recorded in their vm.json, never by
// name).
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killVmProcessGroup, scanVmProcessGroups } from '../src/providers/local/process-group.ts';
import { LOCAL_VM_DIR, readVmRecord } from '../src/providers/local/vm.ts';
import { freePort } from './support/net.ts';

export { freePort } from './support/net.ts';

export const BIN = fileURLToPath(new URL('../bin/poolform.js', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function startServeProcess(options: {
  dir: string;
  stateDir: string;
  env: Record<string, string>;
  port?: number;
  cwd?: string;
  timeoutMs?: number;
}): Promise<ServeProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'serve', options.dir, '--listen', `127.0.0.1:${port}`, '--state', options.stateDir], {
    cwd: options.cwd ?? options.stateDir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`serve exited early (${child.exitCode ?? child.signalCode}):\n${out}`);
    if (out.includes('listening on')) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    port,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, ms: number, what: string, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Kills the process groups of the local VMs under a state directory (by recorded pid and server id). */
export async function killLocalVms(stateDir: string): Promise<number> {
  const root = join(stateDir, LOCAL_VM_DIR);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  const groups = scanVmProcessGroups();
  let killed = 0;
  for (const name of names) {
    const record = await readVmRecord(join(root, name)).catch(() => undefined);
    if (record && record.pid !== null && (await killVmProcessGroup(record.pid, record.server_id, groups))) killed++;
  }
  return killed;
}

export interface ServerView {
  id: string;
  pool: string;
  status: string;
  sessions: number;
  max_sessions: number;
}

export function serversOf(status: Record<string, unknown>, pool: string): ServerView[] {
  return (status['servers'] as ServerView[]).filter((s) => s.pool === pool);
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) and everything printed. */
  done: Promise<{ code: number | string; output: string }>;
  running(): boolean;
}

/** Runs `poolform ARGS...` as a child process (the CLI from "another machine": its own process, same database). */
export function runCli(args: readonly string[], options: { env: Record<string, string>; cwd: string }): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | string; output: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code: code ?? signal ?? -1, output: out })),
  );
  return { child, done, running: () => child.exitCode === null && child.signalCode === null };
}
