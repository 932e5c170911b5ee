// The emulator/directory suites' availability rule: with CI=true a missing
// moto or Samba fails the run; elsewhere the suite skips, saying how to install it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MOTO_INSTALL_HINT, requireMoto } from './support/moto.ts';
import { requireSamba, SAMBA_INSTALL_HINT } from './support/samba.ts';

describe('missing moto or Samba', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('with CI=true: the suite fails, naming how to install it', () => {
    expect(() => requireMoto({ CI: 'true' }, false)).toThrow(MOTO_INSTALL_HINT);
    expect(() => requireSamba({ CI: 'true' }, { installed: false, root: true })).toThrow(SAMBA_INSTALL_HINT);
    expect(() => requireSamba({ CI: 'true' }, { installed: true, root: false })).toThrow(/needs root/);
  });

  it('elsewhere: the suite is skipped with a message saying how to install it', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(requireMoto({}, false)).toBe(false);
    expect(requireSamba({ CI: 'false' }, { installed: false, root: true })).toBe(false);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining(MOTO_INSTALL_HINT), expect.stringContaining(SAMBA_INSTALL_HINT)]);
  });

  it('present: the suite runs', () => {
    expect(requireMoto({ CI: 'true' }, true)).toBe(true);
    expect(requireSamba({ CI: 'true' }, { installed: true, root: true })).toBe(true);
  });
});
