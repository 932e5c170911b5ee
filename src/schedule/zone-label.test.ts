import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zoneLabel } from './zone-label.ts';

const WINTER = Date.UTC(2026, 0, 5, 9);
const SUMMER = Date.UTC(2026, 6, 5, 9);

describe('zoneLabel', () => {
  it('uses the abbreviation in common use, with daylight saving', () => {
    expect(zoneLabel(WINTER, 'Europe/Berlin')).toBe('CET');
    expect(zoneLabel(SUMMER, 'Europe/Berlin')).toBe('CEST');
    expect(zoneLabel(WINTER, 'America/New_York')).toBe('EST');
    expect(zoneLabel(SUMMER, 'Europe/London')).toBe('BST');
    expect(zoneLabel(WINTER, 'Asia/Kolkata')).toBe('IST');
    expect(zoneLabel(WINTER, 'Australia/Sydney')).toBe('AEDT');
    expect(zoneLabel(WINTER, 'UTC')).toBe('UTC');
  });

  it('falls back to the IANA name where there is no abbreviation', () => {
    expect(zoneLabel(WINTER, 'Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(zoneLabel(WINTER, 'America/Sao_Paulo')).toBe('America/Sao_Paulo');
  });

  it('is never a bare GMT offset (property over zones and instants)', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (zone, ms) => {
        expect(zoneLabel(ms, zone)).not.toMatch(/^GMT[+-]/);
      }),
    );
  });
});
