// HTTPS for `poolform serve` (`--tls-cert FILE --tls-key FILE`). Without them
// serve speaks plain HTTP, and session answers carry connection passwords (SSO
// credentials come back in the 201): anything but loopback then needs TLS,
// here or in a proxy in front (see docs/security.md and docs/daemon-and-api.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { PoolformError, errorMessage } from '../util/errors.ts';

export interface TlsPaths {
  /** PEM certificate (chain) file. */
  cert: string;
  /** PEM private key file. */
  key: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** `--tls-cert` and `--tls-key` go together: one without the other is a usage mistake. */
export function tlsPathsFrom(cert: string | undefined, key: string | undefined): TlsPaths | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new PoolformError('usage', `--tls-cert and --tls-key go together (got only ${cert === undefined ? '--tls-key' : '--tls-cert'})`);
  }
  return { cert, key };
}

function readPem(path: string, what: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new PoolformError('tls-file-unreadable', `cannot read the TLS ${what} ${path} (${flag}): ${errorMessage(cause)}`, { cause });
  }
}

/**
 * Reads and checks the certificate and key (relative paths against `cwd`). A
 * key that does not match the certificate, or a file that is not PEM, fails
 * here with `tls-invalid`, before anything listens. Never includes the key.
 */
export function loadTls(paths: TlsPaths, cwd: string): TlsMaterial {
  const certPath = resolve(cwd, paths.cert);
  const keyPath = resolve(cwd, paths.key);
  const material = { cert: readPem(certPath, 'certificate', '--tls-cert'), key: readPem(keyPath, 'private key', '--tls-key') };
  try {
    createSecureContext(material);
  } catch (cause) {
    // OpenSSL's reason ("key values mismatch", "no start line") names no key material.
    throw new PoolformError('tls-invalid', `the TLS certificate ${certPath} and key ${keyPath} cannot be used: ${errorMessage(cause)}`, { cause });
  }
  return material;
}
