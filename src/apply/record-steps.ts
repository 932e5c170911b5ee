// Apply steps for DNS records (`dns.<fqdn>`) and AD computer records
// (`ad_computer.<name>`).
//
// DNS create/update: the record points at the VM's address as recorded by the
// VM step (private or public per the DNS provider's `ip`), upserted in
// batches per (provider, base domain). A create persists an intent first.
// AD create: a fresh one-time password (memory only) → intent → directory
// create (idempotent by intent id) → resource recorded → intent removed; the
// password is handed to the VM step for `{ad_join_credential}`. An update of
// a recorded computer (a replacement VM) sets a fresh password on the same
// record through the same idempotent create. Deletes of records already gone
// only forget them.
import { autoscaleConfigs } from '../config/model.ts';
import { computerAttributes, dnsRecordAttributes, DEFAULT_DNS_TTL } from '../plan/attributes.ts';
import { num, str } from '../plan/json-attrs.ts';
import type { ResourceChange } from '../plan/types.ts';
import type { DnsRecord, ObservedComputer } from '../providers/types.ts';
import type { JsonObject } from '../state/types.ts';
import { PoolformError } from '../util/errors.ts';
import { SkipChange } from './executor.ts';
import type { StepContext } from './step-context.ts';
import { dnsBatchKey, required } from './step-context.ts';

function dnsRecordOf(attrs: JsonObject, fqdn: string): DnsRecord {
  return { fqdn, type: 'A', value: str(attrs, 'value') ?? '', ttl: num(attrs, 'ttl') ?? DEFAULT_DNS_TTL, server_id: str(attrs, 'server_id') ?? '' };
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
  const ip =
    (which === 'public' ? str(vm?.attributes, 'public_ip') : str(vm?.attributes, 'private_ip')) ?? str(vm?.attributes, 'ip') ?? server?.ip ?? null;
  if (!ip) throw new PoolformError('dns-no-address', `${address}: server ${serverId} has no address yet`, { retryable: true });
  return ip;
}

/** A record of a server that still has sessions stays (its server's destroy will be skipped too). */
async function assertServerIdle(ctx: StepContext, serverId: string | null): Promise<void> {
  if (!serverId) return;
  const sessions = await ctx.deps.store.activeSessionCount(serverId);
  if (sessions > 0) throw new SkipChange(`server ${serverId} has ${sessions} active session${sessions === 1 ? '' : 's'}: its record stays`);
}

async function deleteDns(ctx: StepContext, change: ResourceChange): Promise<void> {
  const before = change.before ?? {};
  const base = required(before, 'base_domain', change.address);
  await assertServerIdle(ctx, str(before, 'server_id'));
  if (!change.observed_gone) await ctx.dnsDelete.add(dnsBatchKey(change.provider ?? '', base), dnsRecordOf(before, change.name));
  await ctx.deps.store.deleteResource(change.address);
}

async function upsertDns(ctx: StepContext, change: ResourceChange): Promise<void> {
  const after = change.after;
  if (!after) throw new PoolformError('plan-invalid', `${change.address}: no attributes`);
  const provider = change.provider ?? '';
  const base = required(after, 'base_domain', change.address);
  const serverId = required(after, 'server_id', change.address);
  const value = await vmAddressFor(ctx, serverId, provider, change.address);
  const record: DnsRecord = { fqdn: change.name, type: 'A', value, ttl: num(after, 'ttl') ?? DEFAULT_DNS_TTL, server_id: serverId };
  const intent =
    change.action === 'update' ? null : await ctx.putIntent(change.address, 'dns_record', { provider, base_domain: base, fqdn: change.name, server_id: serverId });
  await ctx.dnsUpsert.add(dnsBatchKey(provider, base), record);
  await ctx.putResource({
    address: change.address,
    type: 'dns_record',
    provider,
    provider_id: change.name,
    attributes: dnsRecordAttributes(record, base),
    status: 'created',
  });
  if (intent) await ctx.deps.store.deleteIntent(intent.id);
}

export async function applyDnsChange(ctx: StepContext, change: ResourceChange): Promise<void> {
  switch (change.action) {
    case 'delete':
      return deleteDns(ctx, change);
    case 'replace':
      // An upsert replaces the record in place.
      return upsertDns(ctx, change);
    case 'create':
    case 'update':
      return upsertDns(ctx, change);
    default: {
      const never: never = change.action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
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

async function deleteComputer(ctx: StepContext, change: ResourceChange): Promise<void> {
  const before = change.before ?? {};
  await assertServerIdle(ctx, str(before, 'server_id'));
  if (!change.observed_gone) {
    const provider = change.provider ?? '';
    const computer: ObservedComputer = {
      name: str(before, 'name') ?? change.name,
      dn: required(before, 'dn', change.address),
      server_id: str(before, 'server_id'),
      intent_id: str(before, 'intent_id'),
      dns_host_name: str(before, 'dns_host_name'),
    };
    await ctx.deps.registry.directory(provider).delete(computer, { recursive: recursiveCleanup(ctx, provider, str(before, 'container_dn') ?? '') });
  }
  await ctx.deps.store.deleteResource(change.address);
}

/** Creates the record (or sets a fresh password on ours, same intent id) and hands the password to the VM step. */
async function createComputer(ctx: StepContext, change: ResourceChange, reuseIntentId: string | null): Promise<void> {
  const after = change.after;
  if (!after) throw new PoolformError('plan-invalid', `${change.address}: no attributes`);
  const provider = change.provider ?? '';
  const serverId = required(after, 'server_id', change.address);
  const containerDn = required(after, 'container_dn', change.address);
  const name = str(after, 'name') ?? change.name;
  const password = ctx.newPassword();
  const intent = reuseIntentId
    ? null
    : await ctx.putIntent(change.address, 'ad_computer', { provider, container_dn: containerDn, name, server_id: serverId });
  const intentId = reuseIntentId ?? intent?.id ?? '';
  const computer = await ctx.deps.registry.directory(provider).create({
    intent_id: intentId,
    server_id: serverId,
    name,
    container_dn: containerDn,
    dns_host_name: str(after, 'dns_host_name') ?? name,
    password,
  });
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

export async function applyComputerChange(ctx: StepContext, change: ResourceChange): Promise<void> {
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
          provider_id: str(after, 'dn'),
          attributes: after,
          status: 'created',
        });
        return;
      }
      return createComputer(ctx, change, str(change.after, 'intent_id') ?? str(change.before, 'intent_id'));
    }
    default: {
      const never: never = change.action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}
