import { describe, expect, it } from 'vitest';
import { holdsOf } from './holds.ts';

describe('holdsOf', () => {
  it('lists holds with their reason and end time (null when the hold has no end)', () => {
    expect(
      holdsOf([
        { action: 'create', pool: 'p', autoscale: 'a', reason: 'scale-up: x' },
        {
          action: 'hold',
          pool: 'p',
          autoscale: 'a',
          reason: 'backoff: 2 consecutive failed starts; next create after 2026-12-04T11:00:00.000Z (1 server wanted)',
        },
        {
          action: 'hold',
          pool: 'p',
          autoscale: 'b',
          reason: 'downscale_backoff: last create at 2026-12-04T09:00:00Z; 1 idle server kept until 2026-12-04T09:30:00Z',
        },
        { action: 'hold', pool: 'p', autoscale: 'c', reason: 'max_instances 5 reached (VmProvider local); 2 servers wanted' },
      ]),
    ).toEqual([
      { pool: 'p', autoscale: 'a', reason: expect.stringMatching(/^backoff/), until: '2026-12-04T11:00:00.000Z' },
      { pool: 'p', autoscale: 'b', reason: expect.stringMatching(/^downscale_backoff/), until: '2026-12-04T09:30:00Z' },
      { pool: 'p', autoscale: 'c', reason: expect.stringMatching(/^max_instances/), until: null },
    ]);
  });
});
