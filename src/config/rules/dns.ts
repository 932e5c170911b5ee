// register-dns-incomplete: register_dns needs dns_provider and base_domain_name.
import type { Rule } from './context.ts';

export const registerDns: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    (pool.autoscale ?? []).forEach((a, i) => {
      if (a.register_dns !== true) return;
      for (const field of ['dns_provider', 'base_domain_name'] as const) {
        if (a[field] === undefined || a[field] === '') {
          ctx.report('error', 'register-dns-incomplete', `register_dns needs ${field}`, { doc: pool, path: ['autoscale', i, 'register_dns'] });
        }
      }
    });
  }
};
