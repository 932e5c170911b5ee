import { describe, expect, it } from 'vitest';
import { indexRecords, ownedRecords, parseOwnerTxt, relativeName, zoneFor } from './records.ts';

describe('DigitalOcean DNS records', () => {
  it('finds the closest domain holding a base domain', () => {
    expect(zoneFor('desk.example.com', ['example.com', 'desk.example.com', 'other.com'])).toBe('desk.example.com');
    expect(zoneFor('a.b.example.com', ['example.com'])).toBe('example.com');
    expect(zoneFor('badexample.com', ['example.com'])).toBeUndefined();
  });

  it('names are relative to the domain (@ for the apex)', () => {
    expect(relativeName('h.desk.example.com', 'example.com')).toBe('h.desk');
    expect(relativeName('example.com.', 'example.com')).toBe('@');
    expect(relativeName('h.other.com', 'example.com')).toBeUndefined();
  });

  it("an A record is poolform's only with the marker TXT at its name", () => {
    expect(parseOwnerTxt('"poolform:server-id=s1"')).toBe('s1');
    expect(parseOwnerTxt('v=spf1 -all')).toBeUndefined();
    const view = indexRecords(
      [
        { id: 1, type: 'A', name: 'h1.desk', data: '10.0.0.1', ttl: 60 },
        { id: 2, type: 'TXT', name: 'h1.desk', data: 'poolform:server-id=s1', ttl: 60 },
        { id: 3, type: 'A', name: 'h2.desk', data: '10.0.0.2', ttl: 60 },
        { id: 4, type: 'A', name: 'h3', data: '10.0.0.3', ttl: 60 },
        { id: 5, type: 'TXT', name: 'h3', data: 'poolform:server-id=s3', ttl: 60 },
      ],
      'example.com',
    );
    expect(ownedRecords(view, 'desk.example.com')).toEqual([{ fqdn: 'h1.desk.example.com', type: 'A', value: '10.0.0.1', ttl: 60, server_id: 's1' }]);
  });
});
