// Fixed servers (`server.<pool>.<name>`): registered, no infrastructure.
// Created, updated and deleted as the YAML changes; apply keeps a removed
// server that still has sessions (draining) until it is empty.
import { fixedAgentAttributes, fixedServerAttributes } from './attributes.ts';
import { displaySafe } from '../util/display-safe.ts';
import { fixedServerAddress, nameOf } from './addresses.ts';
import { fixedServerAttributeView } from './attribute-views.ts';
import { jsonEqual } from './json-attrs.ts';
import type { PlanContext } from './plan-context.ts';

export function planFixedServers(ctx: PlanContext): void {
  const { config, snapshot, resources, put } = ctx;
  // ctx.waiting collects what nothing can be done about yet (held fixed servers below).
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
          reason: `${server.what} ${server.name} added to pool ${pool.name}${pool.friendly_name ? ` (${JSON.stringify(displaySafe(pool.friendly_name))})` : ''}`,
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
    // Already draining with sessions on it: nothing can change until they end. Shown as held (not
    // as a change apply would skip every time), so `plan --detailed-exitcode` settles at 0.
    const record = snapshot.servers.find((s) => s.address === r.address);
    const busy = record ? snapshot.sessions.filter((s) => s.server_id === record.id && (s.status === 'running' || s.status === 'queued')).length : 0;
    if (record && record.status === 'draining' && busy > 0) {
      ctx.waiting.push(
        `held: ~ ${r.address} draining (no new sessions); destroyed once its ${busy} session${busy === 1 ? '' : 's'} end${busy === 1 ? 's' : ''} (removed from the configuration)`,
      );
      continue;
    }
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
      pool: fixedServerAttributeView(r.attributes).pool,
    });
  }
}
