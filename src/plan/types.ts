// A Plan is data: what apply will do and why. `action` drives apply; `reason`
// and `before`/`after` are for people. Renderers (text, JSON, markdown) live
// apart from the planner.
import type { Decision } from '../autoscale/types.ts';
import type { JsonObject } from '../model/json.ts';
import type { ResourceType } from '../model/resource.ts';
import type { PlanDiagnostic } from './diagnostics.ts';

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete';

/** Shown in place of a secret value everywhere a plan is printed or saved. */
export const SENSITIVE = '(sensitive)';

/** Shown where a value is only known once apply has run (e.g. a new VM's address). */
export const KNOWN_AFTER_APPLY = '(known after apply)';

/** What every resource change has, whatever its type. */
interface ChangeFields {
  address: string;
  /** Last segment of the address (server id, fqdn, computer name). */
  name: string;
  action: ChangeAction;
  reason: string;
  /** Addresses that must succeed first (AD record before its VM, VM before its DNS record). Deletes run in reverse. */
  depends_on: string[];
  /** Provider config name that carries it out (null for fixed servers). */
  provider: string | null;
  pool: string | null;
  /**
   * An unfinished create (intent) that this change resolves: an update with
   * `before: null` adopts what the provider made; apply removes the intent
   * once the resource is recorded.
   */
  intent_id?: string;
  /**
   * delete/replace: the provider no longer has the resource (drift or an
   * interrupted destroy), so the delete part only forgets it from state.
   */
  observed_gone?: boolean;
}

/**
 * A change of one resource type. `before`/`after` stay plain JSON (what state
 * and saved plans hold); read them through the typed views of
 * plan/attribute-views.ts (attributesOf, vmAttributeView, ...).
 */
export interface ChangeOf<T extends ResourceType> extends ChangeFields {
  type: T;
  /** Attributes before (null for create); never secret values. */
  before: JsonObject | null;
  /** Attributes after (null for delete); secret values are SENSITIVE. */
  after: JsonObject | null;
}

export type VmChange = ChangeOf<'vm'>;
export type DnsRecordChange = ChangeOf<'dns_record'>;
export type AdComputerChange = ChangeOf<'ad_computer'>;
export type ServerChange = ChangeOf<'server'>;

/** A planned change: one variant per resource type (narrow on `type`). */
export type ResourceChange = VmChange | DnsRecordChange | AdComputerChange | ServerChange;

/** State housekeeping apply does besides the changes (not infrastructure, not counted in the summary). */
export interface StateCleanup {
  /** intent: an unfinished create that left nothing behind (its leftover server record goes too); server: a server record with no resource. */
  kind: 'intent' | 'server';
  /** Intent id or server id. */
  id: string;
  address: string;
  reason: string;
}

export interface DriftEntry {
  address: string;
  type: ResourceType;
  /** What state said. */
  before: JsonObject | null;
  /** What the provider reports (null: gone). */
  after: JsonObject | null;
  reason: string;
}

export interface Plan {
  format_version: '1.0';
  lineage: string;
  serial: number;
  created_at: string;
  /** The instant decisions were made for (`--at`). */
  at: string;
  changes: ResourceChange[];
  drift: DriftEntry[];
  /** The decision core's output the plan came from (holds and drains included, for review). */
  decisions: Decision[];
  /** Changes held back by policy (apply_policy safe), listed for people. */
  held: ResourceChange[];
  /** Problems that prevent parts of the plan (e.g. a missing hosted zone), for people. */
  errors: string[];
  /**
   * The subset of `errors` that are plan-time errors the admin must fix (e.g. a
   * missing Route 53 hosted zone): the rest of the plan still renders, but
   * `plan` exits 1 and `apply` refuses. Absent: none.
   */
  fatal_errors?: string[];
  /** Things the plan waits for, for people (e.g. a just-launched VM the provider does not list yet). Absent: none. */
  waiting?: string[];
  /** State housekeeping after an interrupted apply (absent: none). */
  cleanup?: StateCleanup[];
  /** When pre-warming configs next act on a rising target, for people (plan/prewarm-notes.ts). Absent: none. */
  prewarm?: string[];
  /**
   * The typed form of `errors` / `fatal_errors` (plan/diagnostics.ts), for code that
   * decides on them. In memory only: saved plans and `--json` keep the string lists
   * (a plan read from a file has none). Absent: none.
   */
  diagnostics?: PlanDiagnostic[];
}

/** Terraform-like summary counts: a replace counts as one add and one destroy. */
export function summarize(plan: Pick<Plan, 'changes'>): { add: number; change: number; destroy: number } {
  let add = 0;
  let change = 0;
  let destroy = 0;
  for (const c of plan.changes) {
    switch (c.action) {
      case 'create':
        add++;
        break;
      case 'update':
        change++;
        break;
      case 'replace':
        add++;
        destroy++;
        break;
      case 'delete':
        destroy++;
        break;
      default: {
        const never: never = c.action;
        throw new Error(`unknown action ${String(never)}`);
      }
    }
  }
  return { add, change, destroy };
}
