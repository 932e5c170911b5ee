// The stable code of any thrown value, for error lines in the CLI, JSON
// outputs and logs (`error [aws-insufficient-capacity]: ...`): its string
// `code` when it has one (PoolformError, LockHeldError `state-locked`, Node's
// `ECONNREFUSED`), `usage` for a UsageError, else `unexpected`.

export function errorCodeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  }
  if (err instanceof Error && err.name === 'UsageError') return 'usage';
  return 'unexpected';
}
