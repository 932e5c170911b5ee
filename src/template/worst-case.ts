// Worst-case values of the startup-script variables, used by validate to check
// that a rendered script fits a provider's limit (AWS user data: 16,384 bytes
// after substitution). Each value is as long as the real one can get.
import type { TemplateValues } from './startup-script.ts';

function sized(length: number, fill = 'x'): string {
  return fill.repeat(length);
}

export const WORST_CASE_LENGTHS = {
  server_id: 36, // UUID
  server_hostname: 15, // NetBIOS limit
  server_external_fqdn: 253, // longest DNS name
  checkin_jwt: 600, // HS256 JWT with claims, with headroom
  upstream_auth_address: 259, // 253-char host + ":65535"
  provider_name: 5, // "local"
  manager_token: 600, // a JWT like checkin_jwt (docker agents register with it)
  connection_username: 64,
  connection_password: 64,
  ad_join_credential: 64,
  domain: 253,
  // The PEM texts are the config's own: validate measures each autoscale config's
  // real cert/key (config/rules/startup-script.ts); without one they render empty.
  nginx_cert: 0,
  nginx_key: 0,
} as const satisfies Record<keyof TemplateValues, number>;

export const WORST_CASE_VALUES: Required<TemplateValues> = Object.fromEntries(
  Object.entries(WORST_CASE_LENGTHS).map(([name, length]) => [name, sized(length)]),
) as Required<TemplateValues>;

/** AWS EC2 user data limit, in bytes, before base64 encoding. */
export const AWS_USER_DATA_LIMIT = 16_384;

/** Azure osProfile.customData limit, in bytes, after base64 decoding (VM API: "maximum length of the binary array is 65535 bytes"). */
export const AZURE_CUSTOM_DATA_LIMIT = 65_535;

/** GCP instance metadata: each value at most 262,144 bytes (Compute v1 Metadata.items[].value: "less than or equal to 262144 bytes (256 KiB)"). */
export const GCP_METADATA_VALUE_LIMIT = 262_144;

/** DigitalOcean droplet user_data (Droplets - Create a New Droplet: "may not exceed 64 KiB in size"), plain text. */
export const DO_USER_DATA_LIMIT = 64 * 1024;

/** OCI instance metadata + extendedMetadata together (Compute docs, "Updating Instance Metadata": "a maximum of 32,000 bytes"). */
export const OCI_METADATA_LIMIT = 32_000;

/** OCI: the largest startup script whose base64 form (metadata.user_data) fits OCI_METADATA_LIMIT. */
export const OCI_USER_DATA_LIMIT = (OCI_METADATA_LIMIT / 4) * 3;

/** OpenStack Nova user_data: the base64 string at most 65,535 characters (servers schema maxLength), so at most 49,149 bytes of script. */
export const OPENSTACK_USER_DATA_LIMIT = 49_149;

/** Proxmox VE guest-agent file-write `content`: at most 60 KiB (PVE API schema, POST /nodes/{node}/qemu/{vmid}/agent/file-write). */
export const PROXMOX_USER_DATA_LIMIT = 61_440;
/** Nutanix guest customization (cloud-init user_data / sysprep unattend_xml): no documented limit; poolform's own bound of 64 KiB before base64 (providers/nutanix/user-data.ts). */
export const NUTANIX_USER_DATA_LIMIT = 65_536;
/** vSphere CloudinitPrep guest customization userdata: at most 524,288 bytes (Automation API Vcenter.Guest.CloudinitConfiguration; providers.md §2). */
export const VSPHERE_USER_DATA_LIMIT = 524_288;
/** KubeVirt / Harvester: the cloud-init Secret's data, at most 1 MiB (corev1.MaxSecretSize, Kubernetes "Secrets" restrictions). */
export const KUBEVIRT_USER_DATA_LIMIT = 1_048_576;

/** GCP instance metadata: all keys and values together under 512 KB (Compute v1 Metadata.items[]). */
export const GCP_METADATA_TOTAL_LIMIT = 512 * 1024;
