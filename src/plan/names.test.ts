import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allocateServerName, createIdGen, createSeededIdGen, hostnamePrefix, isValidHostname, isValidServerId, makeHostname } from './names.ts';

describe('server ids', () => {
  it('are 8 base32 characters drawn from the random source', () => {
    const gen = createIdGen((n) => new Uint8Array(n).map((_, i) => i));
    expect(gen()).toBe('abcdefgh');
    const seeded = createSeededIdGen(42);
    const ids = Array.from({ length: 50 }, () => seeded());
    for (const id of ids) expect(isValidServerId(id)).toBe(true);
    expect(new Set(ids).size).toBe(50);
  });

  it('seeded generators repeat their sequence', () => {
    const a = createSeededIdGen(7);
    const b = createSeededIdGen(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

describe('hostnames', () => {
  it('derive the prefix from the pool name, or take hostname_prefix', () => {
    expect(hostnamePrefix('desktops')).toBe('desktop');
    expect(hostnamePrefix('win_rdp-pool')).toBe('win-rdp');
    expect(hostnamePrefix('___')).toBe('pf');
    expect(hostnamePrefix('desktops', 'WIN')).toBe('win');
    expect(hostnamePrefix('a-b-c-d-e')).toBe('a-b-c-d');
    expect(hostnamePrefix('abcdef-x')).toBe('abcdef');
  });

  it('fit the NetBIOS limit with a unique suffix', () => {
    expect(makeHostname('desktop', 'abcdefgh')).toBe('desktop-abcdefg');
    expect(makeHostname('win', 'abcdefgh')).toBe('win-abcdefgh');
  });

  it('are always valid AD computer names (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 70 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (pool, bytes) => {
        const id = createIdGen(() => bytes)();
        const name = makeHostname(hostnamePrefix(pool), id);
        expect(isValidHostname(name)).toBe(true);
        expect(name.length).toBeLessThanOrEqual(15);
      }),
    );
  });

  it('allocation skips ids and hostnames already taken', () => {
    const seq = ['aaaaaaaa', 'aaaaaaaa', 'aaaaaaab', 'bbbbbbbb'];
    const gen = () => seq.shift() ?? 'cccccccc';
    const ids = new Set<string>();
    const hosts = new Set<string>(['desktop-aaaaaaa']);
    // aaaaaaaa → hostname taken; aaaaaaab → same 7-char suffix, taken; bbbbbbbb fits.
    expect(allocateServerName(gen, 'desktop', ids, hosts)).toEqual({ serverId: 'bbbbbbbb', hostname: 'desktop-bbbbbbb' });
    expect(ids.has('bbbbbbbb')).toBe(true);
    expect(hosts.has('desktop-bbbbbbb')).toBe(true);
  });
});
