// Proxmox VE errors → PoolformError. What PVE answers (pve-http-server):
// `{"data": null}` with the reason in the HTTP status line, newer versions
// also a `message` field, and for parameter checks
// `{"data": null, "errors": {"<param>": "<why>"}}` with status 400. Most
// failures of an API handler (a `die`) are status 500 with the text, e.g.
// "VM 105 already exists on node 'pve1'"; a failed worker task is a task
// status `stopped` with `exitstatus` other than "OK". Mapping:
// - 401 → proxmox-auth-failed (a plan error naming the provider; not retried).
// - 403 → proxmox-unauthorized (the token lacks a privilege).
// - TLS failure → proxmox-tls-failed ("TLS: certificate not trusted").
// - no space / storage full (answer or task) → proxmox-insufficient-capacity:
//   retryable, so the autoscaler backs off creates (like EC2's capacity errors).
// - 400 → proxmox-invalid-request; other 5xx and network → retryable.
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';
import { TransportError } from '../shared/http-transport.ts';

export class ProxmoxHttpError extends Error {
  readonly status: number;
  readonly errors: Record<string, string> | undefined;
  /** What a Retry-After header asked for (a proxy in front of pveproxy may send one with 429/503). */
  retryAfterMs: number | undefined;
  constructor(status: number, message: string, errors?: Record<string, string>) {
    super(message);
    this.name = 'ProxmoxHttpError';
    this.status = status;
    this.errors = errors;
    this.retryAfterMs = undefined;
  }
}

/** A worker task that stopped with an exitstatus other than OK. */
export class ProxmoxTaskError extends Error {
  readonly upid: string;
  constructor(upid: string, exitstatus: string) {
    super(exitstatus);
    this.name = 'ProxmoxTaskError';
    this.upid = upid;
  }
}

/** The error of one non-2xx answer: reason phrase, `message`, and per-parameter `errors`. */
export function parseErrorAnswer(status: number, reason: string | undefined, text: string): ProxmoxHttpError {
  let message = (reason ?? '').trim();
  let errors: Record<string, string> | undefined;
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown };
    if (typeof body.message === 'string' && body.message.trim() !== '') message = body.message.trim();
    if (body.errors && typeof body.errors === 'object') errors = Object.fromEntries(Object.entries(body.errors).map(([k, v]) => [k, String(v)]));
  } catch {
    // Not JSON (a proxy in front of pveproxy): the reason phrase stays.
  }
  if (message === '') message = `HTTP ${status}`;
  if (errors)
    message = `${message} ${Object.entries(errors)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`;
  return new ProxmoxHttpError(status, message, errors);
}

const NO_SPACE = /no space left|not enough (free )?space|out of space|storage .*full|insufficient (disk )?space|disk quota exceeded/i;
const ALREADY_EXISTS = /\bVM \d+ already exists|config file already exists/i;

export function isVmIdTaken(error: unknown): boolean {
  return error instanceof ProxmoxHttpError && ALREADY_EXISTS.test(error.message);
}

export function isMissingVm(error: unknown): boolean {
  return error instanceof ProxmoxHttpError && /does not exist|no such VM/i.test(error.message);
}

/** Transient at the HTTP level: worth retrying the same call right away (the call was not processed or is a read). */
export function transientAnswer(error: unknown, idempotent: boolean): boolean {
  if (error instanceof TransportError) return !error.tls && idempotent;
  if (!(error instanceof ProxmoxHttpError)) return false;
  if (error.status === 429 || error.status === 503) return true;
  return idempotent && error.status >= 500 && !NO_SPACE.test(error.message);
}

/** A refusal: the call made nothing (so a create may say nothing was created). */
export function proxmoxRefused(error: unknown): boolean {
  if (error instanceof ProxmoxTaskError) return true;
  if (error instanceof ProxmoxHttpError) return error.status === 400 || error.status === 401 || error.status === 403 || NO_SPACE.test(error.message);
  return error instanceof PoolformError && error.nothingCreated === true;
}

export interface ProxmoxErrorContext {
  where: string;
  operation: string;
}

function short(text: string): string {
  return (text.split('\n')[0] ?? text).trim().slice(0, 300);
}

export function toProxmoxError(error: unknown, ctx: ProxmoxErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  const fail = (code: PoolformErrorCode, message: string, retryable: boolean, status?: number): PoolformError =>
    new PoolformError(code, `${ctx.where}: ${message}`, {
      retryable,
      cause: error,
      details: { operation: ctx.operation, ...(status !== undefined ? { http_status: status } : {}) },
    });
  const text = error instanceof Error ? short(error.message) : String(error);
  if (NO_SPACE.test(text)) {
    return fail(
      'proxmox-insufficient-capacity',
      `Proxmox VE has no room for the VM right now (${ctx.operation}: ${text}); poolform retries later with backoff. Free space on the target storage or choose another storage`,
      true,
    );
  }
  if (error instanceof ProxmoxTaskError) return fail('proxmox-task-failed', `the ${ctx.operation} task failed: ${text}`, true);
  if (error instanceof TransportError) {
    if (error.tls) {
      return fail(
        'proxmox-tls-failed',
        `TLS: certificate not trusted by poolform for ${ctx.operation} (${text}). Set ca_cert to the CA that signs the Proxmox VE certificate (pveproxy-ssl.pem or the cluster CA pve-root-ca.pem)`,
        false,
      );
    }
    return fail('proxmox-unreachable', `${ctx.operation}: ${text}; poolform will try again`, true);
  }
  if (!(error instanceof ProxmoxHttpError)) return fail('proxmox-error', `${ctx.operation} failed: ${text}`, true);
  const { status } = error;
  if (status === 401) {
    return fail(
      'proxmox-auth-failed',
      `Proxmox VE rejected the API token (${text}). Check token_id (USER@REALM!TOKENID) and token_secret (a secret reference)`,
      false,
      status,
    );
  }
  if (status === 403) {
    return fail(
      'proxmox-unauthorized',
      `the API token may not call ${ctx.operation} (${text}). See docs/providers/proxmox.md for the privileges needed`,
      false,
      status,
    );
  }
  if (status === 400) return fail('proxmox-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${text}`, false, status);
  return fail('proxmox-error', `${ctx.operation} failed: ${text}`, status >= 500 || status === 429, status);
}
