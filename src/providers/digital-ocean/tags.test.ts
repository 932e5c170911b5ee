import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intentTag, ownedBy, ownershipTags, providerTag, TAG_MANAGED, tagOf } from './tags.ts';

/** DigitalOcean tag names: letters, numbers, colons, dashes, underscores; at most 255 characters. */
const VALID = /^[A-Za-z0-9:_-]{1,255}$/;

describe('DigitalOcean ownership tags', () => {
  it('are always valid tag names and read back for ids in poolform alphabet', () => {
    const id = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,62}$/);
    fc.assert(
      fc.property(id, id, id, id, id, fc.string(), (provider, intent, server, pool, autoscale, hostname) => {
        const tags = ownershipTags(provider, { intent_id: intent, server_id: server, pool, autoscale, hostname, user_data: '' });
        for (const t of tags) expect(t).toMatch(VALID);
        expect(tagOf(tags, 'server')).toBe(server);
        expect(tagOf(tags, 'intent')).toBe(intent);
        expect(ownedBy(tags, provider)).toBe(true);
        expect(tags).toContain(intentTag(intent));
      }),
    );
  });

  it('any value is mapped into the tag alphabet; ownership needs both the marker and the provider tag', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (v) => {
        expect(intentTag(v)).toMatch(VALID);
      }),
    );
    expect(ownedBy([providerTag('a')], 'a')).toBe(false);
    expect(ownedBy([TAG_MANAGED, providerTag('b')], 'a')).toBe(false);
    expect(ownedBy(['extra', TAG_MANAGED, providerTag('a')], 'a')).toBe(true);
  });
});
