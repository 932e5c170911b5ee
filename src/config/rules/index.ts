// Every semantic rule, in the order they run. Each rule lives in its own
// module with its stable diagnostic code(s) and its own test.
import type { Rule } from './context.ts';
import { duplicateNames, singleSettings } from './names.ts';
import { references } from './references.ts';
import { autoscaleTypeMatches, poolTypeFields } from './pool-type.ts';
import { connectionTypeFields, connectionTypeRequired, sessionsPerServer } from './connection.ts';
import { startupScriptVariables, userDataSize } from './startup-script.ts';
import { azureProviders } from './azure.ts';
import { gcpProviders } from './gcp.ts';
import { ociProviders } from './oci.ts';
import { openstackProviders } from './openstack.ts';
import { proxmoxProviders } from './proxmox.ts';
import { nutanixProviders } from './nutanix.ts';
import { kubevirtProviders } from './kubevirt.ts';
import { vsphereProviders } from './vsphere.ts';
import { sshKeys } from './ssh-key.ts';
import { sshKeyFields } from './ssh-key-fields.ts';
import { certificates } from './certificates.ts';
import { activeDirectory } from './active-directory.ts';
import { ldapTls } from './ldap.ts';
import { registerDns } from './dns.ts';
import { stateBackend } from './settings.ts';
import { secretReferences } from './secrets.ts';
import { schedules } from './schedules.ts';
import { scheduleTargets } from './schedule-targets.ts';
import { stagingFits } from './staging-fit.ts';

export const RULES: readonly Rule[] = [
  singleSettings,
  duplicateNames,
  references,
  autoscaleTypeMatches,
  poolTypeFields,
  connectionTypeRequired,
  connectionTypeFields,
  sessionsPerServer,
  startupScriptVariables,
  userDataSize,
  azureProviders,
  gcpProviders,
  ociProviders,
  openstackProviders,
  proxmoxProviders,
  nutanixProviders,
  kubevirtProviders,
  vsphereProviders,
  sshKeys,
  sshKeyFields,
  certificates,
  activeDirectory,
  ldapTls,
  registerDns,
  stateBackend,
  secretReferences,
  schedules,
  scheduleTargets,
  stagingFits,
];

/** Every diagnostic code validate can report, for docs and tests. */
export const DIAGNOSTIC_CODES = {
  'config-dir-missing': 'the config directory does not exist or is not a directory',
  'config-dir-unreadable': 'the config directory cannot be listed',
  'internal-error': 'a validation rule failed (a bug; please report it)',
  'no-config-files': 'no *.yaml / *.yml files under the directory',
  'no-config-documents': 'YAML files that are all empty (no documents): refused, not read as an empty configuration',
  'config-too-large': 'over a load budget (bytes per file or in total, YAML nodes, depth, keys per mapping, schedules, template size), naming the budget',
  'file-unreadable': 'a file that cannot be read',
  'not-text': 'a binary file (NUL bytes)',
  'not-utf8': 'a file that is not UTF-8',
  'yaml-syntax': 'YAML syntax error',
  'yaml-warning': 'YAML warning (warning)',
  'yaml-alias-limit': 'too many alias expansions (billion laughs)',
  'yaml-alias-cycle': 'an alias inside the node it refers to (a circular structure)',
  schema: 'the document does not match the JSON Schema',
  'duplicate-name': 'two objects of one kind (or in one pool) share a name',
  'multiple-settings': 'more than one Settings document',
  'unknown-reference': 'a referenced object does not exist',
  'autoscale-type-mismatch': "autoscale_type differs from the pool's type",
  'field-not-for-pool-type': 'a field of the other pool type',
  'connection-type-required': 'a server pool autoscale config without connection_type',
  'field-not-for-connection-type': 'an SSH-only field on a non-SSH connection',
  'sessions-per-server': 'more than one session per server on a non-reusable or non-RDP/SSH config',
  'unknown-template-variable': 'an unknown {variable} in a startup script',
  'template-stray-brace': 'a single { or } in a startup script (warning)',
  'user-data-too-large':
    'an aws startup script above 16,384 bytes (azure: 65,535 bytes of customData; gcp: 262,144 bytes per metadata value; digital_ocean: 65,536 bytes of user_data; oci: 24,000 bytes, i.e. 32,000 base64 bytes of metadata; openstack: 49,149 bytes, i.e. 65,535 base64 characters of user_data; proxmox: 61,440 bytes of guest-agent file-write content; nutanix: 65,536 bytes of guest customization, a bound set by poolform; vsphere: 524,288 bytes of CloudinitPrep userdata; kubevirt / harvester: 1,048,576 bytes of Secret data) when rendered with worst-case values',
  'azure-credentials': 'an azure provider with client_secret but no client_id, or with both use_managed_identity and client_secret',
  'azure-admin-password-required': 'an azure VM provider for Windows without admin_password',
  'azure-linux-login': 'an azure VM provider for Linux with neither ssh_public_key nor admin_password',
  'azure-ssh-key-windows': 'ssh_public_key on an azure VM provider for Windows',
  'azure-subnet-subscription': 'an azure subnet_id in another subscription than subscription_id',
  'gcp-metadata-reserved': 'a gcp metadata key poolform sets itself (startup-script, windows-startup-script-ps1, sysprep-specialize-script-ps1, poolform-*)',
  'gcp-metadata-too-large': "a gcp provider's metadata (extra items plus the startup script rendered with worst-case values) at or above 512 KB in total",
  'gcp-subnetwork-region': "a gcp subnetwork in another region than the zone's",
  'gcp-scopes-without-service-account': 'gcp scopes without service_account_email',
  'ssh-key-invalid': 'an SSH key that is not RSA PKCS#1 PEM, 2048 bits',
  'ssh-key-unchecked': 'an SSH key file that cannot be read (warning)',
  'ssh-key-conflict': 'connection_private_key / connection_passphrase beside use_user_private_key: true',
  'ssh-passphrase-without-key': 'connection_passphrase without connection_private_key',
  'certificate-invalid': 'ca_cert / nginx_cert that is not a readable PEM certificate',
  'ad-config-incomplete': 'AD computer records without ldap_config or ad_computer_container_dn',
  'ldaps-required': 'AD computer records with an ldap:// LdapConfig',
  'tls-insecure':
    'tls_insecure_skip_verify (LdapConfig) or insecure_skip_verify (openstack / proxmox / nutanix / vsphere / kubevirt / harvester VmProvider) is on (warning)',
  'oci-shape-config': 'an oci flexible shape (*.Flex) without shape_config, or shape_config on a fixed shape',
  'oci-metadata-too-large':
    "an oci provider's metadata (the startup script in base64, rendered with worst-case values, plus ssh_authorized_keys) above 32,000 bytes",
  'oci-availability-domain-region': 'an oci availability_domain outside the region',
  'openstack-auth-incomplete':
    'an openstack provider missing what its auth_type needs (password: username, password, project_name or project_id; v3applicationcredential: application_credential_id and _secret)',
  'openstack-auth-mixed': 'an openstack provider with settings of the other auth_type (or both project_name and project_id)',
  'openstack-volume-settings': 'volume_size_gb / volume_type without boot_from_volume, or boot_from_volume without volume_size_gb',
  'kubevirt-credentials':
    'a kubevirt / harvester provider without exactly one of kubeconfig, api_server with token, in_cluster (or token / context without what they go with)',
  'kubevirt-disk-settings': 'a kubevirt CDI boot source without disk_size, or storage_class / disk_size with container_disk',
  'kubevirt-labels-reserved': 'a kubevirt / harvester label key under poolform.io/ (the ownership markers)',
  'kubevirt-ssh-key-unused': 'a kubevirt / harvester ssh_key with a startup script that is not #cloud-config (warning)',
  'proxmox-tags-reserved': 'a proxmox tags entry that is poolform or starts with pf- (the ownership markers)',
  'nutanix-categories-reserved': 'a nutanix categories key starting with Poolform (the ownership markers)',
  'proxmox-storage-linked': "a proxmox storage without full_clone: true (linked clones stay on the template's storage)",
  'vsphere-placement': 'a vsphere provider without exactly one of resource_pool and cluster',
  'vsphere-name-too-long':
    'a pool / autoscale config on a vsphere provider whose VM names (hostname, marker, pool, autoscale, server id) can exceed 80 characters',
  'openstack-metadata-reserved': 'an openstack metadata key starting with poolform: (the ownership markers)',
  'register-dns-incomplete': 'register_dns without dns_provider or base_domain_name',
  'postgres-url-required': 'state backend postgres without state.url',
  'plaintext-secret': 'a secret field holding plaintext (warning with allow_plaintext_secrets)',
  'secret-ref-invalid': 'a malformed ${...} secret reference',
  'schedule-timezone': 'an unknown IANA time zone',
  'schedule-time': 'a time that is not HH:MM',
  'schedule-empty-window': 'start equals end',
  'schedule-no-days': 'a schedule without days',
  'schedule-gap': 'chained schedules leave a one-minute gap (warning)',
  'schedule-staging-unknown': "a window's staging_num_sessions names a staging config that does not use this autoscale config",
  'schedule-cap-above-provider': "a window's max_instances above the VM provider's (warning: it only lowers the cap)",
  'prewarm-needs-checkin': 'prewarm auto with require_checkin false (nothing checks in to learn boot times from)',
  'staging-does-not-fit': 'a staged workspace needs more cores, memory or GPUs than one agent offers',
} as const;
