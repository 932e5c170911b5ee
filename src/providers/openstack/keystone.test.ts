import { describe, expect, it } from 'vitest';
import { authRequestBody, identityBase, selectEndpoint } from './keystone.ts';

describe('Keystone v3 helpers', () => {
  it('identityBase adds /v3 once', () => {
    expect(identityBase('https://k.example.com:5000')).toBe('https://k.example.com:5000/v3');
    expect(identityBase('https://k.example.com:5000/v3/')).toBe('https://k.example.com:5000/v3');
    expect(identityBase('https://k.example.com/identity/v3')).toBe('https://k.example.com/identity/v3');
  });

  it('password auth is project-scoped by name + domain or by id; application credentials carry no scope', () => {
    const base = { kind: 'password' as const, username: 'u', password: 'p', userDomainName: 'Default', projectDomainName: 'Corp' };
    expect(authRequestBody({ ...base, projectName: 'vdi' })).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'u', domain: { name: 'Default' }, password: 'p' } } },
        scope: { project: { name: 'vdi', domain: { name: 'Corp' } } },
      },
    });
    expect((authRequestBody({ ...base, projectId: 'abc' }) as { auth: { scope: unknown } }).auth.scope).toEqual({ project: { id: 'abc' } });
    expect(authRequestBody({ kind: 'application_credential', id: 'i', secret: 's' })).toEqual({
      auth: { identity: { methods: ['application_credential'], application_credential: { id: 'i', secret: 's' } } },
    });
  });

  it('selectEndpoint picks by interface and region, and refuses to guess between regions', () => {
    const catalog = [
      { type: 'identity', endpoints: [{ interface: 'public', region_id: 'R1', url: 'https://k' }] },
      {
        type: 'compute',
        endpoints: [
          { interface: 'public', region_id: 'R1', url: 'https://nova-r1/v2.1/' },
          { interface: 'internal', region_id: 'R1', url: 'http://nova-int/v2.1' },
          { interface: 'public', region: 'R2', url: 'https://nova-r2/v2.1' },
        ],
      },
    ];
    expect(selectEndpoint(catalog, 'compute', 'public', 'R1')).toEqual({ url: 'https://nova-r1/v2.1' });
    expect(selectEndpoint(catalog, 'compute', 'public', 'R2')).toEqual({ url: 'https://nova-r2/v2.1' });
    expect(selectEndpoint(catalog, 'compute', 'internal', undefined)).toEqual({ url: 'http://nova-int/v2.1' });
    expect(selectEndpoint(catalog, 'compute', 'public', undefined)).toEqual({ problem: expect.stringContaining('several regions (R1, R2); set region_name') });
    expect(selectEndpoint(catalog, 'compute', 'admin', undefined)).toEqual({ problem: expect.stringContaining('no admin endpoint') });
    expect(selectEndpoint(catalog, 'compute', 'public', 'R3')).toEqual({ problem: expect.stringContaining('region_name R3') });
    expect(selectEndpoint(catalog, 'volumev3', 'public', undefined)).toEqual({ problem: expect.stringContaining('no volumev3 service') });
  });
});
