import { describe, expect, it } from 'vitest';
import { attributesOf, resourcesOf, vmAttributeView } from './attribute-views.ts';
import type { ResourceChange } from './types.ts';

describe('attribute views', () => {
  it('read known attributes with their types; wrong types and missing keys read as null', () => {
    const v = vmAttributeView({ server_id: 'abc', pool: 'p', connection_port: '3389', reusable: false, capacity: { cores: 4, memory_mb: 8192 } });
    expect(v.server_id).toBe('abc');
    expect(v.connection_port).toBeNull();
    expect(v.reusable).toBe(false);
    expect(v.capacity).toEqual({ cores: 4, memory_mb: 8192, gpus: 0 });
    expect(v.ip).toBeNull();
    expect(vmAttributeView(null).server_id).toBeNull();
  });

  it('capacity needs cores and memory', () => {
    expect(resourcesOf({ cores: 2 })).toBeNull();
    expect(resourcesOf([1, 2])).toBeNull();
    expect(resourcesOf({ cores: 2, memory_mb: 1024, gpus: 1 })).toEqual({ cores: 2, memory_mb: 1024, gpus: 1 });
  });

  it('attributesOf picks the view of the change type', () => {
    const changes: ResourceChange[] = [
      {
        address: 'dns.a.example.com',
        type: 'dns_record',
        name: 'a.example.com',
        action: 'create',
        before: null,
        after: { base_domain: 'example.com', ttl: 30 },
        reason: '',
        depends_on: [],
        provider: 'hosts',
        pool: 'p',
      },
      {
        address: 'ad_computer.x',
        type: 'ad_computer',
        name: 'x',
        action: 'delete',
        before: { dn: 'CN=x,OU=P,DC=c' },
        after: null,
        reason: '',
        depends_on: [],
        provider: 'ad',
        pool: 'p',
      },
    ];
    const seen: unknown[] = [];
    for (const c of changes) {
      if (c.type === 'dns_record') seen.push(attributesOf(c, 'after').ttl);
      if (c.type === 'ad_computer') seen.push(attributesOf(c, 'before').dn);
    }
    expect(seen).toEqual([30, 'CN=x,OU=P,DC=c']);
  });
});
