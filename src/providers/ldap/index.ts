// Active Directory computer records over LDAPS (placeholder until the AD issue lands).
import type { LdapConfig } from '../../generated/config.ts';
import { PoolformError } from '../../util/errors.ts';
import type { DirectoryProviderClient } from '../types.ts';

export interface LdapDirectoryProviderOptions {
  config: LdapConfig;
  /** Resolved bind password. */
  bindPassword: string;
  /** Resolved PEM CA certificate(s), when the config sets ca_cert. */
  caCert?: string;
}

export function createLdapDirectoryProvider(options: LdapDirectoryProviderOptions): DirectoryProviderClient {
  throw new PoolformError('not-implemented', `LdapConfig ${options.config.name}: AD computer records are not implemented yet`);
}
