import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { namesFromVm, nameOfId, resourceNames, vmNameOf } from './names.ts';

describe('Azure resource names', () => {
  it('are deterministic per intent, distinct across intents, and within Azure limits', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ minLength: 1, maxLength: 200 }), (a, b) => {
        const na = resourceNames(a);
        expect(resourceNames(a)).toEqual(na);
        if (a !== b) expect(resourceNames(b).vm).not.toBe(na.vm);
        for (const name of Object.values(na)) {
          expect(name.length).toBeLessThanOrEqual(64);
          expect(name).toMatch(/^[a-z0-9-]+$/);
        }
      }),
    );
  });

  it('every name of a VM maps back to the VM; other names do not', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (intent) => {
        const names = resourceNames(intent);
        for (const name of Object.values(names)) expect(vmNameOf(name)).toBe(names.vm);
        expect(namesFromVm(names.vm)).toEqual(names);
      }),
    );
    expect(vmNameOf('my-vm')).toBeUndefined();
    expect(vmNameOf('pf-0123456789abcdef0123-data')).toBeUndefined();
    expect(nameOfId('/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/pf-x')).toBe('pf-x');
  });
});
