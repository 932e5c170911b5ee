import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceName, isPoolformName, requestIdFor } from './names.ts';
import { labelValue, ownershipFilter, ownedBy } from './labels.ts';

describe('GCP labels and names', () => {
  it('label values always follow GCP rules; values that fit are kept; distinct inputs stay distinct', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (a, b) => {
        const la = labelValue(a);
        expect(la).toMatch(/^[a-z0-9_-]{0,63}$/);
        if (/^[a-z0-9_-]{0,63}$/.test(a)) expect(la).toBe(a);
        if (a !== b) expect(la === labelValue(b)).toBe(false);
      }),
    );
  });

  it('instance names and request ids are deterministic, valid and differ per intent', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        expect(instanceName(a)).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
        expect(isPoolformName(instanceName(a))).toBe(true);
        expect(instanceName(a)).toBe(instanceName(a));
        expect(requestIdFor(a)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        if (a !== b) expect(instanceName(a)).not.toBe(instanceName(b));
      }),
    );
  });

  it('the ownership filter and check agree on the provider config name', () => {
    expect(ownershipFilter('GCE.East')).toBe(`(labels.poolform_managed = "true") AND (labels.poolform_provider = "${labelValue('GCE.East')}")`);
    expect(ownedBy({ poolform_managed: 'true', poolform_provider: labelValue('GCE.East') }, 'GCE.East')).toBe(true);
    expect(ownedBy({ poolform_managed: 'true', poolform_provider: 'other' }, 'GCE.East')).toBe(false);
    expect(ownedBy(undefined, 'x')).toBe(false);
  });
});
