import { describe, expect, it } from 'vitest';
import { createReservations, maxInstancesReached, serialGate } from './admission.ts';

describe('shared admission helpers', () => {
  it('serialGate never runs two steps at once, and a failure does not block the next', async () => {
    const serially = serialGate();
    let running = 0;
    let peak = 0;
    const step = (fail: boolean) =>
      serially(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 1));
        running--;
        if (fail) throw new Error('no');
        return 'ok';
      });
    const outcomes = await Promise.allSettled([step(false), step(true), step(false)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(peak).toBe(1);
  });

  it('maxInstancesReached is retryable and says nothing was created', () => {
    const e = maxInstancesReached({ where: 'VmProvider do', max: 2, live: 2, launching: 1, noun: 'droplets' });
    expect(e.code).toBe('max-instances-reached');
    expect(e.retryable).toBe(true);
    expect(e.nothingCreated).toBe(true);
    expect(e.message).toBe('VmProvider do: max_instances (2) reached: 2 droplets exist and 1 being created; raise max_instances to create more');
  });
});

describe('createReservations', () => {
  it('admits while live + admitted stays under max, refuses with max-instances-reached after, and frees on release', () => {
    const r = createReservations({ where: 'VmProvider x', max: 3, noun: 'VMs' });
    r.reserve(1);
    r.reserve(1);
    expect(r.count).toBe(2);
    let refused: unknown;
    try {
      r.reserve(1);
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: 'max-instances-reached', retryable: true, nothingCreated: true });
    expect((refused as Error).message).toBe('VmProvider x: max_instances (3) reached: 1 VMs exist and 2 being created; raise max_instances to create more');
    expect(r.count).toBe(2);
    r.release();
    r.reserve(1);
    expect(r.count).toBe(2);
  });
});
