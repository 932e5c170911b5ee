// Starts moto's standalone AWS emulator (PyPI `moto[server]`) on 127.0.0.1 at a
// free port for a test suite, and stops it by pid. With CI=true a missing moto
// makes the suite fail; elsewhere the suite skips with an install hint.
//
// Usage in a suite:
//   const enabled = requireMoto();              // decided synchronously (CI=true: missing moto fails)
//   const moto = motoForSuite(enabled);         // started in beforeAll, stopped in afterAll
//   describe.skipIf(!enabled)(... moto.endpoint() ...)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll } from 'vitest';
import { freePort, httpOk, tailOutput, waitUntilReady } from './net.ts';

export const MOTO_INSTALL_HINT = "pip install 'moto[server]'";

/** The Python that has moto: $POOLFORM_MOTO_PYTHON (e.g. a virtualenv's python), else python3 on PATH. */
export function motoPython(): string {
  return process.env['POOLFORM_MOTO_PYTHON'] || 'python3';
}

/** Fake credentials: moto accepts any; real-looking shape keeps the SDK happy. */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

export interface MotoServer {
  endpoint: string;
  pid: number;
  /** Clears every emulated resource (moto's /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

let availability: boolean | undefined;

/** True when `python3 -m moto.server` can run here (moto and its server extras importable; see motoPython). */
export function motoAvailable(): boolean {
  if (availability === undefined) {
    const probe = spawnSync(motoPython(), ['-c', 'import moto, moto.server, flask, werkzeug'], { stdio: 'ignore', timeout: 20_000 });
    availability = probe.status === 0;
  }
  return availability;
}

/**
 * Whether a moto suite should run. With CI=true a missing moto throws (the suite
 * fails); elsewhere it prints why it skips and returns false.
 */
export function requireMoto(env: Readonly<Record<string, string | undefined>> = process.env, available: boolean = motoAvailable()): boolean {
  if (available) return true;
  if (env['CI'] === 'true') {
    throw new Error(`moto (AWS emulator) is not installed but CI=true: ${MOTO_INSTALL_HINT}`);
  }
  console.warn(`skipping AWS emulator tests: moto is not installed (${MOTO_INSTALL_HINT})`);
  return false;
}

export interface StartMotoOptions {
  /** Extra environment for the server (e.g. MOTO_ENABLE_AMI_VALIDATION=true). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Starts a moto server on a free loopback port and waits until it answers. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  let lastError: unknown;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn(motoPython(), ['-m', 'moto.server', '-p', String(port), '-H', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const output = tailOutput(child);
    const pid = child.pid;
    if (pid === undefined) throw new Error('could not start python3 -m moto.server');
    try {
      await waitUntilReady(httpOk(`${endpoint}/moto-api/`), { child, output, timeoutMs: options.timeoutMs ?? 30_000, what: 'moto server' });
    } catch (error) {
      lastError = error;
      if (child.exitCode === null) child.kill('SIGTERM');
      continue;
    }
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    // If the test process ends without stop() (crash, worker killed), do not leave the server behind.
    const onExit = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    process.once('exit', onExit);
    return {
      endpoint,
      pid,
      async reset() {
        const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
      },
      async stop() {
        process.removeListener('exit', onExit);
        if (child.exitCode !== null || child.signalCode !== null) return;
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
        }, 5000);
        await exited;
        clearTimeout(timer);
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** One moto server for a suite: started in beforeAll (when `enabled`), stopped by pid in afterAll. */
export function motoForSuite(enabled: boolean, options: StartMotoOptions = {}): { endpoint(): string; server(): MotoServer | undefined } {
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    if (enabled) moto = await startMoto(options);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });
  return {
    endpoint() {
      if (!moto) throw new Error('moto not started');
      return moto.endpoint;
    },
    server: () => moto,
  };
}

/**
 * An AMI of moto's built-in catalogue that has a root device name (EBS size and
 * type need one). Asks for Amazon's EBS images only: listing all ~1,200
 * built-in images costs moto seconds per suite.
 */
export async function motoAmi(client: EC2Client): Promise<string> {
  const out = await client.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'root-device-type', Values: ['ebs'] }] }));
  const ami = out.Images?.find((image) => image.ImageId && image.RootDeviceName)?.ImageId;
  if (!ami) throw new Error('moto lists no Amazon EBS image');
  return ami;
}

// ------------------------------------------------------------ SDK middleware helpers

/** Any AWS SDK v3 client (EC2, Route 53): only its middleware stack is used. */
export interface MiddlewareClient {
  middlewareStack: { add(middleware: unknown, options: unknown): void };
}

interface HandlerArgs {
  input: Record<string, unknown>;
}
type Next = (args: HandlerArgs) => Promise<unknown>;
interface HandlerContext {
  commandName?: string;
}

export interface CallLog {
  /** Calls per command name (`DescribeInstancesCommand` → `DescribeInstances`). */
  count(command: string): number;
  total(): number;
  all(): Record<string, number>;
  reset(): void;
}

function commandOf(context: HandlerContext): string {
  return (context.commandName ?? 'Unknown').replace(/Command$/, '');
}

function callLog(): CallLog & { add(command: string): void } {
  const counts = new Map<string, number>();
  return {
    add: (command) => counts.set(command, (counts.get(command) ?? 0) + 1),
    count: (command) => counts.get(command) ?? 0,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    all: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
  };
}

/** Counts API calls as the caller makes them (one per `send`, whatever the retries). */
export function countCalls(client: MiddlewareClient): CallLog {
  const log = callLog();
  client.middlewareStack.add(
    (next: Next, context: HandlerContext) => async (args: HandlerArgs) => {
      log.add(commandOf(context));
      return await next(args);
    },
    { step: 'initialize', name: `poolformCountCalls${Math.random()}` },
  );
  return log;
}

/** Records the input of every call to `command` (e.g. `RunInstances`), as the caller sent it. */
export function captureInputs(client: MiddlewareClient, command: string): Record<string, unknown>[] {
  const inputs: Record<string, unknown>[] = [];
  client.middlewareStack.add(
    (next: Next, context: HandlerContext) => async (args: HandlerArgs) => {
      if (commandOf(context) === command) inputs.push(structuredClone(args.input));
      return await next(args);
    },
    { step: 'initialize', name: `poolformCapture${Math.random()}` },
  );
  return inputs;
}

/** Counts HTTP attempts (each retry counts). */
export function countAttempts(client: MiddlewareClient): CallLog {
  const log = callLog();
  client.middlewareStack.add(
    (next: Next, context: HandlerContext) => async (args: HandlerArgs) => {
      log.add(commandOf(context));
      return await next(args);
    },
    // High priority: outside any fault injector in the same step, so failed attempts count too.
    { step: 'deserialize', priority: 'high', name: `poolformCountAttempts${Math.random()}` },
  );
  return log;
}

/** Decides, per attempt, whether to fail it (return the error to throw) or let it through. */
export type FaultRule = (command: string, input: Record<string, unknown>) => Error | undefined;

/**
 * Injects faults inside the SDK's retry loop (deserialize step): an injected
 * throttling error is retried by the client's retry strategy exactly like a
 * real one from AWS.
 */
export function injectFaults(client: MiddlewareClient, rule: FaultRule, options: { outsideRetries?: boolean } = {}): void {
  // outsideRetries: inject before the SDK's retry middleware (as a proxy or an
  // SDK without retries would): only poolform's own retry can recover.
  const placement = options.outsideRetries
    ? { step: 'initialize', priority: 'low', name: `poolformFaultsOutside${Math.random()}` }
    : { step: 'deserialize', priority: 'low', name: `poolformFaults${Math.random()}` };
  client.middlewareStack.add(
    (next: Next, context: HandlerContext) => async (args: HandlerArgs) => {
      const fault = rule(commandOf(context), args.input);
      if (fault) throw fault;
      return await next(args);
    },
    placement,
  );
}

/** An error shaped like an AWS service exception (name = AWS error code). */
export function awsError(code: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name: code,
    Code: code,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, attempts: 1, totalRetryDelay: 0 },
  });
}

/**
 * Creates an IAM instance profile in moto (no IAM SDK client is installed:
 * a plain Query API call; moto does not check signatures).
 */
export async function createInstanceProfile(endpoint: string, name: string): Promise<string> {
  const body = new URLSearchParams({ Action: 'CreateInstanceProfile', Version: '2010-05-08', InstanceProfileName: name });
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${FAKE_CREDENTIALS.accessKeyId}/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`CreateInstanceProfile failed: HTTP ${response.status}: ${text}`);
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!arn) throw new Error(`CreateInstanceProfile: no ARN in ${text}`);
  return arn;
}
