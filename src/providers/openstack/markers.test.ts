import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ownedBy, ownershipTags, providerTag } from './markers.ts';

const NAME = /^[a-z0-9]([a-z0-9_-]{0,62}[a-z0-9])?$/;

describe('OpenStack ownership markers', () => {
  it('tags are valid Nova tags (≤ 60 characters, no , or /) and distinct per provider name', () => {
    fc.assert(
      fc.property(fc.stringMatching(NAME), fc.stringMatching(NAME), (a, b) => {
        for (const tag of ownershipTags(a)) {
          expect(tag.length).toBeLessThanOrEqual(60);
          expect(tag).not.toMatch(/[,/]/);
        }
        if (a !== b) expect(providerTag(a)).not.toBe(providerTag(b));
      }),
    );
    expect(providerTag('osp')).toBe('poolform:provider=osp');
    expect(providerTag('x'.repeat(64))).toMatch(/^poolform:provider#[0-9a-f]{32}$/);
  });

  it('ownedBy needs both the managed flag and this provider name', () => {
    expect(ownedBy({ 'poolform:managed': 'true', 'poolform:provider': 'osp' }, 'osp')).toBe(true);
    expect(ownedBy({ 'poolform:managed': 'true', 'poolform:provider': 'other' }, 'osp')).toBe(false);
    expect(ownedBy({ 'poolform:provider': 'osp' }, 'osp')).toBe(false);
    expect(ownedBy(undefined, 'osp')).toBe(false);
  });
});
