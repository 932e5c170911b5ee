// OCI API-key request signing and SDK client settings, shared by the VM and
// DNS providers. The oci-sdk signs every request (HTTP Signature, rsa-sha256,
// keyId `<tenancy>/<user>/<fingerprint>`) with SimpleAuthenticationDetailsProvider;
// the private key (and its passphrase) arrive already resolved from their
// secret references and never leave this module except into the SDK.
//
// The SDK's own retries and circuit breaker are turned off: poolform drives
// retries itself (client.ts, shared/backoff.ts) so it can bound them, count
// them in tests, and map what remains to its own errors; a process-wide
// circuit breaker would also fail unrelated calls for a minute after a burst
// of 429s, which the reconcile loop cannot tell from an outage.
import { CircuitBreaker, type ClientConfiguration, NoRetryConfigurationDetails, Region, SimpleAuthenticationDetailsProvider } from 'oci-common';

export interface OciSigningSettings {
  tenancy_ocid: string;
  user_ocid: string;
  fingerprint: string;
  region: string;
}

export interface OciSigningSecrets {
  /** PEM private key (resolved secret). */
  privateKey: string;
  passphrase?: string;
}

export function ociAuthProvider(settings: OciSigningSettings, secrets: OciSigningSecrets): SimpleAuthenticationDetailsProvider {
  return new SimpleAuthenticationDetailsProvider(
    settings.tenancy_ocid,
    settings.user_ocid,
    settings.fingerprint,
    secrets.privateKey,
    secrets.passphrase ?? null,
    Region.fromRegionId(settings.region),
  );
}

/** SDK client configuration: no SDK retries, no circuit breaker (see above). */
export function ociClientConfiguration(): ClientConfiguration {
  return { retryConfiguration: NoRetryConfigurationDetails, circuitBreaker: new CircuitBreaker({ disableClientCircuitBreaker: true }) };
}
