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
  quietSdkRetrierWarnings();
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

/**
 * oci-common's retrier writes a `console.warn` line for every failed request,
 * even with retries off ("Request cannot be retried. Not Retrying. ...",
 * "All retry attempts have exhausted. ...", "Request failed with Exception
 * ..."): on poolform's CLI that would interleave SDK chatter with plan output
 * for an ordinary 404 of an already-gone instance. poolform reports every such
 * failure itself (errors.ts), so exactly those three SDK messages are dropped;
 * anything else passes through. Installed once per process, when the first OCI
 * client is built.
 */
const SDK_RETRIER_NOISE = /^(Request cannot be retried\. Not Retrying\.|All retry attempts have exhausted\.|Request failed with Exception :)/;
let quieted = false;

export function quietSdkRetrierWarnings(): void {
  if (quieted) return;
  quieted = true;
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && SDK_RETRIER_NOISE.test(args[0])) return;
    original(...args);
  };
}
