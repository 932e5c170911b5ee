// The provider clients of one configuration, built lazily per provider config
// name: VmProvider `local` → local VMs, `aws` → EC2, `azure` → Azure VMs,
// `gcp` → Compute Engine, `openstack` → Nova, `proxmox` → Proxmox VE, `nutanix` → Nutanix AHV (Prism Central v3), `vsphere` → vCenter, `kubevirt` / `harvester` → KubeVirt VirtualMachines, `digital_ocean` → Droplets, `oci` → OCI Compute; DnsProvider `local` → hosts file, `route53` →
// Route 53, `azure` → Azure DNS, `gcp` → Cloud DNS, `digital_ocean` → DigitalOcean DNS, `oci` → OCI DNS;
// LdapConfig → LDAPS directory. Secret
// references (access keys, bind password, CA certificate) are resolved when a
// client is first built, so `plan --refresh=false` and unused providers never
// need them. Factories are injectable (tests, fault injection, benchmarks).
import { dirname, join } from 'node:path';
import type { Config } from '../config/model.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { DnsProvider, LdapConfig, VmProvider } from '../generated/config.ts';
import { PoolformError, isPoolformError } from '../util/errors.ts';
import type { AwsCredentials, Ec2VmProviderOptions } from './aws-ec2/index.ts';
import type { AzureVmProviderOptions } from './azure/index.ts';
import type { AzureDnsProviderOptions } from './azure-dns/index.ts';
import type { GcpVmProviderOptions } from './gcp/index.ts';
import type { GcpDnsProviderOptions } from './gcp-dns/index.ts';
import type { DoVmProviderOptions } from './digital-ocean/index.ts';
import type { DoDnsProviderOptions } from './digital-ocean-dns/index.ts';
import type { OpenStackVmProviderOptions } from './openstack/index.ts';
import type { KubevirtVmProviderOptions } from './kubevirt/index.ts';
import type { HarvesterVmProviderOptions } from './harvester/index.ts';
import type { ProxmoxVmProviderOptions } from './proxmox/index.ts';
import type { NutanixVmProviderOptions } from './nutanix/index.ts';
import type { VsphereVmProviderOptions } from './vsphere/index.ts';
import type { OciVmProviderOptions } from './oci/index.ts';
import type { OciDnsProviderOptions } from './oci-dns/index.ts';
import type { LdapDirectoryProviderOptions } from './ldap/index.ts';
import { createLocalDnsProvider } from './local/dns.ts';
import type { LocalDnsProviderOptions } from './local/dns.ts';
import { createLocalVmProvider } from './local/vm.ts';
import type { LocalVmProviderOptions } from './local/vm.ts';
import type { Route53DnsProviderOptions } from './route53/index.ts';
import { lazyDirectoryFactory, lazyDnsFactory, lazyVmFactory } from './lazy-client.ts';
import type { DirectoryProviderClient, DnsProviderClient, VmProviderClient } from './types.ts';
import { findDnsProvider, findLdapConfig, findVmProvider } from '../config/lookup.ts';

/** How each kind of client is built. Defaults: the real implementations. */
export interface ProviderFactories {
  localVm(options: LocalVmProviderOptions): VmProviderClient;
  awsVm(options: Ec2VmProviderOptions): VmProviderClient;
  azureVm(options: AzureVmProviderOptions): VmProviderClient;
  gcpVm(options: GcpVmProviderOptions): VmProviderClient;
  digitalOceanVm(options: DoVmProviderOptions): VmProviderClient;
  openstackVm(options: OpenStackVmProviderOptions): VmProviderClient;
  kubevirtVm(options: KubevirtVmProviderOptions): VmProviderClient;
  harvesterVm(options: HarvesterVmProviderOptions): VmProviderClient;
  proxmoxVm(options: ProxmoxVmProviderOptions): VmProviderClient;
  nutanixVm(options: NutanixVmProviderOptions): VmProviderClient;
  vsphereVm(options: VsphereVmProviderOptions): VmProviderClient;
  ociVm(options: OciVmProviderOptions): VmProviderClient;
  localDns(options: LocalDnsProviderOptions): DnsProviderClient;
  route53(options: Route53DnsProviderOptions): DnsProviderClient;
  azureDns(options: AzureDnsProviderOptions): DnsProviderClient;
  gcpDns(options: GcpDnsProviderOptions): DnsProviderClient;
  digitalOceanDns(options: DoDnsProviderOptions): DnsProviderClient;
  ociDns(options: OciDnsProviderOptions): DnsProviderClient;
  ldap(options: LdapDirectoryProviderOptions): DirectoryProviderClient;
}

/**
 * The real implementations. Providers with an SDK are imported on first use
 * (lazy-client.ts), so a command loads only the SDKs its configuration uses:
 * a new provider's factory is `lazyVmFactory('<kind>', async () => (await import('./<dir>/index.ts')).create...)`,
 * never a static import of its module.
 */
export const defaultProviderFactories: ProviderFactories = {
  localVm: createLocalVmProvider,
  awsVm: lazyVmFactory('aws', async () => (await import('./aws-ec2/index.ts')).createEc2VmProvider),
  azureVm: lazyVmFactory('azure', async () => (await import('./azure/index.ts')).createAzureVmProvider),
  gcpVm: lazyVmFactory('gcp', async () => (await import('./gcp/index.ts')).createGcpVmProvider),
  digitalOceanVm: lazyVmFactory('digital_ocean', async () => (await import('./digital-ocean/index.ts')).createDigitalOceanVmProvider),
  openstackVm: lazyVmFactory('openstack', async () => (await import('./openstack/index.ts')).createOpenStackVmProvider),
  kubevirtVm: lazyVmFactory('kubevirt', async () => (await import('./kubevirt/index.ts')).createKubevirtVmProvider),
  harvesterVm: lazyVmFactory('harvester', async () => (await import('./harvester/index.ts')).createHarvesterVmProvider),
  proxmoxVm: lazyVmFactory('proxmox', async () => (await import('./proxmox/index.ts')).createProxmoxVmProvider),
  nutanixVm: lazyVmFactory('nutanix', async () => (await import('./nutanix/index.ts')).createNutanixVmProvider),
  vsphereVm: lazyVmFactory('vsphere', async () => (await import('./vsphere/index.ts')).createVsphereVmProvider),
  ociVm: lazyVmFactory('oci', async () => (await import('./oci/index.ts')).createOciVmProvider),
  localDns: createLocalDnsProvider,
  route53: lazyDnsFactory('route53', async () => (await import('./route53/index.ts')).createRoute53DnsProvider),
  azureDns: lazyDnsFactory('azure', async () => (await import('./azure-dns/index.ts')).createAzureDnsProvider),
  gcpDns: lazyDnsFactory('gcp', async () => (await import('./gcp-dns/index.ts')).createGcpDnsProvider),
  digitalOceanDns: lazyDnsFactory('digital_ocean', async () => (await import('./digital-ocean-dns/index.ts')).createDigitalOceanDnsProvider),
  ociDns: lazyDnsFactory('oci', async () => (await import('./oci-dns/index.ts')).createOciDnsProvider),
  ldap: lazyDirectoryFactory('ldap', async () => (await import('./ldap/index.ts')).createLdapDirectoryProvider),
};

export interface ProviderRegistryOptions {
  config: Config;
  /** The state path (local providers keep their VMs and hosts file under it). */
  stateDir: string;
  /** For `${env:...}` secret references (the CLI passes ctx.env). */
  env: Readonly<Record<string, string | undefined>>;
  factories?: Partial<ProviderFactories>;
  /** Extra options for local VM providers (spawn, clock, script environment). */
  localVm?: Pick<LocalVmProviderOptions, 'spawn' | 'clock' | 'env'>;
  /** Reads `${file:...}` secrets (default: the file system). */
  readFile?: (path: string) => string;
  /**
   * Where providers' warnings go (e.g. LDAP's tls_insecure_skip_verify): the CLI's stderr,
   * the daemon's logger. Default: the LDAP provider's own (process.emitWarning).
   */
  warn?: (message: string) => void;
}

/** Provider clients by provider config name. Unknown names throw PoolformError (`unknown-vm-provider`, `unknown-dns-provider`, `unknown-ldap-config`). */
export interface ProviderRegistry {
  readonly config: Config;
  readonly stateDir: string;
  vm(name: string): VmProviderClient;
  dns(name: string): DnsProviderClient;
  directory(name: string): DirectoryProviderClient;
  vmConfig(name: string): VmProvider;
  dnsConfig(name: string): DnsProvider;
  ldapConfig(name: string): LdapConfig;
}

export function createProviderRegistry(options: ProviderRegistryOptions): ProviderRegistry {
  const { config, stateDir } = options;
  const factories: ProviderFactories = { ...defaultProviderFactories, ...options.factories };
  const vms = new Map<string, VmProviderClient>();
  const dnss = new Map<string, DnsProviderClient>();
  const directories = new Map<string, DirectoryProviderClient>();

  const vmConfig = (name: string): VmProvider => {
    const found = findVmProvider(config, name);
    if (!found) throw new PoolformError('unknown-vm-provider', `VmProvider ${JSON.stringify(name)} is not defined in the configuration`);
    return found;
  };
  const dnsConfig = (name: string): DnsProvider => {
    const found = findDnsProvider(config, name);
    if (!found) throw new PoolformError('unknown-dns-provider', `DnsProvider ${JSON.stringify(name)} is not defined in the configuration`);
    return found;
  };
  const ldapConfig = (name: string): LdapConfig => {
    const found = findLdapConfig(config, name);
    if (!found) throw new PoolformError('unknown-ldap-config', `LdapConfig ${JSON.stringify(name)} is not defined in the configuration`);
    return found;
  };

  // `${file:...}` paths are relative to the file that holds the reference.
  const secret = (kind: string, name: string, field: string, value: string): string => {
    const source = config.sources[`${kind}/${name}`];
    const baseDir = source ? dirname(join(config.dir, source.file)) : config.dir;
    try {
      return resolveSecret(value, { env: options.env, baseDir, ...(options.readFile ? { readFile: options.readFile } : {}) });
    } catch (error) {
      if (isPoolformError(error)) throw new PoolformError(error.code, `${kind} ${name}: ${field}: ${error.message}`, { cause: error });
      throw error;
    }
  };

  const awsCredentials = (kind: string, p: { name: string; access_key_id?: string; secret_access_key?: string }): AwsCredentials | undefined => {
    if (p.access_key_id === undefined && p.secret_access_key === undefined) return undefined;
    if (p.access_key_id === undefined || p.secret_access_key === undefined) {
      throw new PoolformError('provider-config', `${kind} ${p.name}: set both access_key_id and secret_access_key, or neither (default credential chain)`);
    }
    return {
      accessKeyId: secret(kind, p.name, 'access_key_id', p.access_key_id),
      secretAccessKey: secret(kind, p.name, 'secret_access_key', p.secret_access_key),
    };
  };

  // OCI API signing key (PEM, usually ${file:}) and its optional passphrase.
  const ociSecrets = (kind: string, p: { name: string; private_key: string; private_key_passphrase?: string }): { privateKey: string; passphrase?: string } => {
    const privateKey = secret(kind, p.name, 'private_key', p.private_key);
    const passphrase = p.private_key_passphrase === undefined ? undefined : secret(kind, p.name, 'private_key_passphrase', p.private_key_passphrase);
    return { privateKey, ...(passphrase !== undefined ? { passphrase } : {}) };
  };

  const lazy = <C>(cache: Map<string, C>, name: string, build: () => C): C => {
    let client = cache.get(name);
    if (!client) {
      client = build();
      cache.set(name, client);
    }
    return client;
  };

  return {
    config,
    stateDir,
    vmConfig,
    dnsConfig,
    ldapConfig,

    vm: (name) =>
      lazy(vms, name, () => {
        const p = vmConfig(name);
        switch (p.type) {
          case 'local':
            return factories.localVm({ config: p, stateDir, ...options.localVm });
          case 'aws': {
            const credentials = awsCredentials('VmProvider', p);
            return factories.awsVm({ config: p, ...(credentials ? { credentials } : {}) });
          }
          case 'azure': {
            const clientSecret = p.client_secret === undefined ? undefined : secret('VmProvider', name, 'client_secret', p.client_secret);
            const adminPassword = p.admin_password === undefined ? undefined : secret('VmProvider', name, 'admin_password', p.admin_password);
            return factories.azureVm({
              config: p,
              secrets: { ...(clientSecret !== undefined ? { clientSecret } : {}), ...(adminPassword !== undefined ? { adminPassword } : {}) },
            });
          }
          case 'gcp': {
            // No credentials_json: Application Default Credentials.
            const credentialsJson = p.credentials_json === undefined ? undefined : secret('VmProvider', name, 'credentials_json', p.credentials_json);
            return factories.gcpVm({ config: p, ...(credentialsJson !== undefined ? { credentialsJson } : {}) });
          }
          case 'digital_ocean':
            return factories.digitalOceanVm({ config: p, token: secret('VmProvider', name, 'token', p.token) });
          case 'oci':
            return factories.ociVm({ config: p, secrets: ociSecrets('VmProvider', p) });
          case 'kubevirt':
          case 'harvester': {
            // kubeconfig / token / ca_cert are secret references (usually ${file:}), resolved here.
            const resolve = (field: string, value: string | undefined): string | undefined =>
              value === undefined ? undefined : secret('VmProvider', name, field, value);
            const kubeconfig = resolve('kubeconfig', p.kubeconfig);
            const token = resolve('token', p.token);
            const caCert = resolve('ca_cert', p.ca_cert);
            const secrets = {
              ...(kubeconfig !== undefined ? { kubeconfig } : {}),
              ...(token !== undefined ? { token } : {}),
              ...(caCert !== undefined ? { caCert } : {}),
            };
            const warn = options.warn ? { warn: options.warn } : {};
            return p.type === 'kubevirt' ? factories.kubevirtVm({ config: p, secrets, ...warn }) : factories.harvesterVm({ config: p, secrets, ...warn });
          }
          case 'openstack': {
            // Secret references are resolved here; ca_cert (inline PEM or ${file:}) the same way.
            const resolve = (field: string, value: string | undefined): string | undefined =>
              value === undefined ? undefined : secret('VmProvider', name, field, value);
            const password = resolve('password', p.password);
            const applicationCredentialId = resolve('application_credential_id', p.application_credential_id);
            const applicationCredentialSecret = resolve('application_credential_secret', p.application_credential_secret);
            const caCert = resolve('ca_cert', p.ca_cert);
            return factories.openstackVm({
              config: p,
              secrets: {
                ...(password !== undefined ? { password } : {}),
                ...(applicationCredentialId !== undefined ? { applicationCredentialId } : {}),
                ...(applicationCredentialSecret !== undefined ? { applicationCredentialSecret } : {}),
                ...(caCert !== undefined ? { caCert } : {}),
              },
              ...(options.warn ? { warn: options.warn } : {}),
            });
          }
          case 'nutanix': {
            // username (plain or a reference), password and ca_cert (inline PEM or ${file:}) are resolved here.
            const caCert = p.ca_cert === undefined ? undefined : secret('VmProvider', name, 'ca_cert', p.ca_cert);
            return factories.nutanixVm({
              config: p,
              secrets: {
                username: secret('VmProvider', name, 'username', p.username),
                password: secret('VmProvider', name, 'password', p.password),
                ...(caCert !== undefined ? { caCert } : {}),
              },
              ...(options.warn ? { warn: options.warn } : {}),
            });
          }
          case 'proxmox': {
            // token_secret is a secret reference; ca_cert (inline PEM or ${file:}) is resolved the same way.
            const caCert = p.ca_cert === undefined ? undefined : secret('VmProvider', name, 'ca_cert', p.ca_cert);
            return factories.proxmoxVm({
              config: p,
              secrets: { tokenSecret: secret('VmProvider', name, 'token_secret', p.token_secret), ...(caCert !== undefined ? { caCert } : {}) },
              ...(options.warn ? { warn: options.warn } : {}),
            });
          }
          case 'vsphere': {
            // password is a secret reference; ca_cert (inline PEM or ${file:}) is resolved the same way.
            const caCert = p.ca_cert === undefined ? undefined : secret('VmProvider', name, 'ca_cert', p.ca_cert);
            return factories.vsphereVm({
              config: p,
              secrets: { password: secret('VmProvider', name, 'password', p.password), ...(caCert !== undefined ? { caCert } : {}) },
              ...(options.warn ? { warn: options.warn } : {}),
            });
          }
          default: {
            const never: never = p;
            throw new PoolformError('unknown-provider-type', `VmProvider ${name}: unknown type ${JSON.stringify((never as { type: unknown }).type)}`);
          }
        }
      }),

    dns: (name) =>
      lazy(dnss, name, () => {
        const p = dnsConfig(name);
        switch (p.type) {
          case 'local':
            return factories.localDns({ config: p, stateDir });
          case 'route53': {
            const credentials = awsCredentials('DnsProvider', p);
            return factories.route53({ config: p, ...(credentials ? { credentials } : {}) });
          }
          case 'azure': {
            const clientSecret = p.client_secret === undefined ? undefined : secret('DnsProvider', name, 'client_secret', p.client_secret);
            return factories.azureDns({ config: p, ...(clientSecret !== undefined ? { clientSecret } : {}) });
          }
          case 'gcp': {
            const credentialsJson = p.credentials_json === undefined ? undefined : secret('DnsProvider', name, 'credentials_json', p.credentials_json);
            return factories.gcpDns({ config: p, ...(credentialsJson !== undefined ? { credentialsJson } : {}) });
          }
          case 'oci':
            return factories.ociDns({ config: p, secrets: ociSecrets('DnsProvider', p) });
          case 'digital_ocean':
            return factories.digitalOceanDns({ config: p, token: secret('DnsProvider', name, 'token', p.token) });
          default: {
            const never: never = p;
            throw new PoolformError('unknown-provider-type', `DnsProvider ${name}: unknown type ${JSON.stringify((never as { type: unknown }).type)}`);
          }
        }
      }),

    directory: (name) =>
      lazy(directories, name, () => {
        const p = ldapConfig(name);
        const bindPassword = secret('LdapConfig', name, 'bind_password', p.bind_password);
        const caCert = p.ca_cert === undefined ? undefined : secret('LdapConfig', name, 'ca_cert', p.ca_cert);
        return factories.ldap({
          config: p,
          bindPassword,
          ...(caCert === undefined ? {} : { caCert }),
          ...(options.warn ? { warn: options.warn } : {}),
        });
      }),
  };
}

/** Replaces clients as they are handed out (instrumentation, fault injection). Each wrapper runs once per provider name. */
export interface ClientWrappers {
  vm?(client: VmProviderClient): VmProviderClient;
  dns?(client: DnsProviderClient): DnsProviderClient;
  directory?(client: DirectoryProviderClient): DirectoryProviderClient;
}

/** A registry handing out wrapped clients of `registry`. */
export function wrapRegistry(registry: ProviderRegistry, wrappers: ClientWrappers): ProviderRegistry {
  const vms = new Map<string, VmProviderClient>();
  const dnss = new Map<string, DnsProviderClient>();
  const directories = new Map<string, DirectoryProviderClient>();
  const memo = <C>(cache: Map<string, C>, name: string, get: () => C, wrap: ((c: C) => C) | undefined): C => {
    let client = cache.get(name);
    if (!client) {
      const inner = get();
      client = wrap ? wrap(inner) : inner;
      cache.set(name, client);
    }
    return client;
  };
  return {
    config: registry.config,
    stateDir: registry.stateDir,
    vmConfig: (name) => registry.vmConfig(name),
    dnsConfig: (name) => registry.dnsConfig(name),
    ldapConfig: (name) => registry.ldapConfig(name),
    vm: (name) => memo(vms, name, () => registry.vm(name), wrappers.vm?.bind(wrappers)),
    dns: (name) => memo(dnss, name, () => registry.dns(name), wrappers.dns?.bind(wrappers)),
    directory: (name) => memo(directories, name, () => registry.directory(name), wrappers.directory?.bind(wrappers)),
  };
}
