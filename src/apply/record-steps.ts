// Apply steps for DNS records (`dns.<fqdn>`) and AD computer records
// (`ad_computer.<name>`).
//
// DNS: every upsert (create/update) of one zone goes in one batched call once
// the VMs it needs exist, every delete of one zone in another; a record points
// at the VM's address as the VM step recorded it (private or public per the
// DNS provider's `ip`). A create persists an intent first. A record whose
// server still has sessions is not deleted.
// AD: a fresh one-time password (memory only) → intent → directory create
// (idempotent by intent id) → resource recorded → intent removed; the password
// is handed to the VM step for `{ad_join_credential}`. An update of a recorded
// computer (a replacement VM) sets a fresh password on the same record through
// the same idempotent create, with the record's own intent id. Deletes of
// records already gone only forget them.
import { autoscaleConfigs } from '../config/model.ts';
import { computerAttributes, dnsRecordAttributes, DEFAULT_DNS_TTL } from '../plan/attributes.ts';
import { adComputerAttributeView, dnsRecordAttributeView, vmAttributeView } from '../plan/attribute-views.ts';
import type { AdComputerChange, DnsRecordChange, ResourceChange } from '../plan/types.ts';
import type { DnsRecord, ObservedComputer } from '../providers/types.ts';
import type { JsonObject } from '../state/types.ts';
import { PoolformError } from '../util/errors.ts';
import { SkipChange } from './executor.ts';
import type { StepContext } from './step-context.ts';
import { required } from './step-context.ts';
import { precheckVmCreate } from './vm-step.ts';

function dnsRecordOf(attrs: JsonObject | null, fqdn: string): DnsRecord {
  const a = dnsRecordAttributeView(attrs);
  return { fqdn, type: 'A', value: a.value ?? '', ttl: a.ttl ?? DEFAULT_DNS_TTL, server_id: a.server_id ?? '' };
}

/** The VM's address for a DNS record, per the DNS provider's `ip` setting. */
async function vmAddressFor(ctx: StepContext, serverId: string, provider: string, address: string): Promise<string> {
  const { store, registry } = ctx.deps;
  const server = await store.getServer(serverId);
  const vm = server ? await store.getResource(server.address) : undefined;
  let which: 'private' | 'public' = 'private';
  try {
    which = registry.dnsConfig(provider).ip ?? 'private';
  } catch {
    // Provider config removed: keep the default.
  }
  const attrs = vmAttributeView(vm?.attributes);
  const ip = (which === 'public' ? attrs.public_ip : attrs.private_ip) ?? attrs.ip ?? server?.ip ?? null;
  if (!ip) throw new PoolformError('dns-no-address', `${address}: server ${serverId} has no address yet`, { retryable: true });
  return ip;
}

/** A record of a server that still has sessions stays (its server's destroy will be skipped too). */
async function assertServerIdle(ctx: StepContext, serverId: string | null): Promise<void> {
  if (!serverId) return;
  const sessions = await ctx.deps.store.activeSessionCount(serverId);
  if (sessions > 0) throw new SkipChange(`server ${serverId} has ${sessions} active session${sessions === 1 ? '' : 's'}: its record stays`);
}

/**
 * Group key of a DNS change: every upsert (create/update/replace) of one zone
 * goes in one batched call, and every delete of one zone in another.
 */
export function dnsGroupKey(change: ResourceChange): string | null {
  if (change.type !== 'dns_record') return null;
  const isDelete = change.action === 'delete';
  const base = dnsRecordAttributeView(isDelete ? change.before : change.after).base_domain ?? '';
  return `${isDelete ? 'dns-delete' : 'dns-upsert'}|${change.provider ?? ''}|${base}`;
}

interface PreparedRecord {
  change: DnsRecordChange;
  record: DnsRecord;
  /** Upsert creates: the intent persisted before the call. */
  intentId: string | null;
  /** Deletes of records already gone: no provider call. */
  call: boolean;
}

/**
 * One zone's DNS changes of one kind (see dnsGroupKey): per record, check and
 * persist an intent (creates); one batched provider call; per record, record
 * the result. Returns each change's error (null: done).
 */
export async function applyDnsGroup(ctx: StepContext, changes: readonly ResourceChange[]): Promise<Map<string, unknown>> {
  const results = new Map<string, unknown>();
  const first = changes[0];
  if (!first) return results;
  const provider = first.provider ?? '';
  const isDelete = first.action === 'delete';
  const base = required(dnsRecordAttributeView(isDelete ? first.before : first.after).base_domain, 'base_domain', first.address);

  const prepared: PreparedRecord[] = [];
  for (const change of changes) {
    try {
      if (change.type !== 'dns_record') throw new PoolformError('plan-invalid', `${change.address}: not a DNS change in a DNS group`);
      if (isDelete) {
        await assertServerIdle(ctx, dnsRecordAttributeView(change.before).server_id);
        prepared.push({ change, record: dnsRecordOf(change.before, change.name), intentId: null, call: !change.observed_gone });
      } else {
        if (!change.after) throw new PoolformError('plan-invalid', `${change.address}: no attributes`);
        const after = dnsRecordAttributeView(change.after);
        const serverId = required(after.server_id, 'server_id', change.address);
        const value = await vmAddressFor(ctx, serverId, provider, change.address);
        const record: DnsRecord = { fqdn: change.name, type: 'A', value, ttl: after.ttl ?? DEFAULT_DNS_TTL, server_id: serverId };
        const intent =
          change.action === 'update'
            ? null
            : await ctx.putIntent(change.address, 'dns_record', { provider, base_domain: base, fqdn: change.name, server_id: serverId });
        prepared.push({ change, record, intentId: intent?.id ?? null, call: true });
      }
    } catch (error) {
      results.set(change.address, error);
    }
  }

  const calls = prepared.filter((p) => p.call);
  if (calls.length > 0) {
    const client = ctx.deps.registry.dns(provider);
    const records = calls.map((p) => p.record);
    try {
      const items = await ctx.limiter(`dns:${provider}`, () => (isDelete ? client.delete(base, records) : client.upsert(base, records)));
      calls.forEach((p, index) => {
        const item = items[index]?.item.fqdn === p.record.fqdn ? items[index] : items.find((x) => x.item.fqdn === p.record.fqdn);
        if (!item) results.set(p.change.address, new PoolformError('provider-error', `${p.change.address}: the DNS provider returned no result for it`));
        else if (item.error) results.set(p.change.address, item.error);
      });
    } catch (error) {
      for (const p of calls) results.set(p.change.address, error);
    }
  }

  for (const p of prepared) {
    if (results.has(p.change.address)) continue;
    try {
      if (isDelete) {
        await ctx.deps.store.deleteResource(p.change.address);
      } else {
        await ctx.putResource({
          address: p.change.address,
          type: 'dns_record',
          provider,
          provider_id: p.record.fqdn,
          attributes: dnsRecordAttributes(p.record, base),
          status: 'created',
        });
        if (p.intentId) await ctx.deps.store.deleteIntent(p.intentId);
      }
      results.set(p.change.address, null);
    } catch (error) {
      results.set(p.change.address, error);
    }
  }
  return results;
}

/** A single DNS change (outside a group): the same path with a group of one. */
export async function applyDnsChange(ctx: StepContext, change: DnsRecordChange): Promise<void> {
  const error = (await applyDnsGroup(ctx, [change])).get(change.address);
  if (error !== null && error !== undefined) throw error;
}

function recursiveCleanup(ctx: StepContext, ldapConfig: string, containerDn: string): boolean {
  const norm = (dn: string): string => dn.replace(/\s/g, '').toLowerCase();
  return autoscaleConfigs(ctx.deps.config).some(
    ({ autoscale }) =>
      autoscale.ldap_config === ldapConfig &&
      autoscale.ad_computer_container_dn !== undefined &&
      norm(autoscale.ad_computer_container_dn) === norm(containerDn) &&
      autoscale.ad_recursive_cleanup === true,
  );
}

async function deleteComputer(ctx: StepContext, change: AdComputerChange): Promise<void> {
  const before = adComputerAttributeView(change.before);
  await assertServerIdle(ctx, before.server_id);
  if (!change.observed_gone) {
    const provider = change.provider ?? '';
    const computer: ObservedComputer = {
      name: before.name ?? change.name,
      dn: required(before.dn, 'dn', change.address),
      server_id: before.server_id,
      intent_id: before.intent_id,
      dns_host_name: before.dns_host_name,
    };
    const recursive = recursiveCleanup(ctx, provider, before.container_dn ?? '');
    await ctx.limiter(`ldap:${provider}`, () => ctx.deps.registry.directory(provider).delete(computer, { recursive }));
  }
  await ctx.deps.store.deleteResource(change.address);
}

/** Creates the record (or sets a fresh password on ours, same intent id) and hands the password to the VM step. */
async function createComputer(ctx: StepContext, change: AdComputerChange, reuseIntentId: string | null): Promise<void> {
  if (!change.after) throw new PoolformError('plan-invalid', `${change.address}: no attributes`);
  const after = adComputerAttributeView(change.after);
  const provider = change.provider ?? '';
  const serverId = required(after.server_id, 'server_id', change.address);
  const containerDn = required(after.container_dn, 'container_dn', change.address);
  const name = after.name ?? change.name;
  const password = ctx.newPassword();
  // The VM's startup script (with this join password) must render and fit its provider
  // (EC2 user data limit) before the record exists: a VM that can never launch must not
  // leave an AD record behind.
  const vmCreate = ctx.vmCreates.get(serverId);
  if (vmCreate) await precheckVmCreate(ctx, vmCreate, password);
  const intent = reuseIntentId ? null : await ctx.putIntent(change.address, 'ad_computer', { provider, container_dn: containerDn, name, server_id: serverId });
  const intentId = reuseIntentId ?? intent?.id ?? '';
  const computer = await ctx.limiter(`ldap:${provider}`, () =>
    ctx.deps.registry.directory(provider).create({
      intent_id: intentId,
      server_id: serverId,
      name,
      container_dn: containerDn,
      dns_host_name: after.dns_host_name ?? name,
      password,
    }),
  );
  ctx.passwords.set(serverId, password);
  await ctx.putResource({
    address: change.address,
    type: 'ad_computer',
    provider,
    provider_id: computer.dn,
    attributes: { ...computerAttributes(computer, containerDn), intent_id: computer.intent_id ?? intentId },
    status: 'created',
  });
  if (intent) await ctx.deps.store.deleteIntent(intent.id);
}

export async function applyComputerChange(ctx: StepContext, change: AdComputerChange): Promise<void> {
  switch (change.action) {
    case 'create':
      return createComputer(ctx, change, null);
    case 'delete':
      return deleteComputer(ctx, change);
    case 'replace':
      await deleteComputer(ctx, change);
      return createComputer(ctx, change, null);
    case 'update': {
      if (change.before === null) {
        // Adopt what an interrupted apply left in the directory.
        const after = change.after ?? {};
        await ctx.putResource({
          address: change.address,
          type: 'ad_computer',
          provider: change.provider,
          provider_id: adComputerAttributeView(after).dn,
          attributes: after,
          status: 'created',
        });
        return;
      }
      return createComputer(ctx, change, adComputerAttributeView(change.after).intent_id ?? adComputerAttributeView(change.before).intent_id);
    }
    default: {
      const never: never = change.action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}
