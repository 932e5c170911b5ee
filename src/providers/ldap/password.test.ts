import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOIN_PASSWORD_ALPHABET, JOIN_PASSWORD_LENGTH, encodeUnicodePwd, generateJoinPassword, meetsAdComplexity } from './password.ts';

const ALL = Object.values(JOIN_PASSWORD_ALPHABET).join('');

describe('join passwords', () => {
  it('are long, use every character class and only script-safe characters', () => {
    for (let i = 0; i < 200; i++) {
      const p = generateJoinPassword();
      expect(p).toHaveLength(JOIN_PASSWORD_LENGTH);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[0-9]/);
      expect(p).toMatch(/[^A-Za-z0-9]/);
      expect(meetsAdComplexity(p)).toBe(true);
      for (const ch of p) expect(ALL).toContain(ch);
      // Nothing that breaks '...' in PowerShell/sh, "..." in either, cmd.exe, or poolform templates.
      expect(p).not.toMatch(/['"`$\\%^&|<>{}!;\s]/);
    }
  });

  it('are different each time (crypto random)', () => {
    const seen = new Set(Array.from({ length: 500 }, () => generateJoinPassword()));
    expect(seen.size).toBe(500);
  });

  it('meet the classes for any random source and any allowed length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 64 }), fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), (length, seq) => {
        let i = 0;
        const random = (max: number): number => (seq[i++ % seq.length] ?? 0) % max;
        const p = generateJoinPassword(length, random);
        expect(p).toHaveLength(length);
        for (const set of Object.values(JOIN_PASSWORD_ALPHABET)) expect([...p].some((ch) => set.includes(ch))).toBe(true);
      }),
    );
  });

  it('rejects silly lengths', () => {
    expect(() => generateJoinPassword(4)).toThrow(RangeError);
    expect(() => generateJoinPassword(1000)).toThrow(RangeError);
  });

  it('AD complexity check follows the default policy', () => {
    expect(meetsAdComplexity('Abc123!')).toBe(true);
    expect(meetsAdComplexity('abc123!')).toBe(true);
    expect(meetsAdComplexity('abcdefgh')).toBe(false);
    expect(meetsAdComplexity('Ab1!')).toBe(false);
  });

  it('encodes unicodePwd as the quoted password in UTF-16LE', () => {
    expect(encodeUnicodePwd('Ab1-')).toEqual(Buffer.from([0x22, 0, 0x41, 0, 0x62, 0, 0x31, 0, 0x2d, 0, 0x22, 0]));
  });
});
