// Bounded concurrency for provider calls. Apply runs independent resources
// concurrently but at most N calls in flight per provider config
// (Settings.provider_concurrency, default 10); the local provider uses the same
// helper to bound open files while it reads thousands of VM directories.

/** Runs `task` once fewer than `n` earlier tasks are in flight; settles with the task's outcome. */
export interface Limiter {
  <T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
}

/** A FIFO limiter allowing `n` (>= 1) tasks at once. A task that throws frees its slot like one that succeeds. */
export function createLimiter(n: number): Limiter {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`concurrency limit must be an integer >= 1, got ${n}`);
  let active = 0;
  const queue: Array<() => void> = [];

  const next = (): void => {
    if (active >= n) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };

  const run = <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        let settled: Promise<T>;
        try {
          settled = Promise.resolve(task());
        } catch (error) {
          settled = Promise.reject(error);
        }
        settled.then(resolve, reject).finally(() => {
          active--;
          next();
        });
      });
      next();
    });

  Object.defineProperties(run, {
    active: { get: () => active },
    pending: { get: () => queue.length },
  });
  return run as Limiter;
}

/** One limiter per key (e.g. per provider config name), each allowing `n` tasks at once. */
export interface KeyedLimiter {
  <T>(key: string, task: () => Promise<T>): Promise<T>;
  /** The limiter of one key (created on first use). */
  get(key: string): Limiter;
}

export function createKeyedLimiter(n: number): KeyedLimiter {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`concurrency limit must be an integer >= 1, got ${n}`);
  const limiters = new Map<string, Limiter>();
  const get = (key: string): Limiter => {
    let limiter = limiters.get(key);
    if (!limiter) {
      limiter = createLimiter(n);
      limiters.set(key, limiter);
    }
    return limiter;
  };
  const run = <T>(key: string, task: () => Promise<T>): Promise<T> => get(key)(task);
  return Object.assign(run, { get }) as KeyedLimiter;
}

/** Maps `items` through `fn` with at most `n` in flight; results keep the input order. Rejects with the first error. */
export async function mapLimit<T, R>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limit = createLimiter(n);
  return Promise.all(items.map((item, index) => limit(() => fn(item, index))));
}
