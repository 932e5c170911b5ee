// Apply steps for autoscaled VMs (`vm.<pool>.<autoscale>.<server_id>`).
//
// create: render the startup script → persist the intent (its id is the
//   provider's idempotency key) → server record `provisioning` → provider
//   create → server record `starting` (`running` without require_checkin;
//   unless the VM already checked in: its status is never downgraded) →
//   resource recorded → intent removed. A create the provider refused without
//   making anything (PoolformError.nothingCreated) drops its intent and server
//   record at once; a retryable refusal (capacity) feeds the create backoff.
//   A crash anywhere leaves either
//   nothing at the provider (the next plan discards the intent) or a VM the
//   next plan adopts through the intent: never a duplicate.
// delete: under the lock, re-check the server's sessions; busy → skipped.
//   Resource marked `deleting` (so an interrupted destroy is finished, not
//   taken for drift) → provider destroy → resource and server record removed.
// replace: the delete half (only forgetting, when the VM is already gone),
//   then the create half with the same server id.
// update: record `after` (drain status, a new address, or adoption of what
//   an interrupted create made).
import type { AutoscaleConfig, Pool } from '../config/model.ts';
import { agentCapacity } from '../plan/attributes.ts';
import { vmAttributeView } from '../plan/attribute-views.ts';
import type { ResourceChange, VmChange } from '../plan/types.ts';
import { KNOWN_AFTER_APPLY } from '../plan/types.ts';
import { assertUserDataFits } from '../providers/aws-ec2/launch-request.ts';
import { assertCustomDataFits } from '../providers/azure/custom-data.ts';
import type { VmRef } from '../providers/types.ts';
import type { JsonObject, ServerRecord, ServerStatus } from '../state/types.ts';
import { PoolformError, errorMessage, isPoolformError } from '../util/errors.ts';
import { SkipChange } from './executor.ts';
import { renderStartupScript } from './startup-script.ts';
import type { StepContext } from './step-context.ts';
import { required } from './step-context.ts';

/** Attributes state keeps for a VM (the plan's display-only fields are dropped). */
const VM_STATE_KEYS = [
  'server_id',
  'pool',
  'autoscale',
  'hostname',
  'zone',
  'fqdn',
  'ip',
  'private_ip',
  'public_ip',
  'intent_id',
  'launched_at',
  'provider_id',
];
const SERVER_STATUSES: readonly ServerStatus[] = ['provisioning', 'starting', 'running', 'failed', 'draining', 'destroying'];

function stateAttributes(attrs: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of VM_STATE_KEYS) {
    const v = attrs[k];
    if (v !== undefined && v !== KNOWN_AFTER_APPLY) out[k] = v;
  }
  return out;
}

function serverFromAfter(change: VmChange, afterJson: JsonObject, status: ServerStatus, now: string, existing?: ServerRecord): ServerRecord {
  const after = vmAttributeView(afterJson);
  const serverId = required(after.server_id, 'server_id', change.address);
  return {
    id: serverId,
    pool: required(after.pool, 'pool', change.address),
    autoscale: required(after.autoscale, 'autoscale', change.address),
    address: change.address,
    hostname: required(after.hostname, 'hostname', change.address),
    ip: existing?.ip ?? null,
    connection_type: after.connection_type ?? existing?.connection_type ?? null,
    connection_port: after.connection_port ?? existing?.connection_port ?? null,
    status,
    status_message: existing?.status_message ?? '',
    status_progress: existing?.status_progress ?? 0,
    max_sessions: after.max_sessions ?? existing?.max_sessions ?? 1,
    reusable: after.reusable ?? existing?.reusable ?? true,
    capacity: after.capacity ?? existing?.capacity ?? null,
    enabled: existing?.enabled ?? true,
    created_at: existing?.created_at ?? now,
    updated_at: now,
    checked_in_at: existing?.checked_in_at ?? null,
  };
}

async function endSessionsOf(ctx: StepContext, serverId: string): Promise<void> {
  const { store } = ctx.deps;
  const sessions = await store.listSessions({ server_id: serverId, status: ['running', 'queued'] });
  for (const s of sessions) await store.endSession(s.id, 'server_destroyed', ctx.nowIso(), 'failed');
}

/** Group key of a VM destroy: every destroy on one provider goes in one batched call. */
export function vmDestroyGroupKey(change: ResourceChange): string | null {
  return change.type === 'vm' && change.action === 'delete' ? `vm-destroy|${change.provider ?? ''}` : null;
}

/**
 * Destroys VMs of one provider: per VM, re-check its sessions under the lock
 * (busy → skipped) and mark it deleting; one batched provider call; per VM,
 * forget it. A VM already gone is only forgotten (its dead sessions end).
 * Returns each change's error (null: done).
 */
export async function destroyVmGroup(ctx: StepContext, changes: readonly ResourceChange[]): Promise<Map<string, unknown>> {
  const { store } = ctx.deps;
  const results = new Map<string, unknown>();
  const refs: Array<{ change: VmChange; ref: VmRef }> = [];
  const forget: Array<{ change: VmChange; serverId: string }> = [];
  for (const change of changes) {
    if (change.type !== 'vm') {
      results.set(change.address, new PoolformError('plan-invalid', `${change.address}: not a VM change in a VM destroy group`));
      continue;
    }
    const before = vmAttributeView(change.before);
    const serverId = before.server_id ?? change.name;
    try {
      if (change.observed_gone) {
        // Already gone at the provider: sessions on it are dead; forget it.
        await endSessionsOf(ctx, serverId);
        forget.push({ change, serverId });
        continue;
      }
      // Take the server out of placement first (allocations only pick `running` servers, in a
      // write transaction), then count: a session placed before this point is counted, none
      // can be placed after it. Busy → put the status back and skip.
      const server = await store.getServer(serverId);
      const progress = server?.status_progress ?? 0;
      if (server) await store.updateServerStatus(serverId, { status: 'destroying', message: 'destroying VM', progress, at: ctx.nowIso(), checkedIn: false });
      const sessions = await store.activeSessionCount(serverId);
      if (sessions > 0) {
        if (server) {
          await store.updateServerStatus(serverId, { status: server.status, message: server.status_message, progress, at: ctx.nowIso(), checkedIn: false });
        }
        throw new SkipChange(`server ${serverId} has ${sessions} active session${sessions === 1 ? '' : 's'}: not destroyed`);
      }
      const resource = await store.getResource(change.address);
      if (resource) await store.putResource({ ...resource, status: 'deleting', updated_at: ctx.nowIso() });
      refs.push({ change, ref: { provider_id: resource?.provider_id ?? before.provider_id ?? serverId, server_id: serverId } });
    } catch (error) {
      results.set(change.address, error);
    }
  }
  const provider = changes[0]?.provider ?? '';
  if (refs.length > 0) {
    try {
      const client = ctx.deps.registry.vm(provider);
      const items = await ctx.limiter(`vm:${provider}`, () => client.destroy(refs.map((r) => r.ref)));
      refs.forEach((r, index) => {
        const item = items[index]?.item.server_id === r.ref.server_id ? items[index] : items.find((x) => x.item.server_id === r.ref.server_id);
        if (!item) results.set(r.change.address, new PoolformError('provider-error', `${r.change.address}: the provider returned no result for it`));
        else if (item.error) results.set(r.change.address, item.error);
        else forget.push({ change: r.change, serverId: r.ref.server_id });
      });
    } catch (error) {
      // Per the provider contract the VMs are assumed to still exist; they stay `deleting` and the next plan retries.
      for (const r of refs) results.set(r.change.address, error);
    }
  }
  for (const f of forget) {
    try {
      await store.deleteResource(f.change.address);
      await store.deleteServer(f.serverId);
      results.set(f.change.address, null);
    } catch (error) {
      results.set(f.change.address, error);
    }
  }
  return results;
}

async function destroyVm(ctx: StepContext, change: VmChange): Promise<void> {
  const error = (await destroyVmGroup(ctx, [change])).get(change.address);
  if (error !== null && error !== undefined) throw error;
}

/** A create the provider refused without making anything: drop its intent and its provisioning server record. */
async function forgetRefusedCreate(ctx: StepContext, address: string, serverId: string, intentId: string): Promise<void> {
  const { store } = ctx.deps;
  await store.deleteIntent(intentId);
  if (await store.getResource(address)) return;
  const server = await store.getServer(serverId);
  if (server && server.address === address) await store.deleteServer(serverId);
}

/** What the create of a VM needs from its plan change, read once. */
interface VmCreateSpec {
  serverId: string;
  hostname: string;
  poolName: string;
  autoscaleName: string;
  provider: string;
  ref: { pool: Pool; autoscale: AutoscaleConfig };
  fqdn: string | null;
}

function createSpec(ctx: StepContext, change: VmChange): VmCreateSpec {
  if (!change.after) throw new PoolformError('plan-invalid', `${change.address}: a create without attributes`);
  const after = vmAttributeView(change.after);
  const poolName = required(after.pool, 'pool', change.address);
  const autoscaleName = required(after.autoscale, 'autoscale', change.address);
  const ref = ctx.autoscale(poolName, autoscaleName);
  if (!ref) {
    throw new PoolformError('config-changed', `${change.address}: autoscale config ${poolName}/${autoscaleName} is no longer in the configuration`);
  }
  return {
    serverId: required(after.server_id, 'server_id', change.address),
    hostname: required(after.hostname, 'hostname', change.address),
    poolName,
    autoscaleName,
    provider: change.provider ?? required(after.vm_provider, 'vm_provider', change.address),
    ref,
    fqdn: after.fqdn,
  };
}

/**
 * Renders the startup script (it holds secrets: it goes to the provider only) and checks it
 * fits the provider (EC2's 16 KiB user data limit). A missing secret or a too-large script
 * fails here, before anything is persisted or created.
 */
async function renderChecked(ctx: StepContext, spec: VmCreateSpec, adPassword: string | null): Promise<string> {
  const vmConfig = ctx.deps.registry.vmConfig(spec.provider);
  const userData = await renderStartupScript({
    config: ctx.deps.config,
    env: ctx.deps.env,
    apiAddress: ctx.deps.apiAddress,
    signingKey: await ctx.signingKey(),
    nowMs: ctx.deps.clock().getTime(),
    pool: spec.ref.pool,
    autoscale: spec.ref.autoscale,
    providerKind: ctx.deps.registry.vm(spec.provider).kind,
    template: vmConfig.startup_script,
    serverId: spec.serverId,
    hostname: spec.hostname,
    fqdn: spec.fqdn,
    adJoinCredential: adPassword,
  });
  if (vmConfig.type === 'aws') assertUserDataFits(vmConfig.name, userData);
  if (vmConfig.type === 'azure') assertCustomDataFits(vmConfig.name, userData);
  return userData;
}

/**
 * For the AD step, before it creates the computer record: the startup script of the VM
 * `change` creates, rendered with the join password the record will get, must render and
 * fit the provider, so that a script that can never launch leaves no AD record behind.
 */
export async function precheckVmCreate(ctx: StepContext, change: VmChange, adPassword: string): Promise<void> {
  await renderChecked(ctx, createSpec(ctx, change), adPassword);
}

async function createVm(ctx: StepContext, change: VmChange): Promise<void> {
  const { store, registry } = ctx.deps;
  const spec = createSpec(ctx, change);
  const after = change.after ?? {};
  const { serverId, hostname, poolName, autoscaleName, provider, ref } = spec;
  const client = registry.vm(provider);
  const adPassword = ctx.passwords.get(serverId) ?? null;
  if (ref.autoscale.ad_create_machine_record && adPassword === null) {
    ctx.log.warn({ address: change.address }, 'no fresh AD join password for this server: {ad_join_credential} is empty');
  }
  // Render first: a missing secret or a too-large script fails here, before anything is persisted or created.
  const userData = await renderChecked(ctx, spec, adPassword);

  const intent = await ctx.putIntent(change.address, 'vm', { server_id: serverId, hostname, pool: poolName, autoscale: autoscaleName, provider });
  let server = serverFromAfter(change, after, 'provisioning', ctx.nowIso());
  if (ref.pool.type === 'docker_agent' && server.capacity === null) {
    server = { ...server, capacity: agentCapacity(ref.pool, ref.autoscale, await client.capacity()) };
  }
  await store.putServer({ ...server, status_message: 'creating VM', status_progress: 0 });

  let vm: Awaited<ReturnType<typeof client.create>>;
  try {
    vm = await ctx.limiter(`vm:${provider}`, () =>
      client.create({ intent_id: intent.id, server_id: serverId, hostname, pool: poolName, autoscale: autoscaleName, user_data: userData }),
    );
  } catch (error) {
    const code = isPoolformError(error) ? error.code : 'provider-error';
    const retryable = isPoolformError(error) ? error.retryable : true;
    if (isPoolformError(error) && error.nothingCreated) {
      // The provider says it made nothing (AWS answered RunInstances with an error):
      // nothing can appear for this intent, so it and the provisioning record go now.
      await forgetRefusedCreate(ctx, change.address, serverId, intent.id).catch(() => undefined);
      if (retryable) {
        // Capacity, instance limits, throttling after retries: the autoscaler backs off.
        const providerCode = error.providerCode;
        ctx.createFailures.push({ pool: poolName, autoscale: autoscaleName, error: providerCode !== undefined ? `${providerCode} (${code})` : code });
      }
      throw error;
    }
    // Say on the intent how the create ended: a definitive refusal (not retryable) made
    // nothing, so the next plan discards it at once; otherwise (timeouts) a VM may still
    // appear and the next plan waits for it (plan/intent-grace.ts).
    await store.putIntent({ ...intent, payload: { ...intent.payload, create_error: code, create_retryable: retryable } }).catch(() => undefined);
    throw error;
  }
  ctx.passwords.delete(serverId);

  const requireCheckin = vmAttributeView(after).require_checkin ?? true;
  const now = ctx.nowIso();
  const ip = vm.private_ip ?? vm.public_ip;
  // Not a put of the copy read before the create: a VM that boots fast may already have
  // checked in (running, checked_in_at set) through the API; that must never be downgraded.
  const launched = await store.recordServerLaunch(serverId, {
    ip,
    status: requireCheckin ? 'starting' : 'running',
    message: requireCheckin ? 'VM created; waiting for its check-in' : 'VM created',
    progress: requireCheckin ? 25 : 100,
    at: now,
  });
  if (!launched) {
    // The record vanished meanwhile (e.g. `state rm`): write it again, as created.
    await store.putServer({
      ...server,
      ip,
      status: requireCheckin ? 'starting' : 'running',
      status_message: requireCheckin ? 'VM created; waiting for its check-in' : 'VM created',
      status_progress: requireCheckin ? 25 : 100,
      updated_at: now,
    });
  }
  await ctx.putResource({
    address: change.address,
    type: 'vm',
    provider,
    provider_id: vm.provider_id,
    attributes: stateAttributes({
      ...after,
      provider_id: vm.provider_id,
      ip,
      private_ip: vm.private_ip,
      public_ip: vm.public_ip,
      intent_id: intent.id,
      launched_at: vm.launched_at,
    }),
    status: 'created',
  });
  await store.deleteIntent(intent.id);
}

async function recordVm(ctx: StepContext, change: VmChange): Promise<void> {
  const { store } = ctx.deps;
  const after = change.after;
  if (!after) throw new PoolformError('plan-invalid', `${change.address}: an update without attributes`);
  const wantedAttrs = vmAttributeView(after);
  const serverId = wantedAttrs.server_id ?? change.name;
  const existing = await store.getResource(change.address);
  const attributes = stateAttributes({ ...(existing?.attributes ?? {}), ...after });
  await ctx.putResource({
    address: change.address,
    type: 'vm',
    provider: change.provider ?? existing?.provider ?? null,
    provider_id: wantedAttrs.provider_id ?? existing?.provider_id ?? serverId,
    attributes,
    status: 'created',
  });
  const server = await store.getServer(serverId);
  const wanted = wantedAttrs.status;
  const status = SERVER_STATUSES.find((s) => s === wanted);
  const now = ctx.nowIso();
  const ip = vmAttributeView(attributes).ip;
  if (server && status === 'draining') {
    await store.putServer({ ...server, status, status_message: change.reason, ip: ip ?? server.ip, updated_at: now });
  } else if (server) {
    // Adoption or a new address: like after a create, a check-in that already landed
    // (the VM booted while the apply that made it was dead) is never downgraded.
    const adopted = change.before === null && status !== undefined;
    await store.recordServerLaunch(serverId, {
      ip: ip ?? server.ip,
      status: status ?? server.status,
      message: adopted ? 'VM adopted after an interrupted apply' : server.status_message,
      progress: adopted ? (status === 'running' ? 100 : 25) : server.status_progress,
      at: now,
    });
  } else {
    await store.putServer({ ...serverFromAfter(change, after, status ?? 'starting', now), ip });
  }
  if (change.intent_id) await store.deleteIntent(change.intent_id);
}

export async function applyVmChange(ctx: StepContext, change: VmChange): Promise<void> {
  switch (change.action) {
    case 'create':
      return createVm(ctx, change);
    case 'delete':
      return destroyVm(ctx, change);
    case 'replace':
      await destroyVm(ctx, change);
      return createVm(ctx, change);
    case 'update':
      return recordVm(ctx, change);
    default: {
      const never: never = change.action;
      throw new Error(`unknown action ${String(never)}: ${errorMessage(never)}`);
    }
  }
}
