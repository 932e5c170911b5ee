import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base32, configPrefix, ownedBy, ownershipTags, readMarkers, TAG_READY, unbase32, vmName } from './markers.ts';

const PVE_TAG = /^[a-z0-9_][a-z0-9_+.-]*$/;

describe('proxmox markers', () => {
  it('base32 round-trips any text and fits the PVE tag alphabet', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
        const encoded = base32(text);
        expect(unbase32(encoded)).toBe(text);
        expect(`pf-s.${encoded}`).toMatch(PVE_TAG);
      }),
    );
  });

  it('the tags of a request are valid PVE tags and read back to the exact values', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ maxLength: 20 }),
        (intent, server, pool) => {
          const req = { intent_id: intent, server_id: server, pool, autoscale: 'Fleet A', hostname: 'kasm-1', user_data: '' };
          const tags = [...ownershipTags('pve', req, ['kasm']), TAG_READY, 'pf-ip.10.0.0.5'];
          for (const t of tags) expect(t).toMatch(PVE_TAG);
          expect(ownedBy(tags, 'pve')).toBe(true);
          expect(ownedBy(tags, 'other')).toBe(false);
          expect(readMarkers(tags)).toEqual({
            intentId: intent,
            serverId: server,
            pool,
            autoscale: 'Fleet A',
            hostname: 'kasm-1',
            ip: '10.0.0.5',
            ready: true,
          });
        },
      ),
    );
  });

  it('VM names are deterministic DNS labels carrying the config prefix, distinct per intent', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(vmName('pve', a)).toBe(vmName('pve', a));
        expect(vmName('pve', a)).toMatch(/^[a-z0-9-]{1,63}$/);
        expect(vmName('pve', a).startsWith(configPrefix('pve'))).toBe(true);
        if (a !== b) expect(vmName('pve', a)).not.toBe(vmName('pve', b));
      }),
    );
    expect(configPrefix('pve')).not.toBe(configPrefix('pve2'));
  });
});
