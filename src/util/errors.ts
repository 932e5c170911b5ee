// Operational failures (provider outages, lock contention, bad state) are thrown
// as PoolformError with a stable `code`, a human message, and whether retrying
// can help. Config problems are Diagnostics (config/model.ts), never thrown.

export interface PoolformErrorOptions {
  /** True when the same call may succeed later (throttling, timeouts, capacity). */
  retryable?: boolean;
  cause?: unknown;
  /** Extra, non-secret context for logs and JSON output. */
  details?: Record<string, unknown>;
}

export class PoolformError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: PoolformErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PoolformError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isPoolformError(value: unknown): value is PoolformError {
  return value instanceof PoolformError;
}

/** A message for any thrown value, without a stack trace. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
