import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computerNameProblem, isValidComputerName } from './computer-name.ts';

describe('AD computer names', () => {
  it('accepts NetBIOS/DNS-safe names up to 15 characters', () => {
    for (const name of ['WIN-ABC123', 'a', 'pf-0123456789ab', 'Desk1', 'x-y-z']) expect(computerNameProblem(name)).toBeUndefined();
  });

  it('rejects names that break the rules, saying which', () => {
    expect(computerNameProblem('ABCDEFGHIJKLMNOP')).toMatch(/16 characters.*at most 15/);
    expect(computerNameProblem('')).toMatch(/empty/);
    expect(computerNameProblem('win_1')).toMatch(/letters, digits and hyphens/);
    expect(computerNameProblem('win.1')).toMatch(/letters, digits and hyphens/);
    expect(computerNameProblem('-win')).toMatch(/hyphen/);
    expect(computerNameProblem('win-')).toMatch(/hyphen/);
    expect(computerNameProblem('win 1')).toBeDefined();
    expect(computerNameProblem('wïn')).toBeDefined();
    expect(computerNameProblem('12345')).toMatch(/digits only/);
    expect(computerNameProblem('system')).toMatch(/reserved/);
    expect(computerNameProblem('a\\b')).toBeDefined();
  });

  it('every accepted name fits a sAMAccountName and an unescaped DN/filter value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        if (!isValidComputerName(name)) return;
        expect(name.length).toBeGreaterThan(0);
        expect(name.length).toBeLessThanOrEqual(15);
        expect(name).toMatch(/^[A-Za-z0-9-]+$/);
      }),
    );
  });
});
