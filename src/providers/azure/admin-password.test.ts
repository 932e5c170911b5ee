import { describe, expect, it } from 'vitest';
import { adminPasswordProblem, assertAdminPassword } from './admin-password.ts';

describe('Azure admin password rules', () => {
  it('accepts 3 of 4 character classes within the length limits', () => {
    expect(adminPasswordProblem('Abcdef12', 'windows')).toBeUndefined();
    expect(adminPasswordProblem('abc-12', 'linux')).toBeUndefined();
  });
  it('refuses short, long, simple and listed passwords without echoing them', () => {
    expect(adminPasswordProblem('Ab1-', 'linux')).toMatch(/6–72/);
    expect(adminPasswordProblem('Abcdef1', 'windows')).toMatch(/8–123/);
    expect(adminPasswordProblem(`Aa1-${'x'.repeat(70)}`, 'linux')).toMatch(/6–72/);
    expect(adminPasswordProblem('abcdefgh', 'windows')).toMatch(/3 of/);
    expect(adminPasswordProblem('P@ssw0rd', 'windows')).toMatch(/refuses/);
    expect(() => assertAdminPassword('az', 'Secret-Not-Shown', 'linux')).not.toThrow();
    expect(() => assertAdminPassword('az', 'weak', 'windows')).toThrow(/^VmProvider az: admin_password must be 8–123/);
    try {
      assertAdminPassword('az', 'weakpassword', 'windows');
    } catch (error) {
      expect(String(error)).not.toContain('weakpassword');
    }
  });
});
