// Scaffolding every cloud fake repeats: a queue of injected faults ("the next
// N matching calls fail like this") and reading a request body. Each fake
// keeps its own fault shape (status, the cloud's error fields); matching on
// method and path and counting down `times` is shared here.
import type { IncomingMessage } from 'node:http';

export interface FaultMatch {
  /** HTTP method; any when absent. */
  method?: string;
  /** Matches when the request path contains this string, or matches this RegExp; any when absent. */
  path?: string | RegExp;
  /** How many matching calls it applies to (default 1). */
  times?: number;
}

export interface FaultQueue<F extends FaultMatch> {
  inject(fault: F): void;
  /** The first fault matching the call (counted down, removed when used up), or undefined. */
  take(method: string, path: string): F | undefined;
  clear(): void;
  readonly size: number;
}

export function createFaultQueue<F extends FaultMatch>(): FaultQueue<F> {
  let faults: { fault: F; left: number }[] = [];
  const matches = (f: F, method: string, path: string): boolean =>
    (f.method === undefined || f.method === method) && (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path)));
  return {
    inject: (fault) => void faults.push({ fault, left: fault.times ?? 1 }),
    take(method, path) {
      const entry = faults.find((e) => matches(e.fault, method, path));
      if (!entry) return undefined;
      entry.left--;
      if (entry.left <= 0) faults = faults.filter((e) => e !== entry);
      return entry.fault;
    },
    clear: () => {
      faults = [];
    },
    get size() {
      return faults.length;
    },
  };
}

/** The whole request body as UTF-8 text. */
export async function readBodyText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
