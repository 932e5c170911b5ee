import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeField, encodeField, ownerMarker, parseVmName, vmName } from './names.ts';

const field = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' });

describe('vsphere VM names', () => {
  it('round-trip any identity; never parse under another provider config', () => {
    fc.assert(
      fc.property(
        field,
        field,
        field,
        field,
        fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        fc.stringMatching(/^[a-z0-9-]{1,20}$/),
        (hostname, pool, autoscale, serverId, a, b) => {
          const id = { hostname, pool, autoscale, server_id: serverId };
          const name = vmName(a, id);
          expect(parseVmName(a, name)).toEqual(id);
          if (ownerMarker(a) !== ownerMarker(b)) expect(parseVmName(b, name)).toBeUndefined();
        },
      ),
    );
  });

  it('encoded fields never contain the separator and decode back', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (value) => {
        const encoded = encodeField(value);
        expect(encoded.includes('_')).toBe(false);
        if (value !== '') expect(decodeField(encoded)).toBe(value);
      }),
    );
  });

  it("names of hand-made VMs are not poolform's", () => {
    for (const name of ['web-01', 'a_b_c_d_e', `h_${ownerMarker('vc')}_p_a`, `h_${ownerMarker('vc')}_p_a_`, `h_${ownerMarker('vc')}_p!_a_s`]) {
      expect(parseVmName('vc', name)).toBeUndefined();
    }
  });
});
