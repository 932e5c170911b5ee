import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CATEGORY_PROVIDER,
  categoryValue,
  configPrefix,
  listFilter,
  ownedBy,
  ownershipCategories,
  ownershipDescription,
  readMarkers,
  vmName,
} from './markers.ts';

const req = (over: Partial<{ intent_id: string; server_id: string; hostname: string; pool: string; autoscale: string }> = {}) => ({
  intent_id: 'i-1',
  server_id: 's-1',
  hostname: 'kasm-1',
  pool: 'p',
  autoscale: 'a',
  user_data: '',
  ...over,
});

describe('nutanix markers', () => {
  it('the description round-trips every value, whatever the characters', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), fc.string(), fc.string(), (provider, intent_id, server_id, hostname, pool, autoscale) => {
        const m = readMarkers(ownershipDescription(provider, req({ intent_id, server_id, hostname, pool, autoscale })));
        expect(m).toEqual({ provider, intentId: intent_id, serverId: server_id, hostname, pool, autoscale });
      }),
    );
    expect(readMarkers('someone else')).toBeUndefined();
    expect(readMarkers('poolform:v1 {"provider":1}')).toBeUndefined();
    expect(readMarkers('poolform:v1 {not json')).toBeUndefined();
  });

  it('category values are the name when allowed, else a stable hash; ownership needs category and description to agree', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (name) => {
        const v = categoryValue(name);
        expect(v).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
        expect(categoryValue(name)).toBe(v);
      }),
    );
    expect(categoryValue('agents')).toBe('agents');
    const cats = ownershipCategories('ahv', req());
    const markers = readMarkers(ownershipDescription('ahv', req()));
    expect(ownedBy(cats, markers, 'ahv')).toBe(true);
    expect(ownedBy({ ...cats, [CATEGORY_PROVIDER]: 'other' }, markers, 'ahv')).toBe(false);
    expect(ownedBy(cats, markers, 'other')).toBe(false);
    expect(ownedBy(undefined, markers, 'ahv')).toBe(false);
  });

  it('names are deterministic per intent, carry the config prefix, and the filter matches only that prefix', () => {
    expect(vmName('ahv', 'i-1')).toBe(vmName('ahv', 'i-1'));
    expect(vmName('ahv', 'i-1')).not.toBe(vmName('ahv', 'i-2'));
    expect(vmName('ahv', 'i-1').startsWith(configPrefix('ahv'))).toBe(true);
    expect(vmName('ahv', 'i-1')).toMatch(/^pf-[0-9a-f]{8}-[0-9a-f]{16}$/);
    const re = new RegExp(`^${listFilter('ahv').replace(/^vm_name==/, '')}$`);
    expect(re.test(vmName('ahv', 'x'))).toBe(true);
    expect(re.test(vmName('other', 'x'))).toBe(false);
  });
});
