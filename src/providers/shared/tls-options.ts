// The `ca_cert` / `insecure_skip_verify` settings of on-premises providers
// (OpenStack, Proxmox VE, and the hypervisors to come), turned into the
// shared transport's options (http-transport.ts), plus the loud warning
// insecure_skip_verify earns: credentials and tokens travel over a connection
// nobody verified. `ca_cert` is the PEM text, already resolved from its
// `${file:}` reference by the registry.
import type { HttpTransportOptions } from './http-transport.ts';

export interface TlsSettings {
  /** PEM bundle trusted for the endpoint (replaces Node's bundled CAs for it). */
  caCert?: string;
  insecureSkipVerify?: boolean;
}

export function tlsTransportOptions(tls: TlsSettings): Pick<HttpTransportOptions, 'ca' | 'insecureSkipVerify'> {
  return {
    ...(tls.caCert !== undefined ? { ca: tls.caCert } : {}),
    ...(tls.insecureSkipVerify === true ? { insecureSkipVerify: true } : {}),
  };
}

/**
 * Emits the insecure_skip_verify warning once per client built: to `warn`
 * when given (the registry's sink), else as a process warning with `code`.
 */
export function warnIfInsecure(tls: TlsSettings, context: { where: string; what: string; code: string; warn?: ((message: string) => void) | undefined }): void {
  if (tls.insecureSkipVerify !== true) return;
  const message = `${context.where}: insecure_skip_verify is on: the certificate of ${context.what} is NOT verified, so anyone on the network path can read the credentials and tokens; set ca_cert instead`;
  if (context.warn) context.warn(message);
  else process.emitWarning(message, { code: context.code });
}
