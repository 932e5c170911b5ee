// Phase 4 of plan-vms: create decisions. A create happens only when
// everything the new server needs can be observed; a create in a config that
// lost a VM outside poolform replaces it at the same address; otherwise a new
// server id and hostname are drawn here (so a saved plan applies exactly
// those). A create that takes the max_instances slot of servers destroyed in
// this round waits for those destroys (`waits`, linked by plan-vms).
import type { Decision } from '../autoscale/types.ts';
import { autoscaleKey } from '../config/model.ts';
import { adTarget, dnsTarget, newVmAttributes } from './attributes.ts';
import { vmAddress } from './addresses.ts';
import { allocateServerName, hostnamePrefix } from './names.ts';
import type { PlanContext, ServerPlan } from './plan-context.ts';
import type { ResourceChange } from './types.ts';
import { vmChange } from './vm-change.ts';

export interface VmCreates {
  changes: ResourceChange[];
  /** Creates that must wait for these servers' changes (max_instances). */
  waits: Array<{ change: ResourceChange; on: ServerPlan[] }>;
}

/** `goneByAutoscale` is consumed: the gone VMs a create replaces are taken off it. */
export function planVmCreates(ctx: PlanContext, creates: readonly Decision[], goneByAutoscale: Map<string, ServerPlan[]>): VmCreates {
  const { args, config, autoscales, serverPlans, takenIds, takenHostnames, report, unknownProvider, scopeStatus, vmStatus } = ctx;
  const changes: ResourceChange[] = [];
  const waits: VmCreates['waits'] = [];
  const goneSet = new Set([...goneByAutoscale.values()].flat());
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
      report(
        'create-waits-for-destroy',
        `a create in ${pool.name}/${autoscale.name} waits for the destroy of ${missing.join(', ')} (max_instances), which is not in this plan`,
      );
      continue;
    }

    const providerCapacity = args.providerCapacity?.[autoscale.vm_provider];
    const gone = goneByAutoscale.get(autoscaleKey(pool.name, autoscale.name))?.shift();
    if (gone) {
      // Same address, same server id and hostname: a replacement for a VM lost outside poolform.
      const after = newVmAttributes({ config, pool, autoscale, serverId: gone.serverId, hostname: gone.hostname, providerCapacity });
      gone.fate = 'replace';
      gone.provider = autoscale.vm_provider;
      gone.change = vmChange({ ...gone, pool: pool.name }, 'replace', {
        before: gone.attrs,
        after,
        reason: `${d.reason}; replaces the VM lost outside poolform`,
        observedGone: true,
      });
      changes.push(gone.change);
      waits.push({ change: gone.change, on: waitFor });
      continue;
    }
    const { serverId, hostname } = allocateServerName(args.idGen, hostnamePrefix(pool.name, autoscale.hostname_prefix), takenIds, takenHostnames);
    const address = vmAddress(pool.name, autoscale.name, serverId);
    const change = vmChange({ address, serverId, provider: autoscale.vm_provider, pool: pool.name }, 'create', {
      before: null,
      after: newVmAttributes({ config, pool, autoscale, serverId, hostname, providerCapacity }),
      reason: d.reason,
    });
    changes.push(change);
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
  return { changes, waits };
}
