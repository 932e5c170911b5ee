import { describe, expect, it } from 'vitest';
import { decide } from './decide.ts';
import { decisionCause } from './decision.ts';
import { nextHistory } from './history.ts';
import { input, localProvider, makeConfig, server, serverPool } from './testing.ts';

describe('decision shape', () => {
  const config = makeConfig({ vmProviders: [localProvider('local', 1)], pools: [serverPool('desk', [{ minimum_available_sessions: 1 }])] });
  const failed = server({ pool: 'desk', autoscale: 'as0', status: 'failed', id: 'f' });
  const result = decide(input(config, { servers: [failed] }));

  it('carries the reason for people, the cause for code, and the destroys a create waits for', () => {
    expect(result.decisions).toEqual([
      { action: 'destroy', pool: 'desk', autoscale: 'as0', server_id: 'f', reason: expect.stringMatching(/^failed: /), cause: 'failed' },
      {
        action: 'create',
        pool: 'desk',
        autoscale: 'as0',
        reason: 'scale-up: 0 sessions available, 1 wanted (minimum_available_sessions)',
        cause: 'scale-up',
        after_destroy: ['f'],
      },
    ]);
  });

  it('survives a JSON round trip (saved plans), and nextHistory still counts failed starts', () => {
    const copies = JSON.parse(JSON.stringify(result.decisions)) as typeof result.decisions;
    expect(copies).toEqual(result.decisions);
    const history = nextHistory({}, copies, '2024-01-10T12:00:00.000Z');
    expect(history['desk/as0']?.consecutive_failures).toBe(1);
  });

  it('derives the cause from the reason when a decision has none', () => {
    const bare = result.decisions.map(({ cause: _cause, ...rest }) => rest);
    expect(bare.map(decisionCause)).toEqual(['failed', 'scale-up']);
  });
});
