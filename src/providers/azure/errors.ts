// Azure SDK / identity errors → PoolformError with a stable code, a message
// naming the provider config and the field to fix, and whether trying again
// later can help. ARM errors arrive as RestError with `code` (ARM's
// `error.code`) and `statusCode`; identity failures as AuthenticationError /
// CredentialUnavailableError / AggregateAuthenticationError. Throttling (429)
// has already been retried by the SDK pipeline (Retry-After honoured) when it
// reaches here. Messages from Azure carry no secrets; token-endpoint answers
// are reduced to their AADSTS code line.
import { PoolformError, type PoolformErrorCode } from '../../util/errors.ts';

export interface AzureErrorShape {
  code: string;
  status: number | undefined;
  message: string;
  name: string;
  /** A long-running operation that Azure accepted and then reported Failed (e.g. AllocationFailed). */
  operationFailed: boolean;
}

/** core-lro's message for a Failed operation status: "The long-running operation has failed. <code>. <message>". */
const LRO_FAILED = /^The long-running operation has failed(?:\. ([^.\s]+)\. ([\s\S]*))?$/;

export function azureErrorShape(error: unknown): AzureErrorShape {
  if (!(error instanceof Error)) return { code: 'Error', status: undefined, message: String(error), name: 'Error', operationFailed: false };
  const lro = LRO_FAILED.exec(error.message);
  if (lro) return { code: lro[1] ?? 'OperationFailed', status: undefined, message: lro[2] ?? error.message, name: error.name, operationFailed: true };
  const record = error as Error & { code?: unknown; statusCode?: unknown; errorResponse?: { error?: unknown } };
  const status = typeof record.statusCode === 'number' ? record.statusCode : undefined;
  const code =
    typeof record.code === 'string' && record.code ? record.code : typeof record.errorResponse?.error === 'string' ? record.errorResponse.error : error.name;
  return { code, status, message: error.message, name: error.name, operationFailed: false };
}

/** Azure cannot place the VM right now (region/zone capacity). */
export const CAPACITY_CODES: ReadonlySet<string> = new Set([
  'AllocationFailed',
  'ZonalAllocationFailed',
  'OverconstrainedAllocationRequest',
  'OverconstrainedZonalAllocationRequest',
  'SkuNotAvailable',
]);
/** A subscription quota is reached. */
export const QUOTA_CODES: ReadonlySet<string> = new Set(['QuotaExceeded', 'OperationNotAllowed', 'ResourceQuotaExceeded', 'PublicIPCountLimitReached']);
export const THROTTLING_CODES: ReadonlySet<string> = new Set(['TooManyRequests', 'SubscriptionRequestsThrottled', 'TenantRequestsThrottled', 'RetryableError']);
const AUTH_CODES: ReadonlySet<string> = new Set([
  'AuthenticationFailed',
  'InvalidAuthenticationToken',
  'ExpiredAuthenticationToken',
  'InvalidAuthenticationTokenTenant',
  'InvalidAuthenticationTokenAudience',
]);
const IDENTITY_ERRORS: ReadonlySet<string> = new Set([
  'AuthenticationError',
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

/** Whether Azure answered with a refusal, so the call certainly did nothing (4xx, throttling, capacity, quota). */
export function azureRefused(error: unknown): boolean {
  const shape = azureErrorShape(error);
  if (shape.operationFailed || CAPACITY_CODES.has(shape.code) || QUOTA_CODES.has(shape.code) || THROTTLING_CODES.has(shape.code)) return true;
  return shape.status !== undefined && shape.status >= 400 && shape.status < 500;
}

/** The Entra error sentence (`AADSTS7000215: Invalid client secret provided.`), else the first line. */
function firstLine(text: string): string {
  const aadsts = /AADSTS\d+:[^.\n]*\.?/.exec(text);
  if (aadsts) return aadsts[0].trim();
  return (text.split('\n')[0] ?? text).trim().slice(0, 300);
}

export interface AzureErrorContext {
  /** `VmProvider name` or `DnsProvider name`. */
  where: string;
  /** The operation, e.g. `VirtualMachines_CreateOrUpdate`. */
  operation: string;
  /** Words naming what was asked for (vm_size Standard_D4s_v5 in eastus), for capacity/quota messages. */
  what?: string;
}

/** Maps any error of an Azure call; PoolformErrors pass through. */
export function toAzureError(error: unknown, ctx: AzureErrorContext): PoolformError {
  if (error instanceof PoolformError) return error;
  const shape = azureErrorShape(error);
  const code = shape.code;
  const details = { azure_code: code, provider_code: code, operation: ctx.operation, ...(shape.status !== undefined ? { http_status: shape.status } : {}) };
  const fail = (poolformCode: PoolformErrorCode, message: string, retryable = false): PoolformError =>
    new PoolformError(poolformCode, `${ctx.where}: ${message}`, { retryable, cause: error, providerCode: code, details });

  if (IDENTITY_ERRORS.has(shape.name) || IDENTITY_ERRORS.has(code)) {
    return fail(
      'azure-auth-failed',
      `Azure (Microsoft Entra ID) did not issue a token: ${firstLine(shape.message)}. Check tenant_id, client_id and client_secret (a secret reference), ` +
        'or use_managed_identity, or the DefaultAzureCredential environment (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)',
    );
  }
  if (shape.status === 401 || AUTH_CODES.has(code)) {
    return fail(
      'azure-auth-failed',
      `Azure Resource Manager rejected the credentials (${code}); check tenant_id, client_id and client_secret, or the identity's tenant`,
    );
  }
  if (code === 'AuthorizationFailed' || code === 'LinkedAuthorizationFailed' || shape.status === 403) {
    return fail(
      'azure-unauthorized',
      `the Azure identity may not call ${ctx.operation} (${code}): grant it the role in docs/providers/azure.md on the resource group. ${shape.message}`,
    );
  }
  if (THROTTLING_CODES.has(code) || shape.status === 429) {
    return fail('azure-throttled', `Azure is still throttling ${ctx.operation} (${code}) after retries; poolform will try again later`, true);
  }
  if (CAPACITY_CODES.has(code)) {
    return fail(
      'azure-insufficient-capacity',
      `Azure has no capacity for ${ctx.what ?? 'the request'} right now (${code}); poolform retries later with backoff. To avoid waiting, choose another vm_size or location. ${shape.message}`,
      true,
    );
  }
  if (QUOTA_CODES.has(code)) {
    return fail(
      'azure-quota-exceeded',
      `the subscription's quota for ${ctx.what ?? 'the request'} is reached (${code}); poolform retries later. Lower max_instances or request a quota increase. ${shape.message}`,
      true,
    );
  }
  if (code === 'ResourceGroupNotFound') return fail('azure-resource-group-not-found', `resource_group does not exist: ${shape.message}`);
  if (code === 'SubscriptionNotFound' || code === 'InvalidSubscriptionId')
    return fail('azure-invalid-subscription', `subscription_id is not a subscription the identity can see: ${shape.message}`);
  if (/ImageNotFound|PlatformImageNotFound|InvalidImageReference|GalleryImageNotFound/i.test(code))
    return fail('azure-invalid-image', `image is not available: ${code}: ${shape.message}`);
  if (
    /^(InvalidParameter|InvalidRequestFormat|InvalidResourceReference|BadRequest|NicInUse|InvalidRequestContent|PropertyChangeNotAllowed|MissingApiVersionParameter)$/.test(
      code,
    )
  ) {
    return fail('azure-invalid-request', `${ctx.operation} was rejected (check the provider's settings): ${code}: ${shape.message}`);
  }
  const retryable = shape.status === undefined || shape.status >= 500;
  return fail('azure-error', `${ctx.operation} failed: ${code}: ${shape.message}`, retryable);
}
