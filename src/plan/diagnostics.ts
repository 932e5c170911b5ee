// What the planner reports besides changes: typed diagnostics with a closed
// set of codes. `error` diagnostics are plan-time errors the admin must fix
// (plan exits 1, apply refuses: the plan's `fatal_errors`); `warning` ones say
// what parts of the plan could not be computed (the rest of `errors`).
//
// The saved-plan file and `--json` output keep their string lists (`errors`,
// `fatal_errors`): planDiagnosticLists derives them, so those formats are
// unchanged.

export type PlanDiagnosticCode =
  /** A DNS provider has no zone for a base_domain_name (configuration, not an outage). */
  | 'dns-zone-missing'
  /** A provider's listing failed: nothing that depends on it is created or destroyed. */
  | 'provider-unobserved'
  /** A provider state or an intent refers to is not configured or was not observed. */
  | 'provider-unknown'
  /** An AD computer record with the name belongs to another server. */
  | 'computer-name-taken'
  /** An unfinished create cannot be resolved without a refresh. */
  | 'intent-unresolved'
  /** A decision names an autoscale config the configuration does not have. */
  | 'autoscale-unknown'
  /** A create waits for a destroy (max_instances) that is not in this plan. */
  | 'create-waits-for-destroy'
  /** A --target matches nothing. */
  | 'target-unmatched'
  /** A secret reference does not resolve in this environment. */
  | 'secret-unresolved';

export type PlanDiagnosticSeverity = 'error' | 'warning';

export interface PlanDiagnostic {
  code: PlanDiagnosticCode;
  severity: PlanDiagnosticSeverity;
  /** The resource (or scope) it is about, when there is one. */
  address: string | null;
  /** For people; never a secret. */
  message: string;
}

/** The string lists of a plan: every distinct message (in order), and the error ones. */
export function planDiagnosticLists(diagnostics: readonly PlanDiagnostic[]): { errors: string[]; fatal_errors: string[] } {
  const errors: string[] = [];
  const fatal: string[] = [];
  const seen = new Set<string>();
  const seenFatal = new Set<string>();
  for (const d of diagnostics) {
    if (!seen.has(d.message)) {
      seen.add(d.message);
      errors.push(d.message);
    }
    if (d.severity === 'error' && !seenFatal.has(d.message)) {
      seenFatal.add(d.message);
      fatal.push(d.message);
    }
  }
  return { errors, fatal_errors: fatal };
}

/** Adds diagnostics to a built plan (e.g. unresolved secrets found after planning), keeping its string lists in step. */
export function addPlanDiagnostics(plan: { errors: string[]; fatal_errors?: string[]; diagnostics?: PlanDiagnostic[] }, more: readonly PlanDiagnostic[]): void {
  if (more.length === 0) return;
  const all = [...(plan.diagnostics ?? []), ...more];
  plan.diagnostics = all;
  for (const d of more) {
    if (!plan.errors.includes(d.message)) plan.errors.push(d.message);
    if (d.severity === 'error' && !(plan.fatal_errors ?? []).includes(d.message)) plan.fatal_errors = [...(plan.fatal_errors ?? []), d.message];
  }
}
