// Kubernetes API errors → PoolformError with a stable code, a message naming
// the provider config (`VmProvider <name> (kubevirt|harvester)`) and what to
// fix, and whether trying again later helps. The API answers `Status`
// objects ({status: Failure, reason, message, code}):
// - 401 Unauthorized: bad/expired token or client certificate → credential error;
// - 403 Forbidden: RBAC, except "exceeded quota" (a ResourceQuota admission
//   refusal) → quota back-off like EC2's capacity errors;
// - 422 Invalid / 400 BadRequest → the settings are wrong, except refusals
//   for insufficient resources → capacity back-off;
// - 429 TooManyRequests and 5xx (already retried by kube-client.ts) → retryable;
// - TLS verification failures → set ca_cert (not retried); no answer → retryable.
import { ApiException } from '@kubernetes/client-node';
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';
import { isTransientNetworkError, networkCode, statusOf, TLS_CODES } from './kube-client.ts';

const QUOTA = /exceeded quota|quota exceeded/i;
const CAPACITY = /insufficient (cpu|memory|resources|storage)|not enough (cpu|memory|resources)|no nodes available|Insufficient/i;

export interface KubeErrorContext {
  /** `VmProvider <name> (kubevirt)`. */
  where: string;
  /** e.g. `POST virtualmachines`. */
  operation: string;
  /** The API server URL. */
  server?: string;
}

export function toKubeError(error: unknown, ctx: KubeErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  if (!(error instanceof ApiException)) {
    const code = networkCode(error);
    const text = error instanceof Error ? error.message : String(error);
    if (code !== undefined && TLS_CODES.has(code)) {
      return new PoolformError(
        'kubevirt-tls-failed',
        `${ctx.where}: the API server's certificate${ctx.server ? ` (${ctx.server})` : ''} is not trusted (${code}); set ca_cert to the cluster CA (the kubeconfig's certificate-authority-data), or, for a test cluster only, insecure_skip_verify`,
        { cause: error, nothingCreated: true, details: { operation: ctx.operation, tls_code: code } },
      );
    }
    if (!isTransientNetworkError(error)) {
      return new PoolformError('kubevirt-config', `${ctx.where}: ${ctx.operation} cannot be sent: ${text}`, {
        cause: error,
        nothingCreated: true,
        details: { operation: ctx.operation },
      });
    }
    return new PoolformError(
      'kubevirt-unreachable',
      `${ctx.where}: ${ctx.operation} got no answer from the API server${ctx.server ? ` ${ctx.server}` : ''} (${text}); poolform will try again`,
      {
        retryable: true,
        cause: error,
        details: { operation: ctx.operation, ...(code ? { network_code: code } : {}) },
      },
    );
  }
  const status = statusOf(error) ?? {};
  const message = status.message ?? error.message;
  const reason = status.reason ?? '';
  const refused = error.code >= 400 && error.code < 500;
  const fail = (code: PoolformErrorCode, text: string, retryable = false, field?: string): PoolformError =>
    new PoolformError(code, `${ctx.where}: ${text}`, {
      retryable,
      cause: error,
      providerCode: reason || String(error.code),
      nothingCreated: refused,
      ...(field !== undefined ? { field } : {}),
      details: { http_status: error.code, reason, operation: ctx.operation },
    });
  if (error.code === 401) {
    return fail(
      'kubevirt-auth-failed',
      `the Kubernetes API rejected the credentials (401 Unauthorized): check kubeconfig / token (a secret reference such as \${file:kubeconfig.yaml}) and that the token or client certificate has not expired`,
      false,
      'kubeconfig',
    );
  }
  if (error.code === 403 && QUOTA.test(message)) {
    return fail(
      'kubevirt-quota-exceeded',
      `a ResourceQuota refuses ${ctx.operation} (${message}); poolform backs off and retries later. Raise the quota or lower max_instances`,
      true,
    );
  }
  if (error.code === 403) {
    return fail(
      'kubevirt-unauthorized',
      `the credentials may not ${ctx.operation} (403 Forbidden: ${message}); grant the Role in the provider's docs (virtualmachines, virtualmachineinstances, secrets${ctx.where.includes('harvester') ? ', persistentvolumeclaims, virtualmachineimages' : ''})`,
      false,
      'kubeconfig',
    );
  }
  if (error.code === 429)
    return fail('kubevirt-throttled', `the API server is still throttling ${ctx.operation} (429) after retries; poolform will try again later`, true);
  if ((error.code === 422 || error.code === 400 || error.code === 500) && CAPACITY.test(message)) {
    return fail('kubevirt-insufficient-capacity', `the cluster cannot place the VM now (${message}); poolform retries later with backoff`, true);
  }
  if (error.code === 404) return fail('kubevirt-not-found', `${ctx.operation}: not found (${message})`);
  if (refused) return fail('kubevirt-invalid-request', `${ctx.operation} was rejected (${reason || error.code}: ${message}); check the provider's settings`);
  return fail('kubevirt-error', `${ctx.operation} failed (${error.code} ${reason}: ${message})`, true);
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiException && error.code === 404;
export const isAlreadyExists = (error: unknown): boolean => error instanceof ApiException && error.code === 409;
