// Phase 1 of plan-vms: the VMs state knows, against what the VM provider lists.
// Drift (gone or terminated outside poolform, stopped, a changed address), an
// interrupted destroy to finish, or nothing. Registers a ServerPlan for each.
import { autoscaleKey } from '../config/model.ts';
import { observedVmAttributes } from './attributes.ts';
import { byAddress } from './addresses.ts';
import { vmAttributeView } from './attribute-views.ts';
import type { PlanContext, ServerPlan } from './plan-context.ts';
import type { ResourceChange } from './types.ts';
import { vmChange } from './vm-change.ts';
import { isStopped, vmPresence } from './vm-presence.ts';

export interface VmsInState {
  changes: ResourceChange[];
  /** Gone VMs per `pool/autoscale`, in address order: replaced by create decisions, else forgotten. */
  goneByAutoscale: Map<string, ServerPlan[]>;
}

export function planVmsInState(ctx: PlanContext): VmsInState {
  const { snapshot, observed, serversById, serverPlans, drift, unknownProvider } = ctx;
  const changes: ResourceChange[] = [];
  const goneByAutoscale = new Map<string, ServerPlan[]>();

  for (const r of snapshot.resources.filter((x) => x.type === 'vm').sort(byAddress)) {
    const parts = r.address.split('.');
    const attrs = vmAttributeView(r.attributes);
    const serverId = attrs.server_id ?? parts[3] ?? '';
    const pool = attrs.pool ?? parts[1] ?? '';
    const autoscale = attrs.autoscale ?? parts[2] ?? '';
    const provider = r.provider ?? '';
    const presence = vmPresence(observed, provider, serverId);
    const sp: ServerPlan = {
      serverId,
      pool,
      autoscale,
      hostname: attrs.hostname ?? serversById.get(serverId)?.hostname ?? serverId,
      address: r.address,
      provider,
      fate: 'keep',
      change: null,
      attrs: r.attributes,
      known: presence.kind !== 'unknown',
    };
    serverPlans.set(serverId, sp);
    const target = { address: r.address, serverId, provider, pool };

    if (presence.kind === 'unknown') {
      unknownProvider('vm', provider, null, 'its VMs are left as they are (no creates or destroys on it)');
      continue;
    }
    const gone = presence.kind === 'gone';
    if (r.status === 'deleting') {
      // Our own destroy was interrupted: finish it (not drift).
      sp.fate = 'delete';
      sp.change = vmChange(target, 'delete', {
        before: r.attributes,
        after: null,
        reason: gone ? 'finish an interrupted destroy (already gone at the provider)' : 'finish an interrupted destroy',
        observedGone: gone,
      });
      changes.push(sp.change);
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
      const known = attrs.ip;
      if (ip !== null && known !== null && ip !== known) {
        const after = observedVmAttributes(vm, r.attributes);
        drift.push({ address: r.address, type: 'vm', before: r.attributes, after, reason: `changed outside poolform: address ${known} → ${ip}` });
        sp.attrs = after;
        sp.change = vmChange(target, 'update', { before: r.attributes, after, reason: `record the VM's new address ${ip}` });
        changes.push(sp.change);
      }
    }
  }
  return { changes, goneByAutoscale };
}
