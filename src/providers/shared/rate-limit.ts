// Client-side pacing from the `RateLimit-*` response headers (the IETF
// draft's names, used by DigitalOcean among others): `ratelimit-limit` (the
// budget per window), `ratelimit-remaining`, `ratelimit-reset` (when the
// window resets: Unix seconds, or seconds from now when the number is small).
// When few calls are left, each call waits its share of the time to the reset,
// so a reconcile slows down instead of running into 429s; when none are left
// it waits for the reset, capped at `maxWaitMs` (a wrong clock or header must
// not stall a reconcile; a 429 is then retried with backoff as usual).
// Pure apart from the injected clock and sleep.

export interface RateLimitState {
  limit: number | undefined;
  remaining: number | undefined;
  /** Epoch ms of the reset, when known. */
  resetAt: number | undefined;
}

export interface RateLimitGateOptions {
  /** Remaining calls at or below which calls are spread out (default: 2% of the limit, at least 5). */
  lowWatermark?: number;
  /** Longest wait before one call (default 60,000 ms). */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Reads the headers of one answer; undefined fields are absent or unreadable. */
export function parseRateLimitHeaders(get: (name: string) => string | null | undefined, now: number): RateLimitState {
  const num = (name: string): number | undefined => {
    const raw = get(name);
    if (raw === null || raw === undefined || !/^\s*\d+\s*$/.test(raw)) return undefined;
    return Number(raw);
  };
  const reset = num('ratelimit-reset');
  // Large values are Unix seconds (DigitalOcean); small ones are delta seconds (the IETF draft).
  const resetAt = reset === undefined ? undefined : reset > 1_000_000_000 ? reset * 1000 : now + reset * 1000;
  return { limit: num('ratelimit-limit'), remaining: num('ratelimit-remaining'), resetAt };
}

/** How long to wait before the next call given the last headers seen (0 = go). */
export function paceDelay(state: RateLimitState, now: number, options: Pick<RateLimitGateOptions, 'lowWatermark' | 'maxWaitMs'> = {}): number {
  const { remaining, resetAt, limit } = state;
  if (remaining === undefined || resetAt === undefined) return 0;
  const maxWait = options.maxWaitMs ?? 60_000;
  const watermark = options.lowWatermark ?? Math.max(5, Math.floor((limit ?? 0) * 0.02));
  const untilReset = Math.max(0, resetAt - now);
  if (remaining > watermark || untilReset === 0) return 0;
  if (remaining <= 0) return Math.min(maxWait, untilReset);
  return Math.min(maxWait, Math.ceil(untilReset / (remaining + 1)));
}

export interface RateLimitGate {
  /** Waits as the last headers ask (see paceDelay). */
  beforeCall(): Promise<void>;
  /** Records an answer's headers. */
  observe(get: (name: string) => string | null | undefined): void;
  readonly state: RateLimitState;
  /** Total ms waited so far (tests, metrics). */
  readonly waitedMs: number;
}

export function createRateLimitGate(options: RateLimitGateOptions = {}): RateLimitGate {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let state: RateLimitState = { limit: undefined, remaining: undefined, resetAt: undefined };
  let waited = 0;
  return {
    async beforeCall() {
      const delay = paceDelay(state, now(), options);
      if (delay > 0) {
        waited += delay;
        // One call spends one of the remaining: the next caller sees the smaller budget.
        if (state.remaining !== undefined && state.remaining > 0) state = { ...state, remaining: state.remaining - 1 };
        await sleep(delay);
      }
    },
    observe(get) {
      const next = parseRateLimitHeaders(get, now());
      if (next.remaining !== undefined) state = next;
    },
    get state() {
      return state;
    },
    get waitedMs() {
      return waited;
    },
  };
}
