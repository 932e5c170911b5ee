// tls-insecure (warning): an LdapConfig that skips certificate verification.
import type { Rule } from './context.ts';

export const ldapTls: Rule = (ctx) => {
  for (const ldap of ctx.config.ldapConfigs) {
    if (ldap.tls_insecure_skip_verify === true) {
      ctx.report('warning', 'tls-insecure', `LdapConfig ${ldap.name} does not verify the server certificate; set ca_cert instead`, {
        doc: ldap,
        path: ['tls_insecure_skip_verify'],
      });
    }
  }
};
