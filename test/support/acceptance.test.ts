// The acceptance gate: enabled only with the flag and every variable; the skip reason names what is missing.
import { describe, expect, it } from 'vitest';
import { acceptanceGate } from './acceptance.ts';

describe('acceptanceGate', () => {
  const hint = 'skipped: set POOLFORM_ACC_X=1 to run';
  it('is enabled with the flag and every required variable', () => {
    expect(acceptanceGate('POOLFORM_ACC_X', ['A', 'B'], hint, { POOLFORM_ACC_X: '1', A: 'a', B: 'b' })).toEqual({ enabled: true, reason: '' });
  });
  it('without the flag, the reason is the hint', () => {
    expect(acceptanceGate('POOLFORM_ACC_X', ['A'], hint, { A: 'a' })).toEqual({ enabled: false, reason: hint });
  });
  it('with the flag, the reason names the missing (empty counts as missing)', () => {
    expect(acceptanceGate('POOLFORM_ACC_X', ['A'], hint, { POOLFORM_ACC_X: '1', A: '' }).reason).toBe('skipped: POOLFORM_ACC_X=1 but A is not set');
    expect(acceptanceGate('POOLFORM_ACC_X', ['A', 'B', 'C'], hint, { POOLFORM_ACC_X: '1', B: 'b' }).reason).toBe('skipped: POOLFORM_ACC_X=1 but A, C not set');
  });
});
