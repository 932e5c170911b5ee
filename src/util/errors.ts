// Operational failures (provider outages, lock contention, bad state) are thrown
// as PoolformError with a stable `code` from the closed union below, a human
// message, whether retrying can help, and whether the failed call certainly
// created nothing. Config problems are Diagnostics (config/model.ts), never thrown.
//
// A new failure gets a new code here (grouped by area); `--json` output and
// ObserveError.code carry these codes, so renaming one is a breaking change.

/** Failures of the CLI, the API and the engine itself. */
export type CoreErrorCode =
  | 'usage'
  | 'confirmation-required'
  | 'apply-target-not-found'
  | 'config-invalid'
  | 'invalid-request'
  | 'invalid-crash-after'
  | 'listen-failed'
  | 'tls-file-unreadable'
  | 'tls-invalid'
  | 'config-changed'
  | 'placement-invalid'
  | 'plan-invalid'
  | 'saved-plan-invalid'
  | 'saved-plan-stale'
  | 'saved-plan-what-if'
  | 'saved-plan-read'
  | 'saved-plan-write'
  | 'secret-unresolved'
  | 'tls-file-unreadable'
  | 'tls-invalid'
  | 'session-not-found'
  | 'server-not-found'
  | 'state-new-unconfirmed'
  | 'config-dir-missing'
  | 'api-request-failed';

/** The state store. */
export type StateErrorCode = 'state-locked' | 'state-missing' | 'state-corrupt' | 'state-open-failed' | 'state-config';

/** Any provider: configuration, registry and generic failures. */
export type ProviderErrorCode =
  | 'provider-config'
  | 'provider-error'
  | 'unknown-provider-type'
  | 'unknown-vm-provider'
  | 'unknown-dns-provider'
  | 'unknown-ldap-config'
  | 'not-owned'
  | 'throttled'
  | 'user-data-too-large'
  | 'max-instances-reached'
  | 'dns-zone-not-found'
  | 'dns-zone-ambiguous'
  | 'dns-record-not-owned'
  | 'dns-no-address'
  | 'dns-change-rejected'
  | 'directory-not-owned'
  | 'directory-has-children'
  | 'directory-conflict'
  | 'ad-invalid-computer-name'
  | 'ad-empty-password';

/** The local (development) providers. */
export type LocalErrorCode =
  | 'local-vm-observe-failed'
  | 'local-vm-create-failed'
  | 'local-vm-boot-failed'
  | 'local-vm-destroy-failed'
  | 'local-vm-not-owned'
  | 'local-vm-conflict'
  | 'local-dns-failed'
  | 'local-dns-foreign-record'
  | 'local-directory-failed';

/** AWS (EC2, Route 53). */
export type AwsErrorCode =
  | 'aws-error'
  | 'aws-throttled'
  | 'aws-no-credentials'
  | 'aws-auth-failed'
  | 'aws-unauthorized'
  | 'aws-insufficient-capacity'
  | 'aws-instance-limit'
  | 'aws-invalid-ami'
  | 'aws-ami-root-device'
  | 'aws-invalid-subnet'
  | 'aws-invalid-security-group'
  | 'aws-invalid-key-pair'
  | 'aws-invalid-instance-type'
  | 'aws-invalid-iam-profile'
  | 'aws-invalid-request'
  | 'aws-terminate-unconfirmed'
  | 'aws-idempotency-mismatch';

/** Azure (Resource Manager VMs, Azure DNS, Microsoft Entra tokens). */
export type AzureErrorCode =
  | 'azure-error'
  | 'azure-throttled'
  | 'azure-auth-failed'
  | 'azure-unauthorized'
  | 'azure-insufficient-capacity'
  | 'azure-quota-exceeded'
  | 'azure-operation-timeout'
  | 'azure-resource-group-not-found'
  | 'azure-invalid-subscription'
  | 'azure-invalid-image'
  | 'azure-invalid-request';

/** Google Cloud (Compute Engine VMs, Cloud DNS, OAuth tokens). */
export type GcpErrorCode =
  | 'gcp-error'
  | 'gcp-throttled'
  | 'gcp-auth-failed'
  | 'gcp-unauthorized'
  | 'gcp-insufficient-capacity'
  | 'gcp-quota-exceeded'
  | 'gcp-operation-timeout'
  | 'gcp-invalid-request'
  | 'gcp-not-found';

/** DigitalOcean (Droplets, DNS domain records). */
export type DigitalOceanErrorCode =
  | 'do-error'
  | 'do-throttled'
  | 'do-auth-failed'
  | 'do-unauthorized'
  | 'do-insufficient-capacity'
  | 'do-droplet-limit'
  | 'do-invalid-request'
  | 'do-not-found';

/** Oracle Cloud Infrastructure (Compute instances, DNS zone records). */
export type OciErrorCode =
  | 'oci-error'
  | 'oci-throttled'
  | 'oci-auth-failed'
  | 'oci-unauthorized'
  | 'oci-insufficient-capacity'
  | 'oci-limit-exceeded'
  | 'oci-invalid-request'
  | 'oci-not-found';

/** OpenStack (Keystone v3 tokens, Nova servers). */
export type OpenStackErrorCode =
  | 'openstack-error'
  | 'openstack-throttled'
  | 'openstack-auth-failed'
  | 'openstack-unauthorized'
  | 'openstack-insufficient-capacity'
  | 'openstack-quota-exceeded'
  | 'openstack-operation-timeout'
  | 'openstack-server-error'
  | 'openstack-invalid-request'
  | 'openstack-not-found'
  | 'openstack-endpoint-not-found'
  | 'openstack-tls-failed'
  | 'openstack-unreachable';

/** KubeVirt and Harvester (Kubernetes API: VirtualMachines, Secrets, DataVolumes). */
export type KubevirtErrorCode =
  | 'kubevirt-error'
  | 'kubevirt-throttled'
  | 'kubevirt-auth-failed'
  | 'kubevirt-unauthorized'
  | 'kubevirt-quota-exceeded'
  | 'kubevirt-insufficient-capacity'
  | 'kubevirt-invalid-request'
  | 'kubevirt-not-found'
  | 'kubevirt-tls-failed'
  | 'kubevirt-unreachable'
  | 'kubevirt-config';

/** Proxmox VE (API token, worker tasks, guest agent). */
export type ProxmoxErrorCode =
  | 'proxmox-error'
  | 'proxmox-auth-failed'
  | 'proxmox-unauthorized'
  | 'proxmox-insufficient-capacity'
  | 'proxmox-operation-timeout'
  | 'proxmox-task-failed'
  | 'proxmox-invalid-request'
  | 'proxmox-not-found'
  | 'proxmox-tls-failed'
  | 'proxmox-unreachable';

/** VMware vSphere (Automation REST API: sessions, VMs, guest customization). */
export type VsphereErrorCode =
  | 'vsphere-error'
  | 'vsphere-throttled'
  | 'vsphere-auth-failed'
  | 'vsphere-unauthorized'
  | 'vsphere-insufficient-capacity'
  | 'vsphere-operation-timeout'
  | 'vsphere-invalid-request'
  | 'vsphere-not-found'
  | 'vsphere-name-too-long'
  | 'vsphere-tls-failed'
  | 'vsphere-unreachable';

/** Nutanix AHV through Prism Central v3 (Basic auth, intentful tasks, categories). */
export type NutanixErrorCode =
  | 'nutanix-error'
  | 'nutanix-throttled'
  | 'nutanix-auth-failed'
  | 'nutanix-unauthorized'
  | 'nutanix-insufficient-capacity'
  | 'nutanix-operation-timeout'
  | 'nutanix-task-failed'
  | 'nutanix-invalid-request'
  | 'nutanix-tls-failed'
  | 'nutanix-unreachable';

/** LDAP / Active Directory. */
export type LdapErrorCode =
  | 'ldap-error'
  | 'ldap-unreachable'
  | 'ldap-unavailable'
  | 'ldap-timeout'
  | 'ldap-requires-ldaps'
  | 'ldap-encryption-required'
  | 'ldap-invalid-ca-cert'
  | 'ldap-invalid-credentials'
  | 'ldap-insufficient-access'
  | 'ldap-invalid-dn'
  | 'ldap-invalid-search-base'
  | 'ldap-name-collision'
  | 'ldap-no-such-object'
  | 'ldap-not-leaf'
  | 'ldap-not-owned'
  | 'ldap-ou-not-found'
  | 'ldap-password-rejected'
  | 'ldap-tls-failed'
  | 'ldap-tls-hostname'
  | 'ldap-tls-untrusted'
  | 'ldap-unwilling';

/** Every code a PoolformError may carry (closed). */
export type PoolformErrorCode =
  | CoreErrorCode
  | StateErrorCode
  | ProviderErrorCode
  | LocalErrorCode
  | AwsErrorCode
  | AzureErrorCode
  | GcpErrorCode
  | DigitalOceanErrorCode
  | OciErrorCode
  | OpenStackErrorCode
  | KubevirtErrorCode
  | ProxmoxErrorCode
  | NutanixErrorCode
  | VsphereErrorCode
  | LdapErrorCode;

export interface PoolformErrorOptions {
  /** True when the same call may succeed later (throttling, timeouts, capacity). */
  retryable?: boolean;
  /**
   * True when the provider certainly created nothing (it refused the call), so
   * apply may drop the intent and the server record at once instead of keeping
   * them for the next refresh to find what the call made.
   */
  nothingCreated?: boolean;
  /** The provider's own error code (e.g. AWS `InsufficientInstanceCapacity`), for people and metrics. */
  providerCode?: string;
  /** The configuration field the failure is about, when the message names it (e.g. `base_domain_name`). */
  field?: string;
  cause?: unknown;
  /** Extra, non-secret context for logs and JSON output. */
  details?: Record<string, unknown>;
}

export class PoolformError extends Error {
  readonly code: PoolformErrorCode;
  readonly retryable: boolean;
  /** The provider certainly created nothing (see PoolformErrorOptions.nothingCreated). */
  readonly nothingCreated: boolean;
  /** The provider's own error code, when it gave one. */
  readonly providerCode: string | undefined;
  /** The configuration field the message names, if any. */
  readonly field: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: PoolformErrorCode, message: string, options: PoolformErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PoolformError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    // details.nothing_created is the older, untyped spelling (providers written before the field): honoured, not to be used.
    this.nothingCreated = options.nothingCreated ?? options.details?.['nothing_created'] === true;
    this.providerCode = options.providerCode;
    this.field = options.field;
    this.details = options.details ?? {};
  }
}

/** A failure as a reconcile step reports it: terminal (retrying cannot help) or retryable. */
export type ErrorDisposition = 'terminal' | 'retryable';

export function dispositionOf(error: unknown): ErrorDisposition {
  return isPoolformError(error) && !error.retryable ? 'terminal' : 'retryable';
}

export function isPoolformError(value: unknown): value is PoolformError {
  return value instanceof PoolformError;
}

/** A message for any thrown value, without a stack trace. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
