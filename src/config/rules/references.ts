// unknown-reference: every name an object refers to resolves: autoscale →
// vm_provider, dns_provider, ldap_config, zone; fixed server → zone; staging →
// workspace, autoscale (in the same pool), zone. Names declared by documents
// that failed the schema count as declared (their own errors are reported).
import type { Rule, RuleContext } from './context.ts';
import { closest } from '../schema-validator.ts';

function check(ctx: RuleContext, kind: string, name: string | undefined, doc: object, path: (string | number)[]): void {
  if (name === undefined) return;
  const names = ctx.declared.get(kind);
  if (names?.has(name)) return;
  const hint = names ? closest(name, [...names]) : undefined;
  ctx.report('error', 'unknown-reference', `${kind} "${name}" is not defined${hint ? ` (did you mean "${hint}"?)` : ''}`, { doc, path });
}

export const references: Rule = (ctx) => {
  for (const pool of ctx.config.pools) {
    (pool.autoscale ?? []).forEach((a, i) => {
      const at = ['autoscale', i];
      check(ctx, 'VmProvider', a.vm_provider, pool, [...at, 'vm_provider']);
      check(ctx, 'DnsProvider', a.dns_provider, pool, [...at, 'dns_provider']);
      check(ctx, 'LdapConfig', a.ldap_config, pool, [...at, 'ldap_config']);
      check(ctx, 'Zone', a.zone, pool, [...at, 'zone']);
    });
    for (const [i, s] of (pool.servers ?? []).entries()) check(ctx, 'Zone', s.zone, pool, ['servers', i, 'zone']);
    for (const [i, s] of (pool.agents ?? []).entries()) check(ctx, 'Zone', s.zone, pool, ['agents', i, 'zone']);
    const autoscaleNames = (pool.autoscale ?? []).map((a) => a.name);
    (pool.staging ?? []).forEach((s, i) => {
      check(ctx, 'Workspace', s.workspace, pool, ['staging', i, 'workspace']);
      check(ctx, 'Zone', s.zone, pool, ['staging', i, 'zone']);
      if (!autoscaleNames.includes(s.autoscale)) {
        const hint = closest(s.autoscale, autoscaleNames);
        ctx.report(
          'error',
          'unknown-reference',
          `autoscale config "${s.autoscale}" is not defined in pool ${pool.name}${hint ? ` (did you mean "${hint}"?)` : ''}`,
          { doc: pool, path: ['staging', i, 'autoscale'] },
        );
      }
    });
  }
};
