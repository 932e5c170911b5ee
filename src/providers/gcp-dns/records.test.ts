import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DnsRecord } from '../types.ts';
import { applyToView, indexRrsets, ownedRecords, ownerTxtValue, planDelete, planUpsert, type Rrset } from './records.ts';

const ZONE = 'desk.example.test';
const rec = (name: string, value: string, serverId: string): DnsRecord => ({ fqdn: `${name}.${ZONE}`, type: 'A', value, ttl: 60, server_id: serverId });

const arbName = fc.constantFrom('a', 'b', 'c');
const arbServer = fc.constantFrom('s1', 's2');
const arbIp = fc.constantFrom('10.0.0.1', '10.0.0.2');
/** Existing record sets at a few names: foreign A, owned A (+marker), foreign TXT, CNAME. */
const arbZone = fc.array(
  fc.record({
    name: arbName,
    kind: fc.constantFrom('foreignA', 'ownedA', 'spf', 'cname'),
    server: arbServer,
    ip: arbIp,
  }),
  { maxLength: 6 },
);

function zoneOf(entries: { name: string; kind: string; server: string; ip: string }[]): Rrset[] {
  const byKey = new Map<string, Rrset>();
  for (const e of entries) {
    const name = `${e.name}.${ZONE}.`;
    if (e.kind === 'foreignA' || e.kind === 'ownedA') byKey.set(`${name}|A`, { name, type: 'A', ttl: 60, rrdatas: [e.ip] });
    if (e.kind === 'ownedA') byKey.set(`${name}|TXT`, { name, type: 'TXT', ttl: 60, rrdatas: [ownerTxtValue(e.server)] });
    if (e.kind === 'spf') {
      const txt = byKey.get(`${name}|TXT`);
      byKey.set(`${name}|TXT`, { name, type: 'TXT', ttl: 60, rrdatas: [...(txt?.rrdatas ?? []).filter((v) => v !== '"v=spf1 -all"'), '"v=spf1 -all"'] });
    }
    if (e.kind === 'cname') byKey.set(`${name}|CNAME`, { name, type: 'CNAME', ttl: 60, rrdatas: ['elsewhere.example.'] });
  }
  return [...byKey.values()];
}

describe('Cloud DNS record planning', () => {
  it('an upsert either is refused or leaves exactly the wanted A record, owned, with other TXT values kept; foreign A records are never deleted', () => {
    fc.assert(
      fc.property(arbZone, arbName, arbServer, arbIp, (entries, name, server, ip) => {
        const view = indexRrsets(zoneOf(entries));
        const before = view.get(`${name}.${ZONE}.`);
        const foreignA = before?.a !== undefined && !(before.txt?.rrdatas ?? []).includes(ownerTxtValue(server));
        const spf = (before?.txt?.rrdatas ?? []).includes('"v=spf1 -all"');
        const change = planUpsert(view, rec(name, ip, server));
        if (change.refusal) {
          expect(foreignA || before?.others.has('CNAME')).toBe(true);
          expect(change.additions).toEqual([]);
          expect(change.deletions).toEqual([]);
          return;
        }
        expect(foreignA).toBe(false);
        applyToView(view, change);
        expect(ownedRecords(view).filter((r) => r.fqdn === `${name}.${ZONE}`)).toEqual([rec(name, ip, server)]);
        if (spf) expect(view.get(`${name}.${ZONE}.`)?.txt?.rrdatas).toContain('"v=spf1 -all"');
      }),
    );
  });

  it('a delete removes only a record owned by that server, keeping other TXT values', () => {
    fc.assert(
      fc.property(arbZone, arbName, arbServer, arbIp, (entries, name, server, ip) => {
        const view = indexRrsets(zoneOf(entries));
        const before = view.get(`${name}.${ZONE}.`);
        const owned = before?.a !== undefined && (before.txt?.rrdatas ?? []).includes(ownerTxtValue(server));
        const change = planDelete(view, rec(name, ip, server));
        if (!owned) {
          expect(change.deletions).toEqual([]);
          return;
        }
        applyToView(view, change);
        const after = view.get(`${name}.${ZONE}.`);
        expect(after?.a).toBeUndefined();
        expect((after?.txt?.rrdatas ?? []).some((v) => v.includes('poolform:server-id='))).toBe(false);
        if ((before?.txt?.rrdatas ?? []).includes('"v=spf1 -all"')) expect(after?.txt?.rrdatas).toEqual(['"v=spf1 -all"']);
      }),
    );
  });
});
