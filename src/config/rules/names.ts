// duplicate-name: names are unique per kind, and autoscale configs, fixed
// servers and staging configs are unique within their pool; API key names are
// unique. multiple-settings: at most one Settings document.
import type { Rule, RuleContext } from './context.ts';

function unique(ctx: RuleContext, what: string, items: readonly { name: string }[], at: (index: number) => { doc: object; path: (string | number)[] }): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first === undefined) {
      seen.set(item.name, i);
      return;
    }
    const firstAt = at(first);
    const src = ctx.sourceOf(firstAt.doc);
    const where = src ? ` (first defined in ${src.file})` : '';
    ctx.report('error', 'duplicate-name', `duplicate ${what} name "${item.name}"${where}`, { ...at(i), path: [...at(i).path, 'name'] });
  });
}

export const duplicateNames: Rule = (ctx) => {
  const c = ctx.config;
  const top = (list: readonly object[]) => (i: number) => ({ doc: list[i] ?? {}, path: [] });
  unique(ctx, 'Zone', c.zones, top(c.zones));
  unique(ctx, 'VmProvider', c.vmProviders, top(c.vmProviders));
  unique(ctx, 'DnsProvider', c.dnsProviders, top(c.dnsProviders));
  unique(ctx, 'LdapConfig', c.ldapConfigs, top(c.ldapConfigs));
  unique(ctx, 'Workspace', c.workspaces, top(c.workspaces));
  unique(ctx, 'Pool', c.pools, top(c.pools));
  for (const pool of c.pools) {
    unique(ctx, `autoscale config (pool ${pool.name})`, pool.autoscale ?? [], (i) => ({ doc: pool, path: ['autoscale', i] }));
    unique(ctx, `server (pool ${pool.name})`, pool.servers ?? [], (i) => ({ doc: pool, path: ['servers', i] }));
    unique(ctx, `agent (pool ${pool.name})`, pool.agents ?? [], (i) => ({ doc: pool, path: ['agents', i] }));
    unique(ctx, `staging config (pool ${pool.name})`, pool.staging ?? [], (i) => ({ doc: pool, path: ['staging', i] }));
  }
  for (const settings of ctx.settingsDocuments) {
    unique(ctx, 'API key', settings.api_keys ?? [], (i) => ({ doc: settings, path: ['api_keys', i] }));
  }
};

export const singleSettings: Rule = (ctx) => {
  const [first, ...rest] = ctx.settingsDocuments;
  const src = first ? ctx.sourceOf(first) : undefined;
  for (const extra of rest) {
    ctx.report('error', 'multiple-settings', `only one Settings document is allowed${src ? ` (the first is in ${src.file})` : ''}`, {
      doc: extra,
      path: ['kind'],
    });
  }
};
