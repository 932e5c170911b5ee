// Autoscaled VMs (`vm.<pool>.<autoscale>.<server_id>`): what state says vs
// what the VM provider lists (drift: gone or terminated outside poolform;
// an interrupted destroy; a changed address), unfinished creates (intents:
// adopt what the provider made; wait while young and not listed yet; else
// discard), and the decision core's
// create / destroy / drain decisions. New server ids and hostnames are drawn
// here (so a saved plan applies exactly those); a create in an autoscale
// config that lost a VM outside poolform replaces it at the same address.
import type { Decision } from '../autoscale/types.ts';
import { autoscaleKey } from '../config/model.ts';
import type { JsonObject } from '../model/json.ts';
import type { IntentRecord } from '../model/resource.ts';
import type { ResourceChange } from './types.ts';
import { dnsTarget, adTarget, newVmAttributes, observedVmAttributes } from './attributes.ts';
import { byAddress, nameOf, vmAddress } from './addresses.ts';
import { str } from './json-attrs.ts';
import { allocateServerName, hostnamePrefix } from './names.ts';
import type { PlanContext, ServerPlan } from './plan-context.ts';
import { formatAge, intentAgeMs, intentGraceFor, withinIntentGrace } from './intent-grace.ts';
import { isStopped, vmPresence } from './vm-presence.ts';
import type { VmPresence } from './vm-presence.ts';

const SERVER_STATUS_DRAINING = 'draining';

export function planVms(ctx: PlanContext): Decision[] {
  const { args, config, snapshot, observed, result, resources, serversById, autoscales, takenIds, takenHostnames, serverPlans, cleanup, drift } = ctx;
  const { put, report, unknownProvider, scopeStatus, vmStatus } = ctx;
  // ---------------------------------------------------------------- VMs in state
  /** Gone VMs per `pool/autoscale`, in address order: replaced by create decisions, else forgotten. */
  const goneByAutoscale = new Map<string, ServerPlan[]>();

  const vmResources = snapshot.resources.filter((r) => r.type === 'vm').sort(byAddress);
  for (const r of vmResources) {
    const parts = r.address.split('.');
    const serverId = str(r.attributes, 'server_id') ?? parts[3] ?? '';
    const pool = str(r.attributes, 'pool') ?? parts[1] ?? '';
    const autoscale = str(r.attributes, 'autoscale') ?? parts[2] ?? '';
    const provider = r.provider ?? '';
    const presence: VmPresence = vmPresence(observed, provider, serverId);
    const sp: ServerPlan = {
      serverId,
      pool,
      autoscale,
      hostname: str(r.attributes, 'hostname') ?? serversById.get(serverId)?.hostname ?? serverId,
      address: r.address,
      provider,
      fate: 'keep',
      change: null,
      attrs: r.attributes,
      known: presence.kind !== 'unknown',
    };
    serverPlans.set(serverId, sp);

    if (presence.kind === 'unknown') {
      unknownProvider('vm', provider, null, 'its VMs are left as they are (no creates or destroys on it)');
      continue;
    }
    const gone = presence.kind === 'gone';
    if (r.status === 'deleting') {
      // Our own destroy was interrupted: finish it (not drift).
      sp.fate = 'delete';
      sp.change = put({
        address: r.address,
        type: 'vm',
        name: serverId,
        action: 'delete',
        before: r.attributes,
        after: null,
        reason: gone ? 'finish an interrupted destroy (already gone at the provider)' : 'finish an interrupted destroy',
        depends_on: [],
        provider,
        pool,
        ...(gone ? { observed_gone: true } : {}),
      });
      continue;
    }
    if (gone) {
      const vm = presence.vm;
      drift.push({
        address: r.address,
        type: 'vm',
        before: r.attributes,
        after: vm ? { ...r.attributes, state: vm.state } : null,
        reason: vm
          ? `changed outside poolform: VM ${vm.state} at VmProvider ${provider}`
          : `changed outside poolform: VM no longer exists at VmProvider ${provider}`,
      });
      const key = autoscaleKey(pool, autoscale);
      goneByAutoscale.set(key, [...(goneByAutoscale.get(key) ?? []), sp]);
      continue;
    }
    if (presence.kind === 'present') {
      const vm = presence.vm;
      if (isStopped(vm.state)) {
        drift.push({
          address: r.address,
          type: 'vm',
          before: r.attributes,
          after: { ...r.attributes, state: vm.state },
          reason: `changed outside poolform: VM ${vm.state} at VmProvider ${provider} (poolform does not start it; it is handled as a failed server)`,
        });
      }
      const ip = vm.private_ip ?? vm.public_ip;
      const known = str(r.attributes, 'ip');
      if (ip !== null && known !== null && ip !== known) {
        const after = observedVmAttributes(vm, r.attributes);
        drift.push({ address: r.address, type: 'vm', before: r.attributes, after, reason: `changed outside poolform: address ${known} → ${ip}` });
        sp.attrs = after;
        sp.change = put({
          address: r.address,
          type: 'vm',
          name: serverId,
          action: 'update',
          before: r.attributes,
          after,
          reason: `record the VM's new address ${ip}`,
          depends_on: [],
          provider,
          pool,
        });
      }
    }
  }

  /** Plans the delete of a VM in state (observedGone: it is already gone, only forget it). */
  const deleteVm = (sp: ServerPlan, reason: string, observedGone: boolean): void => {
    sp.fate = 'delete';
    sp.change = put({
      address: sp.address,
      type: 'vm',
      name: sp.serverId,
      action: 'delete',
      before: resources.get(sp.address)?.attributes ?? sp.attrs,
      after: null,
      reason,
      depends_on: [],
      provider: sp.provider,
      pool: sp.pool,
      ...(observedGone ? { observed_gone: true } : {}),
    });
  };

  // ---------------------------------------------------------------- unfinished creates (intents)
  const discardIntent = (intent: IntentRecord, reason: string): void => {
    cleanup.push({ kind: 'intent', id: intent.id, address: intent.address, reason });
  };
  for (const intent of [...snapshot.intents].sort((a, b) => (a.address === b.address ? (a.id < b.id ? -1 : 1) : byAddress(a, b)))) {
    if (resources.has(intent.address)) {
      discardIntent(intent, 'the resource was recorded; only the intent was left');
      continue;
    }
    if (intent.type !== 'vm') {
      // Records are reconciled from what the DNS provider / directory lists (adopted or removed below).
      if (observed === null) {
        report('intent-unresolved', `unfinished create of ${intent.address} (intent ${intent.id}): run plan with refresh to resolve it`, { address: intent.address });
      } else {
        discardIntent(intent, 'unfinished record create: what it made is adopted or removed from the provider listing');
      }
      continue;
    }
    const serverId = str(intent.payload, 'server_id') ?? nameOf(intent.address, 'vm');
    const provider = str(intent.payload, 'provider') ?? '';
    if (serverPlans.has(serverId)) {
      discardIntent(intent, 'superseded');
      continue;
    }
    const presence = vmPresence(observed, provider, serverId, intent.id);
    switch (presence.kind) {
      case 'unrefreshed':
        report('intent-unresolved', `unfinished create of ${intent.address} (intent ${intent.id}): run plan with refresh to resolve it`, { address: intent.address });
        serverPlans.set(serverId, unresolved(intent, serverId, provider));
        break;
      case 'unknown':
        unknownProvider('vm', provider, null, `unfinished create of ${intent.address} waits`);
        serverPlans.set(serverId, unresolved(intent, serverId, provider));
        break;
      case 'gone': {
        const age = intentAgeMs(intent, args.now);
        const grace = intentGraceFor(config, provider, args.intentGraceMs);
        if (withinIntentGrace(intent, args.now, grace)) {
          // The provider may list a just-launched VM late: keep the intent (and count its server).
          ctx.waiting.push(
            `waiting for ${intent.address} to appear at VmProvider ${provider} (created ${formatAge(age)} ago by an interrupted apply, intent ${intent.id}): ` +
              `adopted once listed, discarded if still missing after ${formatAge(grace)}`,
          );
          serverPlans.set(serverId, unresolved(intent, serverId, provider));
          break;
        }
        discardIntent(intent, 'interrupted before the provider created anything');
        break;
      }
      case 'present': {
        const vm = presence.vm;
        const ref = autoscales.get(autoscaleKey(vm.pool, vm.autoscale));
        const requireCheckin = ref ? (ref.autoscale.require_checkin ?? true) : true;
        const base = ref
          ? newVmAttributes({
              config,
              pool: ref.pool,
              autoscale: ref.autoscale,
              serverId,
              hostname: vm.hostname,
              providerCapacity: args.providerCapacity?.[provider],
            })
          : {};
        const after: JsonObject = {
          ...observedVmAttributes(vm, base),
          intent_id: intent.id,
          status: requireCheckin ? 'starting' : 'running',
        };
        delete after['startup_script'];
        const change = put({
          address: intent.address,
          type: 'vm',
          name: serverId,
          action: 'update',
          before: null,
          after,
          reason: `adopt: created by an interrupted apply (intent ${intent.id})`,
          depends_on: [],
          provider,
          pool: vm.pool,
          intent_id: intent.id,
        });
        serverPlans.set(serverId, {
          serverId,
          pool: vm.pool,
          autoscale: vm.autoscale,
          hostname: vm.hostname,
          address: intent.address,
          provider,
          fate: 'adopt',
          change,
          attrs: after,
          known: true,
        });
        break;
      }
      default: {
        const never: never = presence;
        throw new Error(`unknown presence ${String(never)}`);
      }
    }
  }

  // ---------------------------------------------------------------- decisions
  const decisions: Decision[] = [...result.decisions];
  const creates: Decision[] = [];
  for (const d of decisions) {
    switch (d.action) {
      case 'create':
        creates.push(d);
        break;
      case 'hold':
        break;
      case 'drain': {
        const sp = d.server_id ? serverPlans.get(d.server_id) : undefined;
        const server = d.server_id ? serversById.get(d.server_id) : undefined;
        if (!sp || !server || sp.fate !== 'keep' || server.status === SERVER_STATUS_DRAINING) break;
        const base = sp.change?.after ?? sp.attrs ?? {};
        sp.change = put({
          address: sp.address,
          type: 'vm',
          name: sp.serverId,
          action: 'update',
          before: { ...(sp.attrs ?? {}), status: server.status },
          after: { ...base, status: SERVER_STATUS_DRAINING },
          reason: d.reason,
          depends_on: [],
          provider: sp.provider,
          pool: sp.pool,
        });
        break;
      }
      case 'destroy': {
        const sp = d.server_id ? serverPlans.get(d.server_id) : undefined;
        if (!sp || sp.fate !== 'keep') break; // leftovers and gone VMs are handled on their own
        if (goneByAutoscale.get(autoscaleKey(sp.pool, sp.autoscale))?.includes(sp)) break;
        if (!sp.known) break; // error already recorded
        deleteVm(sp, d.reason, false);
        break;
      }
      default: {
        const never: never = d.action;
        throw new Error(`unknown decision ${String(never)}`);
      }
    }
  }

  const goneSet = new Set([...goneByAutoscale.values()].flat());
  const waits: Array<{ change: ResourceChange; on: ServerPlan[] }> = [];
  for (const d of creates) {
    const ref = autoscales.get(autoscaleKey(d.pool, d.autoscale));
    if (!ref) {
      report('autoscale-unknown', `decision to create in ${d.pool}/${d.autoscale}: no such autoscale config`);
      continue;
    }
    const { pool, autoscale } = ref;
    // Everything the new server needs must be observable, or nothing is created for it.
    const blockers: string[] = [];
    if (vmStatus(autoscale.vm_provider) === 'unknown') {
      unknownProvider('vm', autoscale.vm_provider, null, `creates in ${pool.name}/${autoscale.name} wait`);
      blockers.push('vm');
    }
    const dns = dnsTarget(autoscale);
    if (dns && scopeStatus('dns', dns.provider, dns.baseDomain) === 'unknown') {
      unknownProvider('dns', dns.provider, dns.baseDomain, `creates in ${pool.name}/${autoscale.name} wait`);
      blockers.push('dns');
    }
    const ad = adTarget(autoscale);
    if (ad && scopeStatus('directory', ad.ldapConfig, ad.containerDn) === 'unknown') {
      unknownProvider('directory', ad.ldapConfig, ad.containerDn, `creates in ${pool.name}/${autoscale.name} wait`);
      blockers.push('directory');
    }
    if (blockers.length > 0) continue;

    // max_instances: a create that takes the slot of servers destroyed in this round waits for those destroys.
    const waitFor: ServerPlan[] = [];
    const missing: string[] = [];
    for (const id of d.after_destroy ?? []) {
      const sp = serverPlans.get(id);
      if (sp && (sp.fate === 'delete' || goneSet.has(sp))) waitFor.push(sp);
      else missing.push(id);
    }
    if (missing.length > 0) {
      report('create-waits-for-destroy', `a create in ${pool.name}/${autoscale.name} waits for the destroy of ${missing.join(', ')} (max_instances), which is not in this plan`);
      continue;
    }

    const gone = goneByAutoscale.get(autoscaleKey(pool.name, autoscale.name))?.shift();
    if (gone) {
      // Same address, same server id and hostname: a replacement for a VM lost outside poolform.
      const after = newVmAttributes({
        config,
        pool,
        autoscale,
        serverId: gone.serverId,
        hostname: gone.hostname,
        providerCapacity: args.providerCapacity?.[autoscale.vm_provider],
      });
      gone.fate = 'replace';
      gone.provider = autoscale.vm_provider;
      gone.change = put({
        address: gone.address,
        type: 'vm',
        name: gone.serverId,
        action: 'replace',
        before: gone.attrs,
        after,
        reason: `${d.reason}; replaces the VM lost outside poolform`,
        depends_on: [],
        provider: autoscale.vm_provider,
        pool: pool.name,
        observed_gone: true,
      });
      waits.push({ change: gone.change, on: waitFor });
      continue;
    }
    const { serverId, hostname } = allocateServerName(
      args.idGen,
      hostnamePrefix(pool.name, autoscale.hostname_prefix),
      takenIds,
      takenHostnames,
    );
    const address = vmAddress(pool.name, autoscale.name, serverId);
    const change = put({
      address,
      type: 'vm',
      name: serverId,
      action: 'create',
      before: null,
      after: newVmAttributes({ config, pool, autoscale, serverId, hostname, providerCapacity: args.providerCapacity?.[autoscale.vm_provider] }),
      reason: d.reason,
      depends_on: [],
      provider: autoscale.vm_provider,
      pool: pool.name,
    });
    waits.push({ change, on: waitFor });
    serverPlans.set(serverId, {
      serverId,
      pool: pool.name,
      autoscale: autoscale.name,
      hostname,
      address,
      provider: autoscale.vm_provider,
      fate: 'create',
      change,
      attrs: null,
      known: true,
    });
  }

  // Gone VMs no create decision replaces: forget them (their records go too).
  for (const list of goneByAutoscale.values()) {
    for (const sp of list) deleteVm(sp, 'the VM is gone (changed outside poolform): remove it from state', true);
  }
  for (const w of waits) {
    for (const sp of w.on) if (sp.change && sp.change !== w.change) w.change.depends_on.push(sp.change.address);
  }

  return decisions;
}

function unresolved(intent: IntentRecord, serverId: string, provider: string): ServerPlan {
  const parts = intent.address.split('.');
  return {
    serverId,
    pool: str(intent.payload, 'pool') ?? parts[1] ?? '',
    autoscale: str(intent.payload, 'autoscale') ?? parts[2] ?? '',
    hostname: str(intent.payload, 'hostname') ?? serverId,
    address: intent.address,
    provider,
    fate: 'keep',
    change: null,
    attrs: null,
    known: false,
  };
}

