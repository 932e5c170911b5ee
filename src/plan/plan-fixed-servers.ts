// Fixed servers (`server.<pool>.<name>`): registered, no infrastructure.
// Created, updated and deleted as the YAML changes; apply keeps a removed
// server that still has sessions (draining) until it is empty.
import { fixedAgentAttributes, fixedServerAttributes } from './attributes.ts';
import { fixedServerAddress, nameOf } from './addresses.ts';
import { jsonEqual, str } from './json-attrs.ts';
import type { PlanContext } from './plan-context.ts';

export function planFixedServers(ctx: PlanContext): void {
  const { config, snapshot, resources, put } = ctx;
  const desiredFixed = new Set<string>();
  for (const pool of config.pools) {
    // Fixed servers (server pools) and fixed docker agents (agents:) are registered alike.
    const entries = [
      ...(pool.servers ?? []).map((s) => ({ name: s.name, after: fixedServerAttributes(pool, s), what: 'fixed server' })),
      ...(pool.agents ?? []).map((a) => ({ name: a.name, after: fixedAgentAttributes(pool, a), what: 'fixed docker agent' })),
    ];
    for (const server of entries) {
      const address = fixedServerAddress(pool.name, server.name);
      desiredFixed.add(address);
      const after = server.after;
      const existing = resources.get(address);
      if (!existing) {
        put({
          address,
          type: 'server',
          name: server.name,
          action: 'create',
          before: null,
          after,
          reason: `${server.what} ${server.name} added to pool ${pool.name}`,
          depends_on: [],
          provider: null,
          pool: pool.name,
        });
      } else if (!jsonEqual(existing.attributes, after)) {
        const changed = Object.keys({ ...existing.attributes, ...after })
          .filter((k) => !jsonEqual(existing.attributes[k], after[k]))
          .sort();
        put({
          address,
          type: 'server',
          name: server.name,
          action: 'update',
          before: existing.attributes,
          after,
          reason: `configuration changed: ${changed.join(', ')}`,
          depends_on: [],
          provider: null,
          pool: pool.name,
        });
      }
    }
  }
  for (const r of snapshot.resources) {
    if (r.type !== 'server' || desiredFixed.has(r.address)) continue;
    put({
      address: r.address,
      type: 'server',
      name: nameOf(r.address, 'server'),
      action: 'delete',
      before: r.attributes,
      after: null,
      reason: 'removed from the configuration (kept until its sessions end)',
      depends_on: [],
      provider: null,
      pool: str(r.attributes, 'pool'),
    });
  }
}
