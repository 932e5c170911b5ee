// Autoscaled VMs (`vm.<pool>.<autoscale>.<server_id>`), in phases that each
// return their changes (all built by vm-change.ts):
//   1. vms-in-state.ts  what state says vs what the VM provider lists (drift,
//                       an interrupted destroy, a changed address);
//   2. vm-intents.ts    unfinished creates: adopt, wait while young, discard;
//   3. vm-decisions.ts  the decision core's drains and destroys;
//   4. vm-creates.ts    its creates (replacing VMs lost outside poolform);
//   5. here             gone VMs no create replaced are forgotten, and creates
//                       that wait for destroys (max_instances) depend on them.
// Changes are recorded in phase order; a later change of the same address
// (a drain after an address update) replaces the earlier one.
import type { Decision } from '../autoscale/types.ts';
import type { PlanContext } from './plan-context.ts';
import type { ResourceChange } from './types.ts';
import { planVmCreates } from './vm-creates.ts';
import { deleteVm, planVmDecisions } from './vm-decisions.ts';
import { planVmIntents } from './vm-intents.ts';
import { planVmsInState } from './vms-in-state.ts';

export function planVms(ctx: PlanContext): Decision[] {
  const record = (changes: readonly ResourceChange[]): void => {
    for (const c of changes) ctx.put(c);
  };
  const inState = planVmsInState(ctx);
  record(inState.changes);
  record(planVmIntents(ctx));

  const decisions: Decision[] = [...ctx.result.decisions];
  const decided = planVmDecisions(ctx, decisions, inState.goneByAutoscale);
  record(decided.changes);
  const created = planVmCreates(ctx, decided.creates, inState.goneByAutoscale);
  record(created.changes);

  // Gone VMs no create decision replaces: forget them (their records go too).
  const forgotten: ResourceChange[] = [];
  for (const list of inState.goneByAutoscale.values()) {
    for (const sp of list) forgotten.push(deleteVm(ctx, sp, 'the VM is gone (changed outside poolform): remove it from state', true));
  }
  record(forgotten);
  for (const w of created.waits) {
    for (const sp of w.on) if (sp.change && sp.change !== w.change) w.change.depends_on.push(sp.change.address);
  }
  return decisions;
}
