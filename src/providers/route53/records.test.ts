import type { Change } from '@aws-sdk/client-route-53';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DnsRecord } from '../types.ts';
import {
  changeWeight,
  indexRecordSets,
  MAX_CHANGES,
  MAX_RESOURCE_RECORDS,
  MAX_VALUE_CHARS,
  normalizeName,
  ownedRecords,
  ownerTxtValue,
  packBatches,
  parseOwnerTxt,
  planDelete,
  planUpsert,
} from './records.ts';
import { propertyRuns } from '../../testing/property-runs.ts';

const rec = (over: Partial<DnsRecord> = {}): DnsRecord => ({
  fqdn: 'pf-1.agents.example.com',
  type: 'A',
  value: '10.0.0.1',
  ttl: 60,
  server_id: 'srv-1',
  ...over,
});

describe('ownership marker', () => {
  it('round-trips server ids and ignores other TXT values', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/), (id) => {
        expect(parseOwnerTxt(ownerTxtValue(id))).toBe(id);
      }),
    );
    expect(parseOwnerTxt('"v=spf1 -all"')).toBeUndefined();
    expect(parseOwnerTxt('"poolform:server-id="')).toBeUndefined();
  });

  it('normalizes Route 53 names', () => {
    expect(normalizeName('\\052.Agents.Example.com.')).toBe('*.agents.example.com');
  });
});

describe('planning against a zone listing', () => {
  const view = indexRecordSets([
    { Name: 'pf-1.agents.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.0.1' }] },
    { Name: 'pf-1.agents.example.com.', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: ownerTxtValue('srv-1') }, { Value: '"keep-me"' }] },
    { Name: 'hand.agents.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.1' }] },
    { Name: 'alias.agents.example.com.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'x.example.com' }] },
    { Name: 'lb.agents.example.com.', Type: 'A', AliasTarget: { HostedZoneId: 'Z1', DNSName: 'lb.example.com.', EvaluateTargetHealth: false } },
  ]);

  it('observes only marked A records under the base domain', () => {
    expect(ownedRecords(view, 'agents.example.com')).toEqual([rec()]);
    expect(ownedRecords(view, 'other.example.com')).toEqual([]);
  });

  it('upsert: no-op when identical, refusal for foreign names, conditional changes keeping foreign TXT values', () => {
    expect(planUpsert(view, rec())).toEqual({ kind: 'noop' });
    expect(planUpsert(view, rec({ fqdn: 'hand.agents.example.com' }))).toMatchObject({ kind: 'error', error: { code: 'dns-record-not-owned' } });
    expect(planUpsert(view, rec({ fqdn: 'alias.agents.example.com' }))).toMatchObject({ kind: 'error', error: { code: 'dns-record-not-owned' } });
    expect(planUpsert(view, rec({ fqdn: 'lb.agents.example.com' }))).toMatchObject({ kind: 'error', error: { code: 'dns-record-not-owned' } });
    const summary = (plan: ReturnType<typeof planUpsert>) =>
      (plan.kind === 'changes' ? plan.changes : []).map((c) => [
        c.Action,
        c.ResourceRecordSet?.Type,
        c.ResourceRecordSet?.ResourceRecords?.map((r) => r.Value),
      ]);
    // A new address: only the A record changes.
    expect(summary(planUpsert(view, rec({ value: '10.0.0.2' })))).toEqual([['UPSERT', 'A', ['10.0.0.2']]]);
    // The name passes to another server: the marker is rewritten too, foreign TXT values kept.
    expect(summary(planUpsert(view, rec({ server_id: 'srv-2' })))).toEqual([
      ['UPSERT', 'A', ['10.0.0.1']],
      ['UPSERT', 'TXT', ['"keep-me"', ownerTxtValue('srv-2')]],
    ]);
    // A name the view shows empty: CREATE (Route 53 refuses it if someone took the name since).
    expect(summary(planUpsert(view, rec({ fqdn: 'new.agents.example.com' })))).toEqual([
      ['CREATE', 'A', ['10.0.0.1']],
      ['CREATE', 'TXT', [ownerTxtValue('srv-1')]],
    ]);
    // UPSERT only ever replaces a record set the view shows as this server's or poolform's.
    fc.assert(
      fc.property(
        fc.constantFrom('pf-1', 'new', 'other'),
        fc.constantFrom('10.0.0.1', '10.0.0.9'),
        fc.constantFrom('srv-1', 'srv-2'),
        fc.constantFrom(60, 300),
        (host, value, server, ttl) => {
          const fqdn = `${host}.agents.example.com`;
          const plan = planUpsert(view, rec({ fqdn, value, server_id: server, ttl }));
          for (const change of plan.kind === 'changes' ? plan.changes : []) {
            if (change.Action === 'UPSERT') expect(ownedRecords(view, 'agents.example.com').map((r) => r.fqdn)).toContain(fqdn);
          }
        },
      ),
    );
  });

  it("delete: only this server's records; gone or foreign = no-op; foreign TXT values stay", () => {
    expect(planDelete(view, rec({ fqdn: 'gone.agents.example.com' }))).toEqual({ kind: 'noop' });
    expect(planDelete(view, rec({ fqdn: 'hand.agents.example.com' }))).toEqual({ kind: 'noop' });
    expect(planDelete(view, rec({ server_id: 'srv-other' }))).toEqual({ kind: 'noop' });
    const plan = planDelete(view, rec());
    const changes = plan.kind === 'changes' ? plan.changes : [];
    expect(changes.map((c) => [c.Action, c.ResourceRecordSet?.Type, c.ResourceRecordSet?.ResourceRecords?.map((r) => r.Value)])).toEqual([
      ['DELETE', 'A', ['10.0.0.1']],
      ['UPSERT', 'TXT', ['"keep-me"']],
    ]);
  });
});

describe('packBatches', () => {
  const change = fc.record({
    action: fc.constantFrom('UPSERT', 'DELETE', 'CREATE'),
    values: fc.array(fc.string({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 4 }),
  });
  const groups = fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { maxLength: 700 });

  it('keeps order and groups intact, and every request within the Route 53 limits', () => {
    fc.assert(
      fc.property(groups, (raw) => {
        const input = raw.map((g, id) => ({
          id,
          changes: g.map(
            (c): Change => ({
              Action: c.action as Change['Action'],
              ResourceRecordSet: { Name: `n${id}.`, Type: 'TXT', TTL: 60, ResourceRecords: c.values.map((Value) => ({ Value })) },
            }),
          ),
        }));
        const batches = packBatches(input);
        expect(batches.flat().map((g) => g.id)).toEqual(input.map((g) => g.id));
        for (const batch of batches) {
          const all = batch.flatMap((g) => g.changes);
          const weight = all.map(changeWeight).reduce((a, w) => ({ records: a.records + w.records, chars: a.chars + w.chars }), { records: 0, chars: 0 });
          // A single oversized group still goes alone (Route 53 will say why).
          if (batch.length > 1) {
            expect(all.length).toBeLessThanOrEqual(MAX_CHANGES);
            expect(weight.records).toBeLessThanOrEqual(MAX_RESOURCE_RECORDS);
            expect(weight.chars).toBeLessThanOrEqual(MAX_VALUE_CHARS);
          }
        }
      }),
      { numRuns: propertyRuns(50) },
    );
  });

  it('fits 500 new records (A + TXT CREATE each) in one request, 1,000 in two', () => {
    const input = Array.from({ length: 500 }, (_, i) => {
      const plan = planUpsert(new Map(), rec({ fqdn: `pf-${i}.agents.example.com`, server_id: `srv-${i}-0123456789` }));
      return { changes: plan.kind === 'changes' ? plan.changes : [] };
    });
    expect(packBatches(input)).toHaveLength(1);
    expect(packBatches([...input, ...input])).toHaveLength(2);
  });
});
