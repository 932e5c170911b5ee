// DigitalOcean API errors → PoolformError with a stable code, a message naming
// the provider config and what to fix, and whether trying again later helps.
// DigitalOcean answers errors as `{id, message}` (client.ts DoApiError):
// 401 `unauthorized` (bad or revoked token), 403 `forbidden` (the token lacks
// a scope), 404 `not_found`, 422 `unprocessable_entity` (validation, and also
// "size not available in this region" / "droplet limit" refusals), 429
// `too_many_requests` (already retried by the client when it gets here),
// 5xx `server_error`.
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';
import { DoApiError, DoNetworkError } from './client.ts';

/** 422 messages meaning the region cannot place this size now (like EC2 InsufficientInstanceCapacity). */
const CAPACITY =
  /not available in this region|region is not available|size is not available|is currently unavailable|insufficient capacity|no capacity|sold out/i;
/** 422/403 messages meaning the account's droplet limit (like EC2 InstanceLimitExceeded). */
const DROPLET_LIMIT = /droplet limit|exceed your droplet|will exceed|limit of droplets/i;

export interface DoErrorContext {
  /** `VmProvider name` or `DnsProvider name`. */
  where: string;
  /** e.g. `POST /v2/droplets`. */
  operation: string;
  /** Words for capacity messages, e.g. `size s-2vcpu-4gb in nyc3`. */
  what?: string;
}

/** Whether DigitalOcean certainly did nothing (it refused the call: 4xx). */
export function doRefused(error: unknown): boolean {
  return error instanceof DoApiError && error.status >= 400 && error.status < 500;
}

export function toDoError(error: unknown, ctx: DoErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  if (error instanceof DoNetworkError) {
    return new PoolformError('do-error', `${ctx.where}: ${ctx.operation} got no answer from DigitalOcean (${error.message}); poolform will try again`, {
      retryable: true,
      cause: error,
      details: { operation: ctx.operation },
    });
  }
  if (!(error instanceof DoApiError)) {
    return new PoolformError('do-error', `${ctx.where}: ${ctx.operation} failed: ${error instanceof Error ? error.message : String(error)}`, {
      retryable: true,
      cause: error,
    });
  }
  const details = { provider_code: error.id, http_status: error.status, operation: ctx.operation };
  const refused = doRefused(error);
  const fail = (code: PoolformErrorCode, message: string, retryable = false, field?: string): PoolformError =>
    new PoolformError(code, `${ctx.where}: ${message}`, {
      retryable,
      cause: error,
      providerCode: error.id,
      nothingCreated: refused,
      ...(field !== undefined ? { field } : {}),
      details,
    });
  if (error.status === 401 || error.id === 'unauthorized') {
    return fail(
      'do-auth-failed',
      'DigitalOcean rejected the API token (unauthorized): check token (a secret reference such as ${env:DIGITALOCEAN_TOKEN}) and that the token is not revoked or expired',
      false,
      'token',
    );
  }
  if (error.status === 429) {
    return fail('do-throttled', `DigitalOcean is still rate-limiting ${ctx.operation} (too_many_requests) after retries; poolform will try again later`, true);
  }
  if (DROPLET_LIMIT.test(error.message)) {
    return fail(
      'do-droplet-limit',
      `the account's droplet limit is reached (${error.message}); poolform retries later. Lower max_instances or ask DigitalOcean for a higher limit`,
      true,
    );
  }
  if (error.status === 403) {
    return fail(
      'do-unauthorized',
      `the API token may not call ${ctx.operation} (${error.id}: ${error.message}); give it the scopes in docs/providers/digital-ocean.md`,
      false,
      'token',
    );
  }
  if (error.status === 422 && CAPACITY.test(error.message)) {
    return fail(
      'do-insufficient-capacity',
      `DigitalOcean cannot place ${ctx.what ?? 'the droplet'} right now (${error.message}); poolform retries later with backoff. To avoid waiting, choose another size or region`,
      true,
    );
  }
  if (error.status === 404) return fail('do-not-found', `${ctx.operation}: not found (${error.message})`);
  if (error.status >= 400 && error.status < 500) {
    return fail('do-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${error.id}: ${error.message}`);
  }
  return fail('do-error', `${ctx.operation} failed: ${error.id}: ${error.message}`, true);
}
