// The LDAPS directory provider against a real Samba AD domain controller:
// computer records with working join credentials, ownership, clear errors,
// and the shared directory conformance suite. One DC for the whole file
// (provisioning takes seconds); every test uses fresh random names.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { Attribute, Client } from 'ldapts';
import { describe, expect, it } from 'vitest';
import type { LdapConfig } from '../src/generated/config.ts';
import { defineDirectoryProviderConformance } from '../src/providers/conformance.ts';
import { createLdapDirectoryProvider, domainFromSearchBase, generateJoinPassword } from '../src/providers/ldap/index.ts';
import type { LdapDirectoryProviderOptions } from '../src/providers/ldap/index.ts';
import type { ComputerCreateRequest, DirectoryProviderClient } from '../src/providers/types.ts';
import { isPoolformError } from '../src/util/errors.ts';
import type { PoolformError } from '../src/util/errors.ts';
import { canBind, poolformDelegationSddl, requireSamba } from './support/samba.ts';
import { sambaForSuite } from './support/samba.ts';
import { testTimeout } from '../src/testing/timeouts.ts';

const enabled = requireSamba();
let conformanceOu = '';
const { need, started } = sambaForSuite(enabled, {}, async (dc) => {
  conformanceOu = await dc.createOu('Conformance');
});

const hex = (n: number): string => randomBytes(n).toString('hex');

function ldapConfig(over: Partial<LdapConfig> = {}): LdapConfig {
  const d = need();
  return {
    kind: 'LdapConfig',
    name: 'corp',
    url: d.url,
    bind_dn: d.bindDn,
    bind_password: '${env:AD_BIND_PASSWORD}',
    search_base: d.baseDn,
    connect_timeout_ms: 5_000,
    timeout_ms: 15_000,
    ...over,
  };
}

function provider(over: Partial<LdapConfig> = {}, options: Partial<LdapDirectoryProviderOptions> = {}): DirectoryProviderClient {
  const d = need();
  return createLdapDirectoryProvider({ config: ldapConfig(over), bindPassword: d.bindPassword, caCert: d.caCertPem, ...options });
}

function request(over: Partial<ComputerCreateRequest> = {}): ComputerCreateRequest {
  const d = need();
  const name = `PF-${hex(4)}`.toUpperCase();
  return {
    intent_id: `intent-${hex(6)}`,
    server_id: `srv-${hex(6)}`,
    name,
    container_dn: d.testOuDn,
    dns_host_name: `${name.toLowerCase()}.${d.realm.toLowerCase()}`,
    password: generateJoinPassword(),
    ...over,
  };
}

async function rejection(promise: Promise<unknown>): Promise<PoolformError> {
  try {
    await promise;
  } catch (error) {
    if (isPoolformError(error)) return error;
    throw new Error(`expected a PoolformError, got ${String(error)}`);
  }
  throw new Error('expected a rejection');
}

async function readComputer(dn: string): Promise<Record<string, unknown> | undefined> {
  const c = await need().adminClient();
  try {
    const { searchEntries } = await c.search(dn, {
      scope: 'base',
      attributes: ['objectClass', 'cn', 'sAMAccountName', 'userAccountControl', 'dNSHostName', 'description'],
    });
    return searchEntries[0];
  } catch (error) {
    if (error instanceof Error && error.constructor.name === 'NoSuchObjectError') return undefined;
    throw error;
  } finally {
    await c.unbind();
  }
}

/** A computer record made by hand (not poolform's), with a known password. */
async function addForeignComputer(name: string, ouDn: string, password = generateJoinPassword()): Promise<string> {
  const dn = `CN=${name},${ouDn}`;
  const c = await need().adminClient();
  try {
    await c.add(dn, [
      new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user', 'computer'] }),
      new Attribute({ type: 'cn', values: [name] }),
      new Attribute({ type: 'sAMAccountName', values: [`${name}$`] }),
      new Attribute({ type: 'userAccountControl', values: ['4096'] }),
      new Attribute({ type: 'description', values: ['made by hand'] }),
      new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }),
    ]);
  } finally {
    await c.unbind();
  }
  return dn;
}

defineDirectoryProviderConformance(
  'ldap (Samba AD DC)',
  async () => {
    if (!started()) return null;
    const ou = conformanceOu;
    return {
      client: provider(),
      containerDn: ou,
      createForeign: async (name) => {
        await addForeignComputer(name, ou);
      },
      foreignExists: async (name) => (await readComputer(`CN=${name},${ou}`)) !== undefined,
    };
  },
  { timeout: testTimeout(60_000) },
);

describe.skipIf(!enabled)('LDAPS directory provider against Samba AD', { timeout: testTimeout(60_000) }, () => {
  it('creates the computer object in the OU with the expected attributes, and the join credential binds', async () => {
    const d = need();
    const p = provider();
    const req = request();
    const created = await p.create(req);
    expect(created).toEqual({
      name: req.name,
      dn: `CN=${req.name},${d.testOuDn}`,
      server_id: req.server_id,
      intent_id: req.intent_id,
      dns_host_name: req.dns_host_name,
    });

    const entry = await readComputer(created.dn);
    expect(entry).toBeDefined();
    expect(entry?.['objectClass']).toContain('computer');
    expect(entry?.['cn']).toBe(req.name);
    expect(entry?.['sAMAccountName']).toBe(`${req.name}$`);
    expect(entry?.['userAccountControl']).toBe('4096');
    expect(entry?.['dNSHostName']).toBe(req.dns_host_name);
    expect(entry?.['description']).toBe(`poolform:managed server-id=${req.server_id} intent-id=${req.intent_id}`);

    // The join credential really works: a simple bind as NAME$@REALM.
    expect(await canBind(d, `${req.name}$@${d.realm}`, req.password)).toBe(true);
    expect(await canBind(d, `${req.name}$@${d.realm}`, `${req.password}x`)).toBe(false);
    expect(await canBind(d, `${req.name}$@${d.realm}`, generateJoinPassword())).toBe(false);

    await p.delete(created, { recursive: false });
    expect(await readComputer(created.dn)).toBeUndefined();
    expect(await canBind(d, `${req.name}$@${d.realm}`, req.password)).toBe(false);
  });

  it('create again with the same intent sets the new password on the one record', async () => {
    const d = need();
    const p = provider();
    const req = request();
    const first = await p.create(req);
    const secondPassword = generateJoinPassword();
    const again = await p.create({ ...req, password: secondPassword });
    expect(again.dn).toBe(first.dn);
    const upn = `${req.name}$@${d.realm}`;
    expect(await canBind(d, upn, secondPassword)).toBe(true);
    // (AD, and Samba, keep accepting the previous password for a while: "old password allowed period".)
    expect(await canBind(d, upn, generateJoinPassword())).toBe(false);
    const third = { ...req, password: generateJoinPassword(), intent_id: `intent-${hex(6)}` };
    // Same server, new intent (a replacement VM): still ours; the marker follows the latest intent.
    const replaced = await p.create(third);
    expect(replaced).toMatchObject({ dn: first.dn, intent_id: third.intent_id, server_id: req.server_id });
    expect(await canBind(d, upn, third.password)).toBe(true);
    expect((await p.observe(d.testOuDn)).filter((c) => c.name === req.name)).toEqual([
      { name: req.name, dn: first.dn, server_id: req.server_id, intent_id: third.intent_id, dns_host_name: req.dns_host_name },
    ]);
    await p.delete(first, { recursive: true });
  });

  it('observe pages through large OUs; concurrent creates of one intent give one record', async () => {
    const d = need();
    const ou = await d.createOu(`Paged-${hex(3)}`);
    const p = provider({}, { pageSize: 2 });
    const made = await Promise.all(Array.from({ length: 5 }, () => p.create(request({ container_dn: ou }))));
    await addForeignComputer(`FP-${hex(3)}`.toUpperCase(), ou);
    const seen = await p.observe(ou);
    expect(seen.map((c) => c.dn).sort()).toEqual(made.map((c) => c.dn).sort());

    const req = request({ container_dn: ou });
    const [a, b] = await Promise.all([p.create(req), p.create({ ...req, password: generateJoinPassword() })]);
    expect(a.dn).toBe(b.dn);
    expect((await p.observe(ou)).filter((c) => c.name === req.name)).toHaveLength(1);
  });

  it('observe finds an orphaned poolform record (no server knows it) and delete removes it; already gone is success', async () => {
    const d = need();
    // A record left behind by a crashed apply: marked, but no state refers to it.
    const orphanName = `OR-${hex(3)}`.toUpperCase();
    const dn = `CN=${orphanName},${d.testOuDn}`;
    const c = await d.adminClient();
    await c.add(dn, [
      new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user', 'computer'] }),
      new Attribute({ type: 'sAMAccountName', values: [`${orphanName}$`] }),
      new Attribute({ type: 'userAccountControl', values: ['4096'] }),
      new Attribute({ type: 'description', values: ['poolform:managed server-id=gone-1 intent-id=intent-gone'] }),
    ]);
    await c.unbind();
    const p = provider();
    const seen = await p.observe(d.testOuDn);
    const orphan = seen.find((x) => x.name === orphanName);
    expect(orphan).toEqual({ name: orphanName, dn, server_id: 'gone-1', intent_id: 'intent-gone', dns_host_name: null });
    if (!orphan) return;
    await p.delete(orphan, { recursive: false });
    expect(await readComputer(dn)).toBeUndefined();
    expect((await p.observe(d.testOuDn)).some((x) => x.name === orphanName)).toBe(false);
    await p.delete(orphan, { recursive: false });
  });

  it('never touches a record it did not create: not observed, not deleted, name collision reported', async () => {
    const d = need();
    const p = provider();
    const name = `FR-${hex(3)}`.toUpperCase();
    const foreignPassword = generateJoinPassword();
    const dn = await addForeignComputer(name, d.testOuDn, foreignPassword);
    expect((await p.observe(d.testOuDn)).some((x) => x.name === name)).toBe(false);

    const collision = await rejection(p.create(request({ name })));
    expect(collision.code).toBe('ldap-name-collision');
    expect(collision.message).toMatch(new RegExp(`record named ${name} already exists.*not poolform's: pick another name`));

    const refused = await rejection(p.delete({ name, dn, server_id: null, intent_id: null, dns_host_name: null }, { recursive: true }));
    expect(refused.code).toBe('ldap-not-owned');
    const still = await readComputer(dn);
    expect(still?.['description']).toBe('made by hand');
    // Its password was not reset.
    expect(await canBind(d, `${name}$@${d.realm}`, foreignPassword)).toBe(true);

    // sAMAccountName is unique domain-wide: a same-named computer in another container collides too.
    const elsewhere = `EL-${hex(3)}`.toUpperCase();
    await addForeignComputer(elsewhere, `CN=Computers,${d.baseDn}`);
    const other = await rejection(p.create(request({ name: elsewhere })));
    expect(other.code).toBe('ldap-name-collision');
    expect(await readComputer(`CN=${elsewhere},${d.testOuDn}`)).toBeUndefined();
  });

  it('a record of another poolform server with the same name is a collision too, and is not deleted for this server', async () => {
    const d = need();
    const p = provider();
    const a = request();
    const created = await p.create(a);
    const b = await rejection(p.create(request({ name: a.name })));
    expect(b.code).toBe('ldap-name-collision');
    expect(b.message).toContain(`belongs to another poolform server (server-id=${a.server_id})`);
    // A stale delete for another server id leaves the record alone.
    await p.delete({ ...created, server_id: 'someone-else' }, { recursive: false });
    expect(await readComputer(created.dn)).toBeDefined();
    await p.delete(created, { recursive: false });
  });

  it('deletes child objects with recursive cleanup; without it the error says so', async () => {
    const d = need();
    const p = provider();
    const req = request();
    const created = await p.create(req);
    const c = await d.adminClient();
    const childDn = `CN=poolform-child,${created.dn}`;
    try {
      // A service connection point: a typical child of a computer object.
      await c.add(childDn, { objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'], cn: 'poolform-child' });
    } finally {
      await c.unbind();
    }
    const notLeaf = await rejection(p.delete(created, { recursive: false }));
    expect(notLeaf.code).toBe('ldap-not-leaf');
    expect(notLeaf.message).toContain('ad_recursive_cleanup');
    await p.delete(created, { recursive: true });
    expect(await readComputer(created.dn)).toBeUndefined();
  });

  it('refuses a plain ldap:// URL with the reason (the server itself refuses plain binds)', async () => {
    const d = need();
    const plain = d.url.replace('ldaps://', 'ldap://').replace(':636', ':389');
    let thrown: unknown;
    try {
      provider({ url: plain });
    } catch (error) {
      thrown = error;
    }
    expect(isPoolformError(thrown) && thrown.code).toBe('ldap-requires-ldaps');
    expect(String((thrown as Error).message)).toMatch(/does not allow a computer's password to be set over an unencrypted connection/);
    // What AD (here Samba) does over plain LDAP.
    const c = new Client({ url: plain, timeout: 10_000, connectTimeout: 5_000 });
    await expect(c.bind(d.bindDn, d.bindPassword)).rejects.toThrow(/Transport encryption required|strong/i);
    await c.unbind().catch(() => undefined);
  });

  it('a bind password read from a file with a trailing newline still binds', async () => {
    const d = need();
    const p = createLdapDirectoryProvider({ config: ldapConfig(), bindPassword: `${d.bindPassword}\n`, caCert: d.caCertPem });
    expect(Array.isArray(await p.observe(d.testOuDn))).toBe(true);
  });

  it('bad bind credentials give a clear message without the password', async () => {
    const d = need();
    const wrong = `Wrong-${hex(6)}!`;
    const p = createLdapDirectoryProvider({ config: ldapConfig(), bindPassword: wrong, caCert: d.caCertPem });
    const e = await rejection(p.observe(d.testOuDn));
    expect(e.code).toBe('ldap-invalid-credentials');
    expect(e.message).toContain(`rejected the bind credentials for ${JSON.stringify(d.bindDn)}`);
    expect(e.message).toContain('check bind_dn and bind_password');
    expect(e.message).not.toContain(wrong);
    expect(JSON.stringify(e.details)).not.toContain(wrong);
    expect(String((e.cause as Error | undefined)?.message)).not.toContain(wrong);
    const unknownUser = createLdapDirectoryProvider({
      config: ldapConfig({ bind_dn: `CN=nobody,CN=Users,${d.baseDn}` }),
      bindPassword: d.bindPassword,
      caCert: d.caCertPem,
    });
    expect((await rejection(unknownUser.create(request()))).code).toBe('ldap-invalid-credentials');
  });

  it('insufficient rights on the OU name the missing right', async () => {
    const d = need();
    const restricted = createLdapDirectoryProvider({
      config: ldapConfig({ bind_dn: d.restrictedDn }),
      bindPassword: d.restrictedPassword,
      caCert: d.caCertPem,
    });
    const req = request();
    const create = await rejection(restricted.create(req));
    expect(create.code).toBe('ldap-insufficient-access');
    expect(create.message).toContain('"Create Computer objects');
    expect(create.message).toContain(d.testOuDn);
    expect(create.message).toContain(d.restrictedDn);
    expect(create.message).not.toContain(req.password);
    expect(await readComputer(`CN=${req.name},${d.testOuDn}`)).toBeUndefined();

    // Records the admin made for poolform: reset and delete are refused with their right named.
    const admin = provider();
    const ours = await admin.create(req);
    const reset = await rejection(restricted.create({ ...req, password: generateJoinPassword() }));
    expect(reset.code).toBe('ldap-insufficient-access');
    expect(reset.message).toContain('"Reset password');
    expect(await canBind(d, `${req.name}$@${d.realm}`, req.password)).toBe(true);
    const del = await rejection(restricted.delete(ours, { recursive: false }));
    expect(del.code).toBe('ldap-insufficient-access');
    expect(del.message).toContain('"Delete Computer objects"');
    expect(await readComputer(ours.dn)).toBeDefined();
    await admin.delete(ours, { recursive: false });
  });

  it('a bind account with exactly the delegation the README documents can create, reset and delete (recursively)', async () => {
    const d = need();
    const ou = await d.createOu(`Delegated-${hex(3)}`);
    const password = `Dg-${hex(8)}-Aa1`;
    const user = await d.createUser(`deleg-${hex(3)}`, password);
    await d.addAces(ou, poolformDelegationSddl(await d.sidOf(user)));
    const p = createLdapDirectoryProvider({ config: ldapConfig({ bind_dn: user }), bindPassword: password, caCert: d.caCertPem });
    // A dNSHostName outside the AD domain (e.g. the pool's base_domain_name) is allowed by the WP right.
    const req = request({ container_dn: ou, dns_host_name: 'desk-1.pool.example.net' });
    const created = await p.create(req);
    expect(await canBind(d, `${req.name}$@${d.realm}`, req.password)).toBe(true);
    const next = generateJoinPassword();
    await p.create({ ...req, password: next });
    expect(await canBind(d, `${req.name}$@${d.realm}`, next)).toBe(true);
    // A child object another tool put under the record (e.g. an SCP): recursive cleanup removes both.
    const c = await d.adminClient();
    await c.add(`CN=scp,${created.dn}`, { objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'], cn: 'scp' });
    await c.unbind();
    await p.delete(created, { recursive: true });
    expect(await readComputer(created.dn)).toBeUndefined();

    // Without "Delete subtree", cleaning up a record another account created names that right.
    const user2 = await d.createUser(`deleg-${hex(3)}`, password);
    const ou2 = await d.createOu(`Delegated-${hex(3)}`);
    await d.addAces(ou2, poolformDelegationSddl(await d.sidOf(user2), { deleteSubtree: false }));
    const p2 = createLdapDirectoryProvider({ config: ldapConfig({ bind_dn: user2 }), bindPassword: password, caCert: d.caCertPem });
    // Made by another account (the creator-owner of a computer object may delete its subtree anyway).
    const second = await provider().create(request({ container_dn: ou2 }));
    const c2 = await d.adminClient();
    await c2.add(`CN=scp,${second.dn}`, { objectClass: ['top', 'leaf', 'connectionPoint', 'serviceConnectionPoint'], cn: 'scp' });
    await c2.unbind();
    const e = await rejection(p2.delete(second, { recursive: true }));
    expect(e.code).toBe('ldap-insufficient-access');
    expect(e.message).toContain('"Delete subtree');
    await provider().delete(second, { recursive: true });
  });

  it('an OU that does not exist is reported as such', async () => {
    const d = need();
    const p = provider();
    const missing = `OU=Missing-${hex(3)},${d.baseDn}`;
    const create = await rejection(p.create(request({ container_dn: missing })));
    expect(create.code).toBe('ldap-ou-not-found');
    expect(create.message).toContain(`the OU ${missing} was not found`);
    expect(create.message).toContain('ad_computer_container_dn');
    expect((await rejection(p.observe(missing))).code).toBe('ldap-ou-not-found');
  });

  it('rejects names that break AD computer name rules before touching the directory', async () => {
    const p = provider();
    for (const name of ['THIS-NAME-IS-TOO-LONG', 'bad_name', 'has.dot', '-lead', '12345', '']) {
      expect((await rejection(p.create(request({ name })))).code).toBe('ad-invalid-computer-name');
    }
  });

  it('TLS: an untrusted certificate points at ca_cert; tls_insecure_skip_verify works and warns', async () => {
    const d = need();
    const noCa = createLdapDirectoryProvider({ config: ldapConfig(), bindPassword: d.bindPassword });
    const untrusted = await rejection(noCa.observe(d.testOuDn));
    expect(untrusted.code).toBe('ldap-tls-untrusted');
    expect(untrusted.message).toMatch(/not trusted.*set ca_cert/);
    const wrongCa = createLdapDirectoryProvider({ config: ldapConfig(), bindPassword: d.bindPassword, caCert: d.otherCaCertPem });
    expect((await rejection(wrongCa.observe(d.testOuDn))).code).toBe('ldap-tls-untrusted');

    const warnings: string[] = [];
    const insecure = createLdapDirectoryProvider({
      config: ldapConfig({ tls_insecure_skip_verify: true }),
      bindPassword: d.bindPassword,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('tls_insecure_skip_verify');
    expect(warnings[0]).not.toContain(d.bindPassword);
    expect(Array.isArray(await insecure.observe(d.testOuDn))).toBe(true);
  });

  it('connection refused and timeouts are clear and retryable', async () => {
    const refused = createLdapDirectoryProvider({ config: ldapConfig({ url: 'ldaps://127.0.0.1:1' }), bindPassword: 'x' });
    const e = await rejection(refused.observe('OU=x,DC=poolform,DC=test'));
    expect(e.code).toBe('ldap-unreachable');
    expect(e.message).toContain('connection refused');
    expect(e.retryable).toBe(true);

    // A server that accepts TCP and never answers the TLS handshake.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const slow = createLdapDirectoryProvider({ config: ldapConfig({ url: `ldaps://127.0.0.1:${port}`, connect_timeout_ms: 300 }), bindPassword: 'x' });
      const started = Date.now();
      const t = await rejection(slow.observe('OU=x,DC=poolform,DC=test'));
      expect(t.code).toBe('ldap-timeout');
      expect(t.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  it('derives the AD domain from the search base', () => {
    expect(domainFromSearchBase(need().baseDn)).toBe(need().realm.toLowerCase());
  });
});
