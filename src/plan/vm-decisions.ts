// Phase 3 of plan-vms: the decision core's drain and destroy decisions on
// servers the plan keeps; create decisions are collected for vm-creates.ts.
import type { Decision } from '../autoscale/types.ts';
import { autoscaleKey } from '../config/model.ts';
import type { PlanContext, ServerPlan } from './plan-context.ts';
import type { ResourceChange } from './types.ts';
import { vmChange } from './vm-change.ts';

const SERVER_STATUS_DRAINING = 'draining';

export interface VmDecisions {
  changes: ResourceChange[];
  /** Create decisions, in decision order. */
  creates: Decision[];
}

/** The delete of a VM in state (observedGone: it is already gone, only forget it). Sets the server's fate. */
export function deleteVm(ctx: PlanContext, sp: ServerPlan, reason: string, observedGone: boolean): ResourceChange {
  sp.fate = 'delete';
  sp.change = vmChange(sp, 'delete', { before: ctx.resources.get(sp.address)?.attributes ?? sp.attrs, after: null, reason, observedGone });
  return sp.change;
}

export function planVmDecisions(ctx: PlanContext, decisions: readonly Decision[], goneByAutoscale: ReadonlyMap<string, ServerPlan[]>): VmDecisions {
  const { serverPlans, serversById } = ctx;
  const changes: ResourceChange[] = [];
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
        sp.change = vmChange(sp, 'update', {
          before: { ...(sp.attrs ?? {}), status: server.status },
          after: { ...base, status: SERVER_STATUS_DRAINING },
          reason: d.reason,
        });
        changes.push(sp.change);
        break;
      }
      case 'destroy': {
        const sp = d.server_id ? serverPlans.get(d.server_id) : undefined;
        if (!sp || sp.fate !== 'keep') break; // leftovers and gone VMs are handled on their own
        if (goneByAutoscale.get(autoscaleKey(sp.pool, sp.autoscale))?.includes(sp)) break;
        if (!sp.known) break; // error already recorded
        changes.push(deleteVm(ctx, sp, d.reason, false));
        break;
      }
      default: {
        const never: never = d.action;
        throw new Error(`unknown decision ${String(never)}`);
      }
    }
  }
  return { changes, creates };
}
