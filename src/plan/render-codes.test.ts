// Issue 12 defect 9: error codes are printed with every error: plan text shows
// `Error [code]: ...`, plan JSON carries `diagnostics` with their codes.
import { describe, expect, it } from 'vitest';
import { renderPlanJson } from './render-json.ts';
import { renderPlanText } from './render-text.ts';
import type { Plan } from './types.ts';

const message = 'DnsProvider r53: no Route 53 hosted zone found for base_domain_name corp.example.net';
const plan: Plan = {
  format_version: '1.0',
  lineage: 'l',
  serial: 1,
  created_at: '2026-01-05T12:00:00.000Z',
  at: '2026-01-05T12:00:00.000Z',
  changes: [],
  drift: [],
  decisions: [],
  held: [],
  errors: [message],
  fatal_errors: [message],
  diagnostics: [{ code: 'dns-zone-missing', severity: 'error', address: null, message }],
};

describe('error codes in plan output', () => {
  it('text: Error [code]: message', () => {
    expect(renderPlanText(plan)).toContain(`Error [dns-zone-missing]: ${message}`);
  });
  it('JSON: diagnostics with code, severity and message', () => {
    const doc = JSON.parse(renderPlanJson(plan)) as { diagnostics: unknown[] };
    expect(doc.diagnostics).toEqual([{ code: 'dns-zone-missing', severity: 'error', address: null, message }]);
  });
});
