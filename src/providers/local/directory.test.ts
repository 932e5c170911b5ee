import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineDirectoryProviderConformance } from '../conformance.ts';
import { createLocalDirectoryProvider } from './directory.ts';

const OU = 'OU=Pool,DC=corp,DC=example,DC=com';

defineDirectoryProviderConformance('local (file-backed stand-in)', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'pf-localdir-conf-'));
  const client = createLocalDirectoryProvider({ name: 'corp', stateDir });
  return {
    client,
    containerDn: OU,
    createForeign: (name) => client.addForeign({ dn: `CN=${name},${OU}`, name, server_id: null, intent_id: null, dns_host_name: null }),
    foreignExists: async (name) => (await client.entries()).some((e) => e.name === name),
    cleanup: () => rm(stateDir, { recursive: true, force: true }),
  };
});

describe('local directory stand-in', () => {
  it('never stores the password, refuses another intent, ignores foreign records', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'pf-localdir-'));
    try {
      const client = createLocalDirectoryProvider({ name: 'corp', stateDir });
      const req = { intent_id: 'i1', server_id: 's1', name: 'LAB-1', container_dn: OU, dns_host_name: 'lab-1.corp', password: 'Secret-123' };
      const c = await client.create(req);
      expect(JSON.stringify(await client.entries())).not.toContain('Secret-123');
      await expect(client.create({ ...req, intent_id: 'i2' })).rejects.toThrow(/not created by intent i2/);
      await client.addForeign({ dn: `CN=KIDS,${OU}`, name: 'KIDS', server_id: null, intent_id: null, dns_host_name: null });
      expect((await client.observe(OU.toLowerCase())).map((x) => x.name)).toEqual(['LAB-1']);
      await client.delete(c, { recursive: false });
      expect(await client.observe(OU)).toEqual([]);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
