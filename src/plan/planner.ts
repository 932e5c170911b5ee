// The planner: desired state (config + the decision core's result) vs state
// vs what providers report → a Plan. PURE: no I/O, no clock (`now` and `at`
// are arguments), randomness only through the injected `idGen`.
//
// Addresses:
//   server.<pool>.<name>               fixed servers (registered, no infrastructure)
//   vm.<pool>.<autoscale>.<server_id>  autoscaled VMs (new ids generated here, so a
//                                      saved plan applies exactly these)
//   dns.<fqdn>                         A records of VMs with register_dns (depend on the VM)
//   ad_computer.<name>                 AD computer records (the VM depends on them)
//
// `depends_on` always lists what must succeed first: for creates AD → VM →
// DNS; for deletes the reverse (DNS → VM → AD), written out explicitly.
//
// Observations: `observed === null` (no refresh) trusts state. With a
// refresh, a provider whose listing is missing is UNKNOWN: nothing that
// depends on it is created or destroyed, and plan.errors says why.
import { byAddress, matchesTarget } from './addresses.ts';
import type { BuildPlanArgs } from './plan-context.ts';
import { createPlanContext } from './plan-context.ts';
import { planFixedServers } from './plan-fixed-servers.ts';
import { planRecords } from './plan-records.ts';
import { planVms } from './plan-vms.ts';
import type { Plan } from './types.ts';

export type { BuildPlanArgs } from './plan-context.ts';
export { adAddress, dnsAddress, fixedServerAddress, fixedServerId, matchesTarget, vmAddress } from './addresses.ts';

export function buildPlan(args: BuildPlanArgs): Plan {
  const ctx = createPlanContext(args);
  const { snapshot, changes, drift, errors, fatalErrors, waiting, cleanup, resources, intentsByAddress } = ctx;
  const at = args.at ?? args.now;

  planFixedServers(ctx);
  const decisions = planVms(ctx);
  planRecords(ctx);

  // ---------------------------------------------------------------- leftover server records
  const discarded = new Set(cleanup.filter((c) => c.kind === 'intent').map((c) => c.address));
  const discardedIds = new Set(cleanup.filter((c) => c.kind === 'intent').map((c) => c.id));
  for (const s of [...snapshot.servers].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (resources.has(s.address) || changes.has(s.address)) continue;
    const pending = intentsByAddress.get(s.address)?.some((i) => !discardedIds.has(i.id));
    if (pending) continue;
    if (discarded.has(s.address)) continue; // removed with its intent
    cleanup.push({ kind: 'server', id: s.id, address: s.address, reason: 'server record without a resource (left by an interrupted apply)' });
  }

  // ---------------------------------------------------------------- targets, order
  let list = [...changes.values()];
  let driftList = drift;
  let cleanupList = cleanup;
  if (args.targets && args.targets.length > 0) {
    const targets = args.targets;
    const selected = new Set<string>();
    const visit = (address: string): void => {
      if (selected.has(address)) return;
      const c = changes.get(address);
      if (!c) return;
      selected.add(address);
      for (const dep of c.depends_on) visit(dep);
    };
    for (const c of list) if (targets.some((t) => matchesTarget(c.address, t))) visit(c.address);
    // Like Terraform, say when a target matches nothing (a typo, or a new VM's id from an earlier plan: ids are drawn anew).
    for (const t of targets) {
      const known = list.some((c) => matchesTarget(c.address, t)) || snapshot.resources.some((r) => matchesTarget(r.address, t));
      if (!known) ctx.report('target-unmatched', `--target ${t} matches no resource in state and no change in this plan`);
    }
    list = list.filter((c) => selected.has(c.address));
    driftList = drift.filter((d) => targets.some((t) => matchesTarget(d.address, t)) || selected.has(d.address));
    cleanupList = cleanup.filter((c) => targets.some((t) => matchesTarget(c.address, t)));
  }
  const inPlan = new Set(list.map((c) => c.address));
  for (const c of list) c.depends_on = [...new Set(c.depends_on)].filter((d) => inPlan.has(d)).sort();
  list.sort(byAddress);
  driftList = [...driftList].sort(byAddress);

  const plan: Plan = {
    format_version: '1.0',
    lineage: snapshot.lineage,
    serial: snapshot.serial,
    created_at: args.now,
    at,
    changes: list,
    drift: driftList,
    decisions,
    held: [],
    errors,
  };
  if (cleanupList.length > 0) plan.cleanup = cleanupList;
  if (fatalErrors.length > 0) plan.fatal_errors = [...fatalErrors];
  if (ctx.diagnostics.length > 0) plan.diagnostics = [...ctx.diagnostics];
  if (waiting.length > 0) plan.waiting = [...waiting];
  return plan;
}
