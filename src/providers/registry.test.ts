import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isPoolformError } from '../util/errors.ts';
import type { Ec2VmProviderOptions } from './aws-ec2/index.ts';
import type { LdapDirectoryProviderOptions } from './ldap/index.ts';
import { createProviderRegistry } from './registry.ts';
import type { Route53DnsProviderOptions } from './route53/index.ts';
import { testConfig } from './testing.ts';
import type { DirectoryProviderClient, DnsProviderClient, VmProviderClient } from './types.ts';

const fakeVm = (name: string): VmProviderClient => ({
  kind: 'aws',
  name,
  observe: async () => [],
  create: async () => {
    throw new Error('not used');
  },
  destroy: async () => [],
  capacity: async () => undefined,
});
const fakeDns = (name: string): DnsProviderClient => ({ kind: 'route53', name, observe: async () => [], upsert: async () => [], delete: async () => [] });
const fakeDir = (name: string): DirectoryProviderClient => ({
  kind: 'ldap',
  name,
  observe: async () => [],
  create: async () => {
    throw new Error('not used');
  },
  delete: async () => {},
});

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return isPoolformError(error) ? error.code : 'not-a-poolform-error';
  }
  return undefined;
};

describe('provider registry', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'pf-registry-'));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  it('builds local clients lazily, once per name', async () => {
    const registry = createProviderRegistry({ config: testConfig(), stateDir, env: {} });
    const vm = registry.vm('local');
    expect(vm.kind).toBe('local');
    expect(vm.name).toBe('local');
    expect(registry.vm('local')).toBe(vm);
    expect(registry.dns('hosts').kind).toBe('local');
    expect(await vm.observe()).toEqual([]);
  });

  it('unknown names throw PoolformError with a clear code', () => {
    const registry = createProviderRegistry({ config: testConfig(), stateDir, env: {} });
    expect(codeOf(() => registry.vm('nope'))).toBe('unknown-vm-provider');
    expect(codeOf(() => registry.dns('nope'))).toBe('unknown-dns-provider');
    expect(codeOf(() => registry.directory('nope'))).toBe('unknown-ldap-config');
    expect(() => registry.vm('nope')).toThrow(/VmProvider "nope" is not defined/);
  });

  it('resolves secrets for aws, route53 and ldap, relative to the file holding them', async () => {
    const dir = stateDir;
    await writeFile(join(dir, 'ca.pem'), 'PEM DATA');
    const config = testConfig({
      dir,
      vmProviders: [
        {
          kind: 'VmProvider',
          name: 'ec2',
          type: 'aws',
          max_instances: 1,
          startup_script: '',
          aws_region: 'us-east-1',
          aws_ec2_ami_id: 'ami-1',
          aws_ec2_instance_type: 't3.micro',
          access_key_id: '${env:AK}',
          secret_access_key: '${env:SK}',
        },
        {
          kind: 'VmProvider',
          name: 'ec2-default-chain',
          type: 'aws',
          max_instances: 1,
          startup_script: '',
          aws_region: 'us-east-1',
          aws_ec2_ami_id: 'ami-1',
          aws_ec2_instance_type: 't3.micro',
        },
      ],
      dnsProviders: [{ kind: 'DnsProvider', name: 'r53', type: 'route53', access_key_id: '${env:AK}', secret_access_key: '${env:SK}' }],
      ldapConfigs: [
        {
          kind: 'LdapConfig',
          name: 'corp',
          url: 'ldaps://x',
          bind_dn: 'cn=a',
          bind_password: '${env:LDAP_PW}',
          search_base: 'DC=x',
          ca_cert: '${file:ca.pem}',
        },
      ],
      sources: { 'LdapConfig/corp': { file: 'ldap.yaml', line: 1, column: 1 } },
    });
    const seen: { ec2: Ec2VmProviderOptions[]; r53: Route53DnsProviderOptions[]; ldap: LdapDirectoryProviderOptions[] } = { ec2: [], r53: [], ldap: [] };
    const registry = createProviderRegistry({
      config,
      stateDir,
      env: { AK: 'AKIA-TEST', SK: 'sekrit', LDAP_PW: 'pw!' },
      factories: {
        awsVm: (o) => (seen.ec2.push(o), fakeVm(o.config.name)),
        route53: (o) => (seen.r53.push(o), fakeDns(o.config.name)),
        ldap: (o) => (seen.ldap.push(o), fakeDir(o.config.name)),
      },
    });
    expect(registry.vm('ec2').kind).toBe('aws');
    registry.vm('ec2-default-chain');
    registry.dns('r53');
    registry.directory('corp');
    expect(seen.ec2[0]?.credentials).toEqual({ accessKeyId: 'AKIA-TEST', secretAccessKey: 'sekrit' });
    expect(seen.ec2[1]?.credentials).toBeUndefined();
    expect(seen.r53[0]?.credentials).toEqual({ accessKeyId: 'AKIA-TEST', secretAccessKey: 'sekrit' });
    expect(seen.ldap[0]).toMatchObject({ bindPassword: 'pw!', caCert: 'PEM DATA' });
  });

  it('hands the injected warn to the LDAP provider (tls_insecure_skip_verify), not process.emitWarning', async () => {
    const config = {
      ...testConfig(),
      ldapConfigs: [
        {
          kind: 'LdapConfig' as const,
          name: 'corp',
          url: 'ldaps://dc.example',
          bind_dn: 'cn=a',
          bind_password: 'x',
          search_base: 'DC=x',
          tls_insecure_skip_verify: true,
        },
      ],
    };
    const warnings: string[] = [];
    const emitted: unknown[] = [];
    const onWarning = (w: unknown): number => emitted.push(w);
    process.on('warning', onWarning);
    try {
      const registry = createProviderRegistry({ config, stateDir, env: {}, warn: (m) => warnings.push(m) });
      registry.directory('corp');
      // The LDAP module is imported when the client is handed out (lazy-client.ts); it warns once built.
      await vi.waitFor(() => expect(warnings).toHaveLength(1));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/LdapConfig corp: tls_insecure_skip_verify/);
    expect(emitted).toEqual([]);
  });

  it('an unresolved secret names the reference and the provider, never a value', () => {
    const config = testConfig();
    const registry = createProviderRegistry({ config, stateDir, env: { OTHER: 'hunter2' }, factories: { ldap: (o) => fakeDir(o.config.name) } });
    let error: unknown;
    try {
      registry.directory('corp');
    } catch (e) {
      error = e;
    }
    expect(isPoolformError(error) && error.code).toBe('secret-unresolved');
    expect(String((error as Error).message)).toMatch(/^LdapConfig corp: bind_password: secret \$\{env:LDAP_PW\} is not set/);
    expect(String((error as Error).message)).not.toContain('hunter2');
    // a failed build is not cached: once the secret exists, it works
    const ok = createProviderRegistry({ config, stateDir, env: { LDAP_PW: 'x' }, factories: { ldap: (o) => fakeDir(o.config.name) } });
    expect(ok.directory('corp').name).toBe('corp');
  });

  it('the real aws/route53/ldap entry points are used by default', () => {
    const config = testConfig({
      vmProviders: [
        {
          kind: 'VmProvider',
          name: 'ec2',
          type: 'aws',
          max_instances: 1,
          startup_script: '',
          aws_region: 'us-east-1',
          aws_ec2_ami_id: 'a',
          aws_ec2_instance_type: 't',
        },
      ],
    });
    const registry = createProviderRegistry({ config, stateDir, env: { LDAP_PW: 'x' } });
    // Either a working client or the entry point's own error: never silently a local provider.
    let kind: string;
    try {
      kind = registry.vm('ec2').kind;
    } catch (error) {
      kind = isPoolformError(error) ? error.code : 'error';
    }
    expect(['aws', 'not-implemented']).toContain(kind);
  });

  it('one half of an access key pair is a configuration error', () => {
    const config = testConfig({
      dnsProviders: [{ kind: 'DnsProvider', name: 'r53', type: 'route53', access_key_id: '${env:AK}' }],
    });
    const registry = createProviderRegistry({ config, stateDir, env: { AK: 'x' }, factories: { route53: (o) => fakeDns(o.config.name) } });
    expect(codeOf(() => registry.dns('r53'))).toBe('provider-config');
  });
});
