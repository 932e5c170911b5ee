import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MARKER_FILTER, formatMarker, parseMarker } from './marker.ts';

describe('ownership marker', () => {
  it('round-trips server and intent ids', () => {
    expect(formatMarker('srv1', 'int-2')).toBe('poolform:managed server-id=srv1 intent-id=int-2');
    expect(parseMarker('poolform:managed server-id=srv1 intent-id=int-2')).toEqual({ server_id: 'srv1', intent_id: 'int-2' });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== ''),
        fc.uuid(),
        (server, intent) => {
          const parsed = parseMarker(formatMarker(server, intent));
          expect(parsed?.intent_id).toBe(intent);
          expect(parsed?.server_id).toBe(server.replace(/\s+/g, '_'));
        },
      ),
    );
  });

  it('does not recognise other descriptions', () => {
    for (const d of [undefined, null, '', 'made by hand', 'poolform:managedX', 'Not poolform:managed server-id=a']) expect(parseMarker(d)).toBeUndefined();
    expect(parseMarker('poolform:managed')).toEqual({ server_id: null, intent_id: null });
  });

  it('the search filter selects computers by the marker prefix', () => {
    expect(MARKER_FILTER).toBe('(&(objectClass=computer)(description=poolform:managed*))');
  });
});
