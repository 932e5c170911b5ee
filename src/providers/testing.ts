// Test helpers for provider-layer tests: a minimal loaded Config built in code
// (no YAML), with one local VM provider, one local DNS provider and one LDAP
// config, plus a pool whose autoscale config uses them.
import type { Config, Pool } from '../config/model.ts';
import type { AutoscaleConfig } from '../generated/config.ts';

export function testAutoscale(over: Partial<AutoscaleConfig> = {}): AutoscaleConfig {
  return { name: 'default', vm_provider: 'local', ...over };
}

export function testPool(name: string, autoscale: AutoscaleConfig[]): Pool {
  return { kind: 'Pool', name, type: 'server', autoscale };
}

export function testConfig(over: Partial<Config> = {}): Config {
  return {
    dir: '/nonexistent/config',
    settings: { kind: 'Settings' },
    zones: [],
    vmProviders: [{ kind: 'VmProvider', name: 'local', type: 'local', max_instances: 5, startup_script: 'echo hi\n' }],
    dnsProviders: [{ kind: 'DnsProvider', name: 'hosts', type: 'local' }],
    ldapConfigs: [
      {
        kind: 'LdapConfig',
        name: 'corp',
        url: 'ldaps://127.0.0.1:636',
        bind_dn: 'CN=Administrator,CN=Users,DC=corp,DC=example,DC=com',
        bind_password: '${env:LDAP_PW}',
        search_base: 'DC=corp,DC=example,DC=com',
      },
    ],
    workspaces: [],
    pools: [
      testPool('lab', [
        testAutoscale({
          register_dns: true,
          dns_provider: 'hosts',
          base_domain_name: 'Desk.Example.com',
          ad_create_machine_record: true,
          ldap_config: 'corp',
          ad_computer_container_dn: 'OU=Pool,DC=corp,DC=example,DC=com',
        }),
      ]),
    ],
    sources: {},
    ...over,
  };
}
