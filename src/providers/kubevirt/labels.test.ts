import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelValue, ownedBy, ownershipAnnotations, ownershipLabels, ownerSelector, vmName } from './labels.ts';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const req = { intent_id: 'intent-1', server_id: 'srv-1', hostname: 'h1', pool: 'p', autoscale: 'a', user_data: '' };

describe('kubevirt labels', () => {
  it('labelValue is always a valid label value, keeps valid values, and is deterministic', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const v = labelValue(s);
        expect(v.length).toBeLessThanOrEqual(63);
        expect(v).toMatch(LABEL_VALUE);
        expect(labelValue(s)).toBe(v);
        if (s.length <= 63 && LABEL_VALUE.test(s)) expect(v).toBe(s);
      }),
    );
  });

  it('vmName is a DNS label, deterministic and distinct per intent', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        expect(vmName(a)).toMatch(DNS_LABEL);
        expect(vmName(a)).toBe(vmName(a));
        if (a !== b) expect(vmName(a)).not.toBe(vmName(b));
      }),
    );
  });

  it('ownership: labels and annotations mark the object; config labels cannot override poolform.io/ keys', () => {
    const labels = ownershipLabels('kv', req, { team: 'vdi', 'poolform.io/provider': 'other' });
    expect(labels).toMatchObject({ team: 'vdi', 'poolform.io/provider': 'kv', 'poolform.io/managed': 'true', 'poolform.io/intent': 'intent-1' });
    const meta = { labels, annotations: ownershipAnnotations('kv', req) };
    expect(ownedBy(meta, 'kv')).toBe(true);
    expect(ownedBy(meta, 'other')).toBe(false);
    expect(ownedBy({ labels }, 'kv')).toBe(false);
    expect(ownerSelector('kv')).toBe('poolform.io/managed=true,poolform.io/provider=kv');
  });
});
