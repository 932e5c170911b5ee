import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResourceChange } from '../plan/types.ts';
import { PoolformError } from '../util/errors.ts';
import { executeGraph, SkipChange } from './executor.ts';
import { propertyRuns } from '../testing/property-runs.ts';

function change(address: string, depends_on: string[] = [], type: ResourceChange['type'] = 'vm'): ResourceChange {
  return { address, type, name: address, action: 'create', before: null, after: {}, reason: 'test', depends_on, provider: 'local', pool: 'p' };
}

describe('executeGraph', () => {
  it('runs a change only after its dependencies applied, independent ones concurrently', async () => {
    const order: string[] = [];
    let active = 0;
    let maxActive = 0;
    const outcomes = await executeGraph([change('dns.a', ['vm.a']), change('vm.a'), change('vm.b')], {
      run: async (c) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setImmediate(r));
        order.push(c.address);
        active--;
      },
    });
    expect(outcomes.map((o) => [o.address, o.status])).toEqual([
      ['dns.a', 'applied'],
      ['vm.a', 'applied'],
      ['vm.b', 'applied'],
    ]);
    expect(order.indexOf('vm.a')).toBeLessThan(order.indexOf('dns.a'));
    expect(maxActive).toBe(2);
  });

  it('a failure skips what depends on it (saying why), with its code; the rest completes', async () => {
    const outcomes = await executeGraph([change('vm.a'), change('dns.a', ['vm.a']), change('ad.a', ['dns.a']), change('vm.b')], {
      run: async (c) => {
        if (c.address === 'vm.a') throw new PoolformError('aws-insufficient-capacity', 'no capacity', { retryable: true });
      },
    });
    expect(outcomes).toEqual([
      { address: 'vm.a', action: 'create', status: 'failed', message: 'no capacity', code: 'aws-insufficient-capacity' },
      { address: 'dns.a', action: 'create', status: 'skipped', message: 'vm.a failed' },
      { address: 'ad.a', action: 'create', status: 'skipped', message: 'dns.a was not applied: vm.a failed' },
      { address: 'vm.b', action: 'create', status: 'applied', message: null },
    ]);
  });

  it('SkipChange is a skip, not a failure', async () => {
    const [o] = await executeGraph([change('vm.a')], {
      run: async () => {
        throw new SkipChange('server has active sessions');
      },
    });
    expect(o).toEqual({ address: 'vm.a', action: 'create', status: 'skipped', message: 'server has active sessions' });
  });

  it('a dependency cycle fails instead of hanging', async () => {
    const outcomes = await executeGraph([change('a', ['b']), change('b', ['a'])], { run: async () => undefined });
    expect(outcomes.every((o) => o.status === 'failed' || o.status === 'skipped')).toBe(true);
    expect(outcomes.some((o) => (o.message ?? '').includes('dependency cycle'))).toBe(true);
  });

  it('groups run once with their eligible members; a missing result fails that member', async () => {
    const calls: string[][] = [];
    const outcomes = await executeGraph(
      [change('vm.a'), change('dns.a', ['vm.a'], 'dns_record'), change('dns.b', [], 'dns_record'), change('dns.c', [], 'dns_record')],
      {
        run: async () => undefined,
        groupOf: (c) => (c.type === 'dns_record' ? 'zone' : null),
        runGroup: async (_key, members) => {
          calls.push(members.map((m) => m.address));
          return new Map<string, unknown>([
            ['dns.a', null],
            ['dns.b', new Error('rejected')],
          ]);
        },
      },
    );
    expect(calls).toEqual([['dns.a', 'dns.b', 'dns.c']]);
    expect(outcomes.map((o) => [o.address, o.status, o.message])).toEqual([
      ['vm.a', 'applied', null],
      ['dns.a', 'applied', null],
      ['dns.b', 'failed', 'rejected'],
      ['dns.c', 'failed', 'no result for this change'],
    ]);
  });

  it('reports start and end of every change that ran, with its duration from the injected clock', async () => {
    let t = 0;
    const events: string[] = [];
    await executeGraph([change('vm.a')], {
      run: async () => {
        t += 5;
      },
      now: () => t,
      onStart: (c) => events.push(`start ${c.address}`),
      onEnd: (c, o, ms) => events.push(`end ${c.address} ${o.status} ${ms}`),
    });
    expect(events).toEqual(['start vm.a', 'end vm.a applied 5']);
  });

  it('every change gets exactly one outcome, in input order, and none runs before its dependencies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.array(fc.nat(9), { maxLength: 3 })), { minLength: 1, maxLength: 10 }), async (spec) => {
        // Dependencies only on earlier changes: no cycles.
        const changes = spec.map(([, deps], i) => change(`c${i}`, i === 0 ? [] : [...new Set(deps.map((d) => `c${d % i}`))]));
        const done = new Set<string>();
        const outcomes = await executeGraph(changes, {
          run: async (c) => {
            for (const d of c.depends_on) expect(done.has(d)).toBe(true);
            if (spec[Number(c.address.slice(1))]?.[0]) throw new Error('boom');
            done.add(c.address);
          },
        });
        expect(outcomes.map((o) => o.address)).toEqual(changes.map((c) => c.address));
        for (const [i, o] of outcomes.entries()) if (o.status === 'applied') expect(spec[i]?.[0]).toBe(false);
      }),
      { numRuns: propertyRuns(100) },
    );
  });
});
