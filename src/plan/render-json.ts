// Renders a Plan as JSON shaped like `terraform show -json`, so jq habits
// and policy tools carry over:
//   { format_version, lineage, serial, resource_changes: [ { address, type,
//     name, change: { actions, before, after }, action_reason } ],
//     resource_drift: [...] }
// plus poolform's own fields (timestamp, at, held_changes, errors, fatal_errors
// (the subset of errors that make plan fail), waiting, decisions, cleanup). Values are redacted like the text output.
import type { JsonObject, JsonValue } from '../model/json.ts';
import { redactNullable } from './redact.ts';
import type { ChangeAction, DriftEntry, Plan, ResourceChange } from './types.ts';

export type TerraformAction = 'create' | 'delete' | 'update';

export function terraformActions(action: ChangeAction): TerraformAction[] {
  switch (action) {
    case 'create':
      return ['create'];
    case 'delete':
      return ['delete'];
    case 'update':
      return ['update'];
    case 'replace':
      return ['delete', 'create'];
    default: {
      const never: never = action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}

function changeJson(c: ResourceChange): JsonObject {
  return {
    address: c.address,
    type: c.type,
    name: c.name,
    provider_name: c.provider,
    pool: c.pool,
    change: { actions: terraformActions(c.action), before: redactNullable(c.before), after: redactNullable(c.after) },
    action_reason: c.reason,
    depends_on: [...c.depends_on],
    ...(c.observed_gone ? { observed_gone: true } : {}),
    ...(c.intent_id ? { intent_id: c.intent_id } : {}),
  };
}

function driftJson(d: DriftEntry): JsonObject {
  const name = d.address.slice(d.address.indexOf('.') + 1);
  return {
    address: d.address,
    type: d.type,
    name,
    change: { actions: d.after === null ? ['delete'] : ['update'], before: redactNullable(d.before), after: redactNullable(d.after) },
    action_reason: d.reason,
  };
}

export function planToJson(plan: Plan): JsonObject {
  return {
    format_version: '1.0',
    lineage: plan.lineage,
    serial: plan.serial,
    timestamp: plan.created_at,
    at: plan.at,
    resource_changes: plan.changes.map(changeJson),
    resource_drift: plan.drift.map(driftJson),
    held_changes: plan.held.map(changeJson),
    errors: [...plan.errors],
    fatal_errors: [...(plan.fatal_errors ?? [])],
    // The same problems with their stable codes (plan/diagnostics.ts), for tools that search by code.
    diagnostics: (plan.diagnostics ?? []).map((d): JsonValue => ({ code: d.code, severity: d.severity, address: d.address, message: d.message })),
    waiting: [...(plan.waiting ?? [])],
    decisions: plan.decisions.map((d) => {
      const out: JsonObject = { action: d.action, pool: d.pool, autoscale: d.autoscale, reason: d.reason };
      if (d.server_id !== undefined) out['server_id'] = d.server_id;
      return out;
    }),
    cleanup: (plan.cleanup ?? []).map((c): JsonValue => ({ kind: c.kind, id: c.id, address: c.address, reason: c.reason })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(planToJson(plan), null, 2)}\n`;
}
