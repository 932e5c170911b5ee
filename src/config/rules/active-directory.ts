// ad-config-incomplete: ad_create_machine_record needs ldap_config and
// ad_computer_container_dn. ldaps-required: the LdapConfig it uses must be
// ldaps:// (AD refuses to set account passwords over plain LDAP).
import type { Rule } from './context.ts';
import { findLdapConfig } from '../lookup.ts';

export const activeDirectory: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    // On docker agent pools the field itself is rejected (field-not-for-pool-type); no cascade here.
    if (pool.type !== 'server') continue;
    (pool.autoscale ?? []).forEach((a, i) => {
      if (a.ad_create_machine_record !== true) return;
      const at = ['autoscale', i];
      for (const field of ['ldap_config', 'ad_computer_container_dn'] as const) {
        if (a[field] === undefined || a[field] === '') {
          ctx.report('error', 'ad-config-incomplete', `ad_create_machine_record needs ${field}`, { doc: pool, path: [...at, 'ad_create_machine_record'] });
        }
      }
      const ldap = a.ldap_config === undefined ? undefined : findLdapConfig(ctx.config, a.ldap_config);
      if (ldap && !/^ldaps:\/\//i.test(ldap.url)) {
        ctx.report(
          'error',
          'ldaps-required',
          `LdapConfig ${ldap.name} must use ldaps:// to create AD computer records (AD refuses to set passwords over plain LDAP)`,
          {
            doc: pool,
            path: [...at, 'ldap_config'],
          },
        );
      }
    });
  }
};
