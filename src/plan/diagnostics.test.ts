import { describe, expect, it } from 'vitest';
import { addPlanDiagnostics, planDiagnosticLists } from './diagnostics.ts';
import type { PlanDiagnostic } from './diagnostics.ts';

const d = (code: PlanDiagnostic['code'], message: string, severity: PlanDiagnostic['severity'] = 'warning'): PlanDiagnostic => ({
  code,
  severity,
  address: null,
  message,
});

describe('plan diagnostics', () => {
  it('derive the saved string lists: every distinct message in order, errors for fatal_errors', () => {
    expect(
      planDiagnosticLists([d('provider-unknown', 'a'), d('dns-zone-missing', 'b', 'error'), d('provider-unknown', 'a'), d('target-unmatched', 'c')]),
    ).toEqual({ errors: ['a', 'b', 'c'], fatal_errors: ['b'] });
  });

  it('added after planning keep the string lists in step', () => {
    const plan: { errors: string[]; fatal_errors?: string[]; diagnostics?: PlanDiagnostic[] } = { errors: ['x'] };
    addPlanDiagnostics(plan, [d('secret-unresolved', 'y'), d('secret-unresolved', 'x')]);
    expect(plan.errors).toEqual(['x', 'y']);
    expect(plan.fatal_errors).toBeUndefined();
    expect(plan.diagnostics?.map((x) => x.code)).toEqual(['secret-unresolved', 'secret-unresolved']);
  });
});
