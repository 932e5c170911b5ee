/* Generated from schemas/poolform.schema.json by `npm run gen` (json-schema-to-typescript). Do not edit. */

/**
 * One YAML document of a poolform configuration. Every document has a `kind`.
 */
export type PoolformDocument = Settings | Zone | VmProvider | DnsProvider | LdapConfig | Workspace | Pool;
/**
 * A VM provider config: where autoscaled servers are created.
 */
export type VmProvider =
  | AwsVmProvider
  | AzureVmProvider
  | GcpVmProvider
  | DigitalOceanVmProvider
  | OpenStackVmProvider
  | ProxmoxVmProvider
  | NutanixVmProvider
  | VsphereVmProvider
  | OciVmProvider
  | KubevirtVmProvider
  | HarvesterVmProvider
  | LocalVmProvider;
/**
 * A DNS provider config: where autoscaled servers' names are registered.
 */
export type DnsProvider =
  Route53DnsProvider | AzureDnsProvider | GcpDnsProvider | DigitalOceanDnsProvider | OciDnsProvider | LocalDnsProvider;
/**
 * Day of the week.
 */
export type Day = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/**
 * Global settings for poolform. At most one Settings document.
 */
export interface Settings {
  /**
   * Document kind.
   */
  kind: "Settings";
  /**
   * HOST:PORT the `serve` API listens on (default 127.0.0.1:8080); `--listen` overrides it.
   */
  listen?: string;
  /**
   * Serve the API over HTTPS (default: plain HTTP, fine on loopback only). Paths are relative to this Settings file's directory; `--tls-cert`/`--tls-key` override both. Read at start: a new certificate takes effect at the next start.
   */
  tls?: {
    /**
     * PEM certificate (chain) file.
     */
    cert_file: string;
    /**
     * PEM private key file of cert_file (keep it readable by poolform only).
     */
    key_file: string;
  };
  /**
   * Serve the read-only web page for operators under /ui/ (login with an API key of role admin; `/` redirects there). false: /ui/ answers 404.
   */
  ui?: boolean;
  /**
   * Base URL servers use to reach this API when a zone sets no upstream_auth_address (default: http://<listen address>).
   */
  public_url?: string;
  /**
   * Where poolform keeps its state.
   */
  state?: {
    /**
     * sqlite: one file under `path` (default). postgres: a shared database at `url`, for several replicas.
     */
    backend?: "sqlite" | "postgres";
    /**
     * Directory for the SQLite state and local provider data (default ./state, relative to the working directory).
     */
    path?: string;
    /**
     * PostgreSQL connection URL (secret reference, e.g. ${env:POOLFORM_DATABASE_URL}). Required for backend postgres.
     */
    url?: string;
  };
  /**
   * API keys accepted by the session API (`Authorization: Bearer KEY`), each `{name, secret, role}`. role `sessions` (default): only the sessions the key created (another key's session answers 404); `admin`: every session, and /api/v1/status once any admin key exists.
   */
  api_keys?: {
    /**
     * Name of the key, shown in logs and audit entries.
     */
    name: string;
    /**
     * The key itself (secret reference).
     */
    secret: string;
    /**
     * What the key may do. sessions: request sessions and read, keep alive and end only the sessions it created (another key's session is 404). admin: every session, and /api/v1/status once any admin key is configured.
     */
    role?: "sessions" | "admin";
  }[];
  /**
   * Accept plaintext secrets in YAML (reported as warnings instead of errors). Not recommended.
   */
  allow_plaintext_secrets?: boolean;
  /**
   * What `serve` applies by itself. safe: creates and updates, destroys wait for `poolform apply`; auto: everything; manual: plan only.
   */
  apply_policy?: "safe" | "auto" | "manual";
  /**
   * How often `serve` refreshes, decides and applies (default 30s).
   */
  reconcile_interval?: string;
  /**
   * Lifetime of the per-server check-in JWT (default 4h).
   */
  checkin_token_lifetime?: string;
  /**
   * Sessions with no keepalive for this long are ended (default 1h).
   */
  session_keepalive_timeout?: string;
  /**
   * Queued session requests not placed within this time fail (default 15m).
   */
  queue_timeout?: string;
  /**
   * Maximum concurrent calls per provider during apply (default 10).
   */
  provider_concurrency?: number;
  /**
   * With several `serve` replicas: how long a leader's lease lasts without renewal before another replica takes over (default 10s).
   */
  leader_lease?: string;
  /**
   * Log level of `serve`.
   */
  log_level?: "trace" | "debug" | "info" | "warn" | "error";
  /**
   * Budgets of loading the configuration (validate, plan, apply and serve's reloads). Going over one is a `config-too-large` error naming it, at the file and line. Raise one only for a configuration that really is this large; each has a maximum that keeps a load under 1 GiB of memory. The budgets apply from the Settings document on; files are first read within the maximums.
   */
  config_limits?: {
    /**
     * Bytes of one YAML file (default 16 MiB, at most 32 MiB).
     */
    max_file_bytes?: number;
    /**
     * Bytes of all YAML files together (default 16 MiB, at most 64 MiB).
     */
    max_total_bytes?: number;
    /**
     * YAML nodes of all files together: every scalar and collection, keys included, an alias counting as the size of what it expands to (default 300,000, at most 500,000; a node costs about 1 KB of memory while loading).
     */
    max_yaml_nodes?: number;
    /**
     * Nesting depth of mappings and sequences in one document (default 64, at most 512).
     */
    max_depth?: number;
    /**
     * Entries of one mapping (default 10,000, at most 100,000).
     */
    max_keys_per_mapping?: number;
    /**
     * Schedules of one autoscale config (default 1,000, at most 100,000).
     */
    max_schedules?: number;
    /**
     * Bytes of one startup script (default 1 MiB, at most 16 MiB).
     */
    max_template_bytes?: number;
  };
}
/**
 * A deployment zone: where servers run and the address they call back to.
 */
export interface Zone {
  /**
   * Document kind.
   */
  kind: "Zone";
  /**
   * Zone name.
   */
  name: string;
  /**
   * Free text.
   */
  description?: string;
  /**
   * Address (host[:port] or URL) servers in this zone use to reach poolform's API; `{upstream_auth_address}` in startup scripts. Default: the API's own address.
   */
  upstream_auth_address?: string;
}
/**
 * AWS EC2 VM provider.
 */
export interface AwsVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "aws";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on instances created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, sent as EC2 user data (at most 16,384 bytes after rendering). Same variables as the local provider.
   */
  startup_script: string;
  /**
   * AWS region, e.g. us-east-1.
   */
  aws_region: string;
  /**
   * AMI id to launch.
   */
  aws_ec2_ami_id: string;
  /**
   * Instance type, e.g. t3.medium.
   */
  aws_ec2_instance_type: string;
  /**
   * Subnet to launch into.
   */
  aws_ec2_subnet_id?: string;
  /**
   * Security group ids.
   */
  aws_ec2_security_group_ids?: string[];
  /**
   * Root EBS volume size in GB.
   */
  aws_ec2_ebs_volume_size_gb?: number;
  /**
   * Root EBS volume type.
   */
  aws_ec2_ebs_volume_type?: "gp2" | "gp3" | "io1" | "io2" | "st1" | "sc1" | "standard";
  /**
   * IAM instance profile name or ARN.
   */
  aws_ec2_iam?: string;
  /**
   * EC2 key pair name.
   */
  aws_ec2_key_pair_name?: string;
  /**
   * Extra tags for every instance.
   */
  aws_ec2_custom_tags?: {
    [k: string]: string | undefined;
  };
  /**
   * JSON merged into the RunInstances request (deep merge; wins over generated fields except ownership tags and ClientToken).
   */
  aws_ec2_config_override?: {};
  /**
   * AWS access key id. It names the key and is not itself a secret: plaintext (AKIA...) or a reference `${env:NAME}` / `${file:PATH}`. Omit (with secret_access_key) to use the SDK's default credential chain.
   */
  access_key_id?: string;
  /**
   * AWS secret access key (secret reference).
   */
  secret_access_key?: string;
  /**
   * Custom EC2 endpoint URL (emulators, VPC endpoints).
   */
  endpoint?: string;
}
/**
 * Azure VM provider: each server is a virtual machine with its own network interface (and optional public IP) and a managed OS disk, all created and deleted together in resource_group.
 */
export interface AzureVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "azure";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on VMs created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, sent as osProfile.customData (at most 65,535 bytes after rendering, before base64). Linux images run it with cloud-init; Windows images only store it as C:\AzureData\CustomData.bin (run it from a scheduled task in the image). Same variables as the local provider.
   */
  startup_script: string;
  /**
   * Azure subscription id (a GUID): the `/subscriptions/{id}` part of every ARM URL.
   */
  subscription_id: string;
  /**
   * Microsoft Entra tenant (directory) id, a GUID or a verified domain such as contoso.onmicrosoft.com: the token authority `{login host}/{tenant_id}`.
   */
  tenant_id: string;
  /**
   * Application (client) id of the app registration (with client_secret), or of a user-assigned managed identity (with use_managed_identity). Not a secret. Omit client_id, client_secret and use_managed_identity to use DefaultAzureCredential (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, workload identity, managed identity, Azure CLI).
   */
  client_id?: string;
  /**
   * Client secret of the app registration (secret reference).
   */
  client_secret?: string;
  /**
   * Get tokens from the managed identity of the machine poolform runs on (inside Azure); client_id picks a user-assigned identity.
   */
  use_managed_identity?: boolean;
  /**
   * Azure cloud: picks the login host (login.microsoftonline.com / .us / login.chinacloudapi.cn) and the ARM host (management.azure.com / management.usgovcloudapi.net / management.chinacloudapi.cn).
   */
  cloud?: "public" | "usgov" | "china";
  /**
   * Resource group that holds the VMs, their NICs, public IPs and OS disks (must exist).
   */
  resource_group: string;
  /**
   * Azure region name, e.g. eastus, westeurope.
   */
  location: string;
  /**
   * VM size (hardwareProfile.vmSize), e.g. Standard_D4s_v5.
   */
  vm_size: string;
  /**
   * Image to boot: a Marketplace image {publisher, offer, sku, version} or {id} of a managed image or Azure Compute Gallery image (version).
   */
  image:
    | {
        /**
         * Image publisher, e.g. Canonical.
         */
        publisher: string;
        /**
         * Image offer, e.g. ubuntu-24_04-lts.
         */
        offer: string;
        /**
         * Image SKU, e.g. server.
         */
        sku: string;
        /**
         * Image version: latest (when omitted) or major.minor.patch.
         */
        version?: string;
      }
    | {
        /**
         * ARM id of a managed image, gallery image (latest version) or gallery image version.
         */
        id: string;
      };
  /**
   * Operating system of the image: picks osProfile.linuxConfiguration or windowsConfiguration.
   */
  os_type: "linux" | "windows";
  /**
   * ARM id of the subnet the NIC joins (/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/virtualNetworks/…/subnets/…).
   */
  subnet_id: string;
  /**
   * ARM id of a network security group for the NIC (default: only the subnet's NSG applies).
   */
  nsg_id?: string;
  /**
   * Give each VM a Standard, static public IP address (deleted with the VM).
   */
  public_ip?: boolean;
  /**
   * OS disk storage account type (osDisk.managedDisk.storageAccountType); default: Azure's choice for the size.
   */
  os_disk_type?: "Standard_LRS" | "StandardSSD_LRS" | "StandardSSD_ZRS" | "Premium_LRS" | "Premium_ZRS";
  /**
   * OS disk size in GB (at least the image's size).
   */
  os_disk_size_gb?: number;
  /**
   * Administrator account name (osProfile.adminUsername; 1-20 characters; Azure refuses names such as admin, administrator, root).
   */
  admin_username: string;
  /**
   * Administrator password (secret reference). Required for Windows; on Linux password login is disabled when ssh_public_key is set.
   */
  admin_password?: string;
  /**
   * Linux only: OpenSSH public key installed in /home/<admin_username>/.ssh/authorized_keys.
   */
  ssh_public_key?: string;
  /**
   * Extra tags on the VM, NIC, public IP and OS disk (Azure allows 50 per resource; poolform's own take up to 10).
   */
  tags?: {
    [k: string]: string | undefined;
  };
  /**
   * Custom Azure Resource Manager endpoint URL (tests, Azure Stack); default from cloud.
   */
  endpoint?: string;
  /**
   * Custom Microsoft Entra authority host URL (tests, Azure Stack); default from cloud.
   */
  authority_host?: string;
}
/**
 * Google Cloud (Compute Engine) VM provider: each server is an instance in one zone whose boot disk is created from source_image and deleted with it (autoDelete).
 */
export interface GcpVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "gcp";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on instances created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, sent as the instance metadata value `startup-script` (Linux) or `windows-startup-script-ps1` (Windows); at most 262,144 bytes after rendering (Compute's limit per metadata value). The guest environment runs it at every boot. Same variables as the local provider.
   */
  startup_script: string;
  /**
   * Google Cloud project id (not the number), e.g. my-project-123.
   */
  project: string;
  /**
   * Zone the instances run in, e.g. us-east4-b.
   */
  zone: string;
  /**
   * Service-account key (the JSON file's content) as a secret reference, e.g. ${file:sa-key.json}. Omit to use Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or the metadata server on Google Cloud).
   */
  credentials_json?: string;
  /**
   * Machine type (machineType: zones/{zone}/machineTypes/{type}), e.g. e2-standard-4 or custom-4-16384.
   */
  machine_type: string;
  /**
   * Boot image: projects/{project}/global/images/{image} or projects/{project}/global/images/family/{family} (disks[0].initializeParams.sourceImage).
   */
  source_image: string;
  /**
   * Operating system of the image: picks the metadata key of the startup script (startup-script or windows-startup-script-ps1).
   */
  os_type?: "linux" | "windows";
  /**
   * Boot disk size in GB (initializeParams.diskSizeGb; at least the image's size). Default: the image's size.
   */
  disk_size_gb?: number;
  /**
   * Boot disk type (initializeParams.diskType zones/{zone}/diskTypes/{type}). Default: pd-standard (Compute's default).
   */
  disk_type?: "pd-standard" | "pd-balanced" | "pd-ssd" | "pd-extreme" | "hyperdisk-balanced";
  /**
   * VPC network: a name or global/networks/{name} (networkInterfaces[0].network). Default: the project's default network.
   */
  network?: string;
  /**
   * Subnetwork: regions/{region}/subnetworks/{name}, or projects/{host project}/regions/… for Shared VPC (networkInterfaces[0].subnetwork). Its region must contain zone.
   */
  subnetwork?: string;
  /**
   * Give each instance an ephemeral external IP (accessConfigs ONE_TO_ONE_NAT).
   */
  public_ip?: boolean;
  /**
   * Network tags (tags.items), the targets of firewall rules.
   *
   * @maxItems 64
   */
  network_tags?: string[];
  /**
   * Service account the instances run as (serviceAccounts[0].email); omit for none.
   */
  service_account_email?: string;
  /**
   * OAuth scopes of that service account (default https://www.googleapis.com/auth/cloud-platform).
   */
  scopes?: string[];
  /**
   * Extra labels on each instance and its boot disk (GCP allows 64; poolform's own take 6, prefixed poolform_).
   */
  labels?: {
    [k: string]: string | undefined;
  };
  /**
   * Extra instance metadata items {key: value} (e.g. enable-oslogin). The startup-script keys and poolform-* keys are poolform's. All keys and values together stay under 512 KB with the startup script.
   */
  metadata?: {
    [k: string]: string | undefined;
  };
  /**
   * Custom Compute Engine API endpoint (scheme://host[:port]; tests, Private Service Connect). Default https://compute.googleapis.com.
   */
  endpoint?: string;
}
/**
 * DigitalOcean VM provider: each server is a droplet, tagged with poolform's ownership tags, created from image in region.
 */
export interface DigitalOceanVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "digital_ocean";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on droplets created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, sent as the droplet's user_data (plain text, at most 65,536 bytes = 64 KiB after rendering) and run by cloud-init on first boot. Same variables as the local provider.
   */
  startup_script: string;
  /**
   * DigitalOcean API token (personal access token or OAuth token with droplet and tag read/create/delete scopes) as a secret reference, e.g. ${env:DIGITALOCEAN_TOKEN}. Sent as Authorization: Bearer.
   */
  token: string;
  /**
   * Region slug, e.g. nyc3, ams3, fra1.
   */
  region: string;
  /**
   * Droplet size slug, e.g. s-2vcpu-4gb (GET /v2/sizes lists them).
   */
  size: string;
  /**
   * Image to boot: a public image slug (e.g. ubuntu-24-04-x64) or the numeric id of a snapshot or custom image.
   */
  image: string | number;
  /**
   * VPC the droplets join (its UUID); default: the region's default VPC.
   */
  vpc_uuid?: string;
  /**
   * SSH keys installed for root: account key ids or MD5 fingerprints (GET /v2/account/keys).
   *
   * @maxItems 100
   */
  ssh_keys?: (number | string)[];
  /**
   * Extra tags on each droplet (letters, digits, ':', '-', '_'; at most 255 characters; not starting with poolform:). A Cloud Firewall targeting a tag covers new droplets.
   *
   * @maxItems 50
   */
  tags?: string[];
  /**
   * Install the DigitalOcean metrics agent (monitoring).
   */
  monitoring?: boolean;
  /**
   * Give droplets an IPv6 address as well.
   */
  ipv6?: boolean;
  /**
   * Custom API endpoint (scheme://host[:port]; tests). Default https://api.digitalocean.com.
   */
  api_url?: string;
}
/**
 * OpenStack (Nova) VM provider: each server is a Nova server created through the compute endpoint of the Keystone v3 service catalog, booted from image_id (or from a volume made from it, deleted with the server when delete_volume_on_termination).
 */
export interface OpenStackVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "openstack";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on servers created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, sent base64-encoded as the server's user_data (cloud-init / cloudbase-init read it from the metadata service or config drive). Nova accepts at most 65,535 base64 characters, i.e. 49,149 bytes of rendered script. Same variables as the local provider.
   */
  startup_script: string;
  /**
   * Keystone v3 URL, e.g. https://keystone.example.com:5000/v3 (a missing /v3 is added). Service endpoints come from the token's catalog.
   */
  auth_url: string;
  /**
   * Keystone v3 method: password (user, project scope) or v3applicationcredential (project-bound application credential).
   */
  auth_type?: "password" | "v3applicationcredential";
  /**
   * User name (auth_type password).
   */
  username?: string;
  /**
   * The user's password as a secret reference (auth_type password).
   */
  password?: string;
  /**
   * Domain of the user (auth_type password; default Default).
   */
  user_domain_name?: string;
  /**
   * Project (tenant) the token is scoped to, by name (with project_domain_name); or use project_id.
   */
  project_name?: string;
  /**
   * Project the token is scoped to, by id.
   */
  project_id?: string;
  /**
   * Domain of project_name (default Default).
   */
  project_domain_name?: string;
  /**
   * Application credential id as a secret reference (auth_type v3applicationcredential).
   */
  application_credential_id?: string;
  /**
   * Application credential secret as a secret reference (auth_type v3applicationcredential).
   */
  application_credential_secret?: string;
  /**
   * Region of the compute endpoint in the catalog. Default: the first compute endpoint of the interface (an error when the catalog lists several regions).
   */
  region_name?: string;
  /**
   * Which catalog endpoint interface to use.
   */
  interface?: "public" | "internal" | "admin";
  /**
   * Flavor id, or a name looked up in GET /flavors/detail (flavorRef).
   */
  flavor: string;
  /**
   * Glance image UUID (imageRef, or the source of the boot volume).
   */
  image_id: string;
  /**
   * Networks to attach: a list of Neutron network UUIDs (networks: [{uuid}]), or auto / none (Nova allocates / attaches none).
   */
  networks: ("auto" | "none") | [string, ...string[]];
  /**
   * Security group names (security_groups: [{name}]). Default: the project's default group.
   */
  security_groups?: string[];
  /**
   * Nova key pair to inject.
   */
  key_name?: string;
  /**
   * Availability zone (availability_zone).
   */
  availability_zone?: string;
  /**
   * Boot from a new Cinder volume made from image_id (block_device_mapping_v2) instead of the hypervisor's local disk.
   */
  boot_from_volume?: boolean;
  /**
   * Size of the boot volume in GB (required with boot_from_volume).
   */
  volume_size_gb?: number;
  /**
   * Cinder volume type of the boot volume (needs compute microversion 2.67, which poolform then requests).
   */
  volume_type?: string;
  /**
   * Delete the boot volume with the server (delete_on_termination). false leaves the volume behind on destroy.
   */
  delete_volume_on_termination?: boolean;
  /**
   * Extra server metadata {key: value} (keys and values at most 255 characters). Keys starting with poolform: are poolform's ownership markers.
   */
  metadata?: {
    [k: string]: string | undefined;
  };
  /**
   * PEM CA certificate(s) that sign Keystone's and Nova's certificates (private clouds), usually ${file:ca.pem}. Default: Node's bundled public CAs.
   */
  ca_cert?: string;
  /**
   * Do not verify the TLS certificates of Keystone and Nova (warned about in validate and at start-up; set ca_cert instead).
   */
  insecure_skip_verify?: boolean;
}
/**
 * Proxmox VE VM provider: each VM is a clone of a template VM (template_vmid) on node, configured (cores, memory, guest agent, tags as ownership markers), started, and handed the startup script through the QEMU guest agent (file-write + exec).
 */
export interface ProxmoxVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "proxmox";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on VMs created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, written into the guest by the QEMU guest agent (POST …/agent/file-write) and run by it (…/agent/exec) once the agent answers. The PVE API accepts at most 61,440 bytes (60 KiB) of file content. The template needs qemu-guest-agent installed and enabled. Same variables as the local provider.
   */
  startup_script: string;
  /**
   * The API root, e.g. https://pve1.example.com:8006/api2/json.
   */
  api_url: string;
  /**
   * API token id, USER@REALM!TOKENID (e.g. poolform@pve!autoscale). Not secret.
   */
  token_id: string;
  /**
   * The API token's secret (a UUID) as a secret reference.
   */
  token_secret: string;
  /**
   * PEM CA certificate(s) that sign the Proxmox VE API certificate (the cluster's pve-root-ca.pem, or your own CA), usually ${file:pve-root-ca.pem}. Default: Node's bundled public CAs.
   */
  ca_cert?: string;
  /**
   * Do not verify the TLS certificate of the Proxmox VE API (warned about in validate and at start-up; set ca_cert instead).
   */
  insecure_skip_verify?: boolean;
  /**
   * Cluster node that holds the template and runs the clones.
   */
  node: string;
  /**
   * VM id of the template (a VM with template: 1) to clone.
   */
  template_vmid: number;
  /**
   * Full clone (full: 1, independent disks, slower) instead of a linked clone of the template.
   */
  full_clone?: boolean;
  /**
   * Target storage of a full clone's disks (storage). Only with full_clone.
   */
  storage?: string;
  /**
   * Resource pool the clones join (pool).
   */
  pool?: string;
  /**
   * vCPU cores per VM (config cores). Default: the template's.
   */
  cores?: number;
  /**
   * Memory per VM in MiB (config memory). Default: the template's.
   */
  memory_mb?: number;
  /**
   * Extra Proxmox VE tags on every VM (tags). Tags starting with pf- and the tag poolform are poolform's markers.
   */
  tags?: string[];
  /**
   * How the guest agent runs the startup script: linux writes /var/lib/poolform-startup.sh and runs /bin/sh on it; windows writes C:\Windows\Temp\poolform-startup.ps1 and runs powershell.exe -File on it.
   */
  guest_os?: "linux" | "windows";
  /**
   * Where in the guest the startup script is written (default by guest_os).
   */
  script_path?: string;
  /**
   * How long create waits for the guest agent to answer after start before it gives up (the VM is kept and retried next reconcile).
   */
  agent_timeout_seconds?: number;
}
/**
 * Nutanix AHV VM provider through Prism Central v3: each VM is created with POST /api/nutanix/v3/vms on cluster_uuid, its first disk cloned from image_uuid, one NIC on subnet_uuid, powered on, with the startup script as cloud-init user data (Linux) or the sysprep unattend XML (Windows); poolform's categories (PoolformProvider, PoolformPool, PoolformAutoscale) mark it.
 */
export interface NutanixVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "nutanix";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on VMs created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, handed to the VM at creation as guest_customization.cloud_init.user_data (base64; run by cloud-init) or, with guest_os windows, as guest_customization.sysprep.unattend_xml (the rendered template must then be an unattend.xml). Nutanix documents no size limit; poolform allows at most 65,536 bytes (before base64). Same variables as the local provider.
   */
  startup_script: string;
  /**
   * Prism Central address, e.g. https://pc.example.com:9440 (the API is below /api/nutanix/v3).
   */
  prism_central_url: string;
  /**
   * Prism user for HTTP Basic auth: a name, or a secret reference (${env:} / ${file:}).
   */
  username: string;
  /**
   * The Prism user's password as a secret reference.
   */
  password: string;
  /**
   * PEM CA certificate(s) that sign the Prism Central certificate, usually ${file:prism-ca.pem}. Default: Node's bundled public CAs.
   */
  ca_cert?: string;
  /**
   * Do not verify the TLS certificate of Prism Central (warned about in validate and at start-up; set ca_cert instead).
   */
  insecure_skip_verify?: boolean;
  /**
   * UUID of the AHV cluster that runs the VMs (spec.cluster_reference).
   */
  cluster_uuid: string;
  /**
   * UUID of the subnet of the VM's NIC (nic_list[0].subnet_reference).
   */
  subnet_uuid: string;
  /**
   * UUID of the disk image the boot disk is cloned from (disk_list[0].data_source_reference, kind image).
   */
  image_uuid: string;
  /**
   * vCPU sockets per VM (resources.num_sockets).
   */
  num_sockets: number;
  /**
   * Cores per socket (resources.num_vcpus_per_socket).
   */
  num_vcpus_per_socket: number;
  /**
   * Memory per VM in MiB (resources.memory_size_mib).
   */
  memory_mib: number;
  /**
   * Size of the boot disk in MiB (disk_list[0].disk_size_mib). Default: the image's size.
   */
  disk_size_mib?: number;
  /**
   * Extra categories on every VM (metadata.categories, key: value). They must already exist in Prism Central; keys starting with Poolform are poolform's.
   */
  categories?: {
    [k: string]: string | undefined;
  };
  /**
   * UUID of the Prism Central project the VMs belong to (metadata.project_reference).
   */
  project_uuid?: string;
  /**
   * linux: the startup script is cloud-init user data; windows: it is the sysprep unattend XML (install_type PREPARED).
   */
  guest_os?: "linux" | "windows";
  /**
   * How long create and destroy wait for their Prism Central task before giving up (the VM is kept and looked at again next reconcile).
   */
  task_timeout_seconds?: number;
}
/**
 * VMware vSphere VM provider (vSphere Automation REST API, vCenter 7.0U3+): each VM is a clone of template into folder / resource_pool (or cluster's root pool) / datastore, customised (CPU, memory, NIC 0's network), given the startup script through CloudinitPrep guest customization (cloud-init's VMware datasource) and powered on. The VM name carries poolform's ownership marker.
 */
export interface VsphereVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "vsphere";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on VMs created through this provider config, regardless of the need for free slots. At most 4,000: vCenter's VM list (one call per observe) answers at most 4,000 VMs.
   */
  max_instances: number;
  /**
   * Startup script template, handed to cloud-init as CloudinitPrep userdata (at most 524,288 bytes after substitution). The template needs cloud-init (with the VMware datasource) and VMware Tools. Same variables as the local provider.
   */
  startup_script: string;
  /**
   * vCenter base URL, e.g. https://vcenter.example.com (the REST API is below /api).
   */
  vcenter_url: string;
  /**
   * vCenter SSO account, e.g. poolform@vsphere.local. Not secret.
   */
  username: string;
  /**
   * The account's password as a secret reference.
   */
  password: string;
  /**
   * PEM CA certificate(s) that sign vCenter's certificate (the VMCA root from https://<vcenter>/certs/download.zip, or your own CA), usually ${file:vcenter-ca.pem}. Default: Node's bundled public CAs.
   */
  ca_cert?: string;
  /**
   * Do not verify vCenter's TLS certificate (warned about in validate and at start-up; the password travels over an unverified connection: set ca_cert instead).
   */
  insecure_skip_verify?: boolean;
  /**
   * Datacenter name: folder, resource pool, cluster, datastore and network are looked up in it.
   */
  datacenter: string;
  /**
   * Name of the VM template (or VM) to clone, in the datacenter.
   */
  template: string;
  /**
   * Content library name: template then names an item of this library (a VM template item, deployed with vm-template/library-items deploy, or an OVF template, deployed with ovf/library-item deploy) instead of a VM template in the inventory. network is not applied to OVF items.
   */
  content_library?: string;
  /**
   * VM folder name the clones go into. poolform lists this folder to observe its VMs: give poolform a folder of its own.
   */
  folder: string;
  /**
   * Resource pool name (placement.resource_pool). Exactly one of resource_pool and cluster.
   */
  resource_pool?: string;
  /**
   * Cluster name: the clones go into its root resource pool. Exactly one of resource_pool and cluster.
   */
  cluster?: string;
  /**
   * Datastore name for the clones' disks (placement.datastore). Default: the template's.
   */
  datastore?: string;
  /**
   * Network (port group) name that NIC 0 of each clone is connected to (PATCH …/hardware/ethernet/{nic} backing, or a vm-template item's deploy hardware_customization.nics). Default: the template's.
   */
  network?: string;
  /**
   * vCPUs per VM (PATCH …/hardware/cpu count on the powered-off clone). Default: the template's.
   */
  num_cpus?: number;
  /**
   * Memory per VM in MiB (PATCH …/hardware/memory size_MiB on the powered-off clone). Default: the template's.
   */
  memory_mb?: number;
}
/**
 * Oracle Cloud Infrastructure VM provider: each server is a compute instance in compartment_id and availability_domain, tagged with poolform's freeform tags; its boot volume is deleted with it.
 */
export interface OciVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "oci";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on instances created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template, sent base64-encoded as metadata.user_data and run by cloud-init (Windows: cloudbase-init, first line #ps1_sysnative). OCI limits metadata to 32,000 bytes in total, so the rendered script may be at most 24,000 bytes (less the ssh_authorized_keys). Same variables as the local provider.
   */
  startup_script: string;
  /**
   * OCID of the tenancy (ocid1.tenancy.oc1.....); the first part of the API signing keyId.
   */
  tenancy_ocid: string;
  /**
   * OCID of the API user (ocid1.user.oc1.....) whose API key signs requests.
   */
  user_ocid: string;
  /**
   * Fingerprint of the API signing key as OCI shows it (16 colon-separated hex pairs).
   */
  fingerprint: string;
  /**
   * The API signing private key (PEM) as a secret reference, e.g. ${file:oci_api_key.pem}.
   */
  private_key: string;
  /**
   * Passphrase of an encrypted private_key, as a secret reference.
   */
  private_key_passphrase?: string;
  /**
   * Region identifier, e.g. us-ashburn-1, eu-frankfurt-1.
   */
  region: string;
  /**
   * OCID of the compartment the instances are created and listed in.
   */
  compartment_id: string;
  /**
   * Full availability domain name, e.g. Uocm:US-ASHBURN-AD-1 (ListAvailabilityDomains).
   */
  availability_domain: string;
  /**
   * Instance shape, e.g. VM.Standard.E5.Flex.
   */
  shape: string;
  /**
   * Size of a flexible (.Flex) shape; required for Flex shapes, not allowed otherwise.
   */
  shape_config?: {
    /**
     * OCPUs of a flexible shape.
     */
    ocpus: number;
    /**
     * Memory in GB of a flexible shape; default the shape's per-OCPU default.
     */
    memory_in_gbs?: number;
  };
  /**
   * OCID of the image to boot (sourceDetails.imageId).
   */
  image_id: string;
  /**
   * Boot volume size in GB (at least 50); default the image's size.
   */
  boot_volume_size_gb?: number;
  /**
   * OCID of the subnet of the primary VNIC.
   */
  subnet_id: string;
  /**
   * Network security groups of the primary VNIC (at most 5).
   *
   * @maxItems 5
   *
   * Items: Network security group OCID.
   */
  nsg_ids?:
    | []
    | [string]
    | [string, string]
    | [string, string, string]
    | [string, string, string, string]
    | [string, string, string, string, string];
  /**
   * Give the primary VNIC a public IP (the subnet must be public).
   */
  assign_public_ip?: boolean;
  /**
   * OpenSSH public keys (one per line) for the image's default user (metadata.ssh_authorized_keys).
   */
  ssh_authorized_keys?: string;
  /**
   * Extra freeform tags on each instance (keys not starting with poolform-; OCI allows 50 per resource; poolform's own take 6).
   */
  freeform_tags?: {
    [k: string]: string | undefined;
  };
  /**
   * Defined tags on each instance, by tag namespace (the namespaces must exist).
   */
  defined_tags?: {
    [k: string]:
      | {
          [k: string]: string | undefined;
        }
      | undefined;
  };
  /**
   * Custom Core Services API endpoint (scheme://host[:port]; tests). Default https://iaas.{region}.oraclecloud.com.
   */
  endpoint?: string;
}
/**
 * KubeVirt VM provider: each server is a VirtualMachine (kubevirt.io/v1, runStrategy Always) in namespace, booted from boot_source, its cloud-init NoCloud user data in a Secret owned by the VM; address from the VirtualMachineInstance. Via the Kubernetes API (kubeconfig, api_server + token, or in-cluster).
 */
export interface KubevirtVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "kubevirt";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on VMs created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template (usually #cloud-config), rendered and stored in a Secret (key userdata) that the VM's cloudInitNoCloud volume names (secretRef); the Secret is owned by the VM and garbage-collected with it. Kubernetes limits a Secret to 1 MiB (1,048,576 bytes), checked at validate time with worst-case variable values. Same variables as the local provider.
   */
  startup_script: string;
  /**
   * A kubeconfig (YAML) as a secret reference, usually ${file:kubeconfig} (not a *.yaml name in the config directory: poolform reads those as configuration). Its current context (or context) names the cluster, CA and credentials. Or set api_server + token, or in_cluster.
   */
  kubeconfig?: string;
  /**
   * kubeconfig context to use (default: current-context).
   */
  context?: string;
  /**
   * Kubernetes API server URL (with token, instead of kubeconfig), e.g. https://10.0.0.10:6443.
   */
  api_server?: string;
  /**
   * Bearer token (a ServiceAccount token) as a secret reference, used with api_server.
   */
  token?: string;
  /**
   * Use the pod's ServiceAccount (token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT) when poolform runs inside the cluster.
   */
  in_cluster?: boolean;
  /**
   * Namespace the VirtualMachines, their DataVolumes and cloud-init Secrets are created in.
   */
  namespace: string;
  /**
   * Where the root disk comes from, exactly one of: container_disk (an ephemeral containerDisk volume from a container image), or a CDI DataVolume in dataVolumeTemplates filled from http_url (source.http), registry_url (source.registry, docker://...) or pvc_clone (source.pvc, namespace/name).
   */
  boot_source: {
    /**
     * Container image holding the disk (containerDisk.image), e.g. quay.io/containerdisks/ubuntu:24.04. Ephemeral: changes are lost when the VM stops.
     */
    container_disk?: string;
    /**
     * URL of a disk image (qcow2/raw, optionally compressed) CDI imports (source.http.url).
     */
    http_url?: string;
    /**
     * Container image CDI imports the disk from (source.registry.url), e.g. docker://quay.io/containerdisks/fedora:40.
     */
    registry_url?: string;
    /**
     * An existing PVC to clone, as namespace/name (source.pvc).
     */
    pvc_clone?: string;
  };
  /**
   * StorageClass of the root disk's PVC (DataVolume spec.storage.storageClassName). Default: the cluster's default class.
   */
  storage_class?: string;
  /**
   * Size of the root disk (DataVolume spec.storage.resources.requests.storage), a Kubernetes quantity such as 40Gi. Required with http_url, registry_url and pvc_clone.
   */
  disk_size?: string;
  /**
   * Virtual CPU cores (spec.template.spec.domain.cpu.cores).
   */
  cpu_cores: number;
  /**
   * Guest memory (spec.template.spec.domain.memory.guest), a Kubernetes quantity such as 4Gi.
   */
  memory: string;
  /**
   * pod (the pod network, masquerade binding; the default) or a Multus NetworkAttachmentDefinition as namespace/name (networks[].multus.networkName, bridge binding). The VM's address comes from the VMI's status.interfaces (off the pod network the guest agent must report it).
   */
  network?: string;
  /**
   * An SSH public key added to the cloud-init user data (ssh_authorized_keys) when the startup script is #cloud-config.
   */
  ssh_key?: string;
  /**
   * Extra labels on the VirtualMachine and its VMI (spec.template.metadata.labels). Keys under poolform.io/ are poolform's ownership markers and cannot be set.
   */
  labels?: {
    [k: string]: string | undefined;
  };
  /**
   * PEM CA certificate(s) that sign the API server's certificate, usually ${file:ca.pem}. Default: the kubeconfig's certificate-authority(-data), else Node's bundled public CAs.
   */
  ca_cert?: string;
  /**
   * Do not verify the API server's TLS certificate (warned about in validate and at start-up: the credentials travel unverified; set ca_cert instead).
   */
  insecure_skip_verify?: boolean;
}
/**
 * Harvester VM provider: KubeVirt on Harvester HCI. Like kubevirt, but the root disk is made from a Harvester VirtualMachineImage (image) and network names a Harvester VM network (NetworkAttachmentDefinition).
 */
export interface HarvesterVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "harvester";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on VMs created through this provider config, regardless of the need for free slots.
   */
  max_instances: number;
  /**
   * Startup script template (usually #cloud-config), rendered and stored in a Secret (key userdata) that the VM's cloudInitNoCloud volume names (secretRef); the Secret is owned by the VM and garbage-collected with it. Kubernetes limits a Secret to 1 MiB (1,048,576 bytes), checked at validate time with worst-case variable values. Same variables as the local provider.
   */
  startup_script: string;
  /**
   * A kubeconfig (YAML) as a secret reference, usually ${file:kubeconfig} (not a *.yaml name in the config directory: poolform reads those as configuration) (downloaded from the Harvester dashboard: Support > Download KubeConfig). Its current context (or context) names the cluster, CA and credentials. Or set api_server + token, or in_cluster.
   */
  kubeconfig?: string;
  /**
   * kubeconfig context to use (default: current-context).
   */
  context?: string;
  /**
   * Kubernetes API server URL (with token, instead of kubeconfig), e.g. https://10.0.0.10:6443.
   */
  api_server?: string;
  /**
   * Bearer token (a ServiceAccount token) as a secret reference, used with api_server.
   */
  token?: string;
  /**
   * Use the pod's ServiceAccount (token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT) when poolform runs inside the cluster.
   */
  in_cluster?: boolean;
  /**
   * Namespace the VirtualMachines, their DataVolumes and cloud-init Secrets are created in.
   */
  namespace: string;
  /**
   * Harvester VirtualMachineImage (harvesterhci.io/v1beta1) as namespace/name, e.g. default/image-abcde: the root disk is a DataVolume annotated harvesterhci.io/imageId with it, in storage class longhorn-<name>. Checked to exist (and be imported) before each create.
   */
  image: string;
  /**
   * StorageClass of the root disk's PVC (DataVolume spec.storage.storageClassName). Default: the image's longhorn-<image name> class, as Harvester's UI does.
   */
  storage_class?: string;
  /**
   * Size of the root disk (DataVolume spec.storage.resources.requests.storage), a Kubernetes quantity such as 40Gi. Default 40Gi.
   */
  disk_size?: string;
  /**
   * Virtual CPU cores (spec.template.spec.domain.cpu.cores).
   */
  cpu_cores: number;
  /**
   * Guest memory (spec.template.spec.domain.memory.guest), a Kubernetes quantity such as 4Gi.
   */
  memory: string;
  /**
   * pod (the pod network, masquerade binding; the default) or a Harvester VM network (a VLAN NetworkAttachmentDefinition, k8s.cni.cncf.io/v1) as namespace/name (networks[].multus.networkName, bridge binding). The VM's address comes from the VMI's status.interfaces (off the pod network the guest agent must report it).
   */
  network?: string;
  /**
   * An SSH public key added to the cloud-init user data (ssh_authorized_keys) when the startup script is #cloud-config.
   */
  ssh_key?: string;
  /**
   * Extra labels on the VirtualMachine and its VMI (spec.template.metadata.labels). Keys under poolform.io/ are poolform's ownership markers and cannot be set.
   */
  labels?: {
    [k: string]: string | undefined;
  };
  /**
   * PEM CA certificate(s) that sign the API server's certificate, usually ${file:ca.pem}. Default: the kubeconfig's certificate-authority(-data), else Node's bundled public CAs.
   */
  ca_cert?: string;
  /**
   * Do not verify the API server's TLS certificate (warned about in validate and at start-up: the credentials travel unverified; set ca_cert instead).
   */
  insecure_skip_verify?: boolean;
}
/**
 * The embedded local provider: a VM is a directory under the state path whose startup script runs with /bin/sh. For demos and tests.
 */
export interface LocalVmProvider {
  /**
   * Document kind.
   */
  kind: "VmProvider";
  /**
   * Provider config name, referenced by autoscale configs.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "local";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Hard cap on VMs created through this provider config, across every autoscale config using it.
   */
  max_instances: number;
  /**
   * Startup script template run at boot. Variables: {server_id}, {server_hostname}, {server_external_fqdn}, {checkin_jwt}, {upstream_auth_address}, {provider_name}, {manager_token}, {connection_username}, {connection_password}, {ad_join_credential}, {domain}, {nginx_cert}, {nginx_key}. Write literal braces as {{ and }}.
   */
  startup_script: string;
  /**
   * Wait this long before running the startup script (simulates a slow boot).
   */
  boot_delay?: string;
  /**
   * Cores a local VM reports (docker agent sizing).
   */
  cores?: number;
  /**
   * Memory (MB) a local VM reports (docker agent sizing).
   */
  memory_mb?: number;
  /**
   * GPUs a local VM reports (docker agent sizing).
   */
  gpus?: number;
}
/**
 * AWS Route 53 DNS provider.
 */
export interface Route53DnsProvider {
  /**
   * Document kind.
   */
  kind: "DnsProvider";
  /**
   * Provider config name.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "route53";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Region for the Route 53 client.
   */
  aws_region?: string;
  /**
   * Hosted zone to use; by default it is found from the autoscale config's base_domain_name.
   */
  hosted_zone_id?: string;
  /**
   * Record TTL in seconds.
   */
  ttl?: number;
  /**
   * Which address of the instance the A record points at.
   */
  ip?: "private" | "public";
  /**
   * AWS access key id. It names the key and is not itself a secret: plaintext (AKIA...) or a reference `${env:NAME}` / `${file:PATH}`. Omit (with secret_access_key) for the default chain.
   */
  access_key_id?: string;
  /**
   * AWS secret access key (secret reference).
   */
  secret_access_key?: string;
  /**
   * Custom Route 53 endpoint URL (emulators).
   */
  endpoint?: string;
}
/**
 * Azure DNS provider: A records in the Azure DNS zone of the autoscale config's base_domain_name.
 */
export interface AzureDnsProvider {
  /**
   * Document kind.
   */
  kind: "DnsProvider";
  /**
   * Provider config name.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "azure";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Azure subscription id (a GUID): the `/subscriptions/{id}` part of every ARM URL.
   */
  subscription_id: string;
  /**
   * Microsoft Entra tenant (directory) id, a GUID or a verified domain such as contoso.onmicrosoft.com: the token authority `{login host}/{tenant_id}`.
   */
  tenant_id: string;
  /**
   * Application (client) id of the app registration (with client_secret), or of a user-assigned managed identity (with use_managed_identity). Not a secret. Omit client_id, client_secret and use_managed_identity to use DefaultAzureCredential (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, workload identity, managed identity, Azure CLI).
   */
  client_id?: string;
  /**
   * Client secret of the app registration (secret reference).
   */
  client_secret?: string;
  /**
   * Get tokens from the managed identity of the machine poolform runs on (inside Azure); client_id picks a user-assigned identity.
   */
  use_managed_identity?: boolean;
  /**
   * Azure cloud: picks the login host (login.microsoftonline.com / .us / login.chinacloudapi.cn) and the ARM host (management.azure.com / management.usgovcloudapi.net / management.chinacloudapi.cn).
   */
  cloud?: "public" | "usgov" | "china";
  /**
   * Resource group that holds the DNS zone.
   */
  resource_group: string;
  /**
   * DNS zone to write in; by default the zone named like base_domain_name, else its closest parent zone in resource_group.
   */
  zone_name?: string;
  /**
   * Record TTL in seconds.
   */
  ttl?: number;
  /**
   * Which address of the VM the A record points at.
   */
  ip?: "private" | "public";
  /**
   * Custom Azure Resource Manager endpoint URL (tests, Azure Stack); default from cloud.
   */
  endpoint?: string;
  /**
   * Custom Microsoft Entra authority host URL (tests, Azure Stack); default from cloud.
   */
  authority_host?: string;
}
/**
 * Google Cloud DNS provider: A records (with an ownership TXT record) in the managed zone of the autoscale config's base_domain_name.
 */
export interface GcpDnsProvider {
  /**
   * Document kind.
   */
  kind: "DnsProvider";
  /**
   * Provider config name.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "gcp";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Google Cloud project id that holds the managed zone.
   */
  project: string;
  /**
   * Service-account key (the JSON file's content) as a secret reference, e.g. ${file:sa-key.json}. Omit to use Application Default Credentials.
   */
  credentials_json?: string;
  /**
   * Managed zone name to write in; by default the zone whose dnsName is base_domain_name (managedZones.list?dnsName=), else its closest parent zone.
   */
  managed_zone?: string;
  /**
   * Record TTL in seconds.
   */
  ttl?: number;
  /**
   * Which address of the VM the A record points at.
   */
  ip?: "private" | "public";
  /**
   * Custom Cloud DNS API endpoint (scheme://host[:port]; tests). Default https://dns.googleapis.com.
   */
  endpoint?: string;
}
/**
 * DigitalOcean DNS provider: A records (each with an ownership TXT record at the same name) in the DigitalOcean domain of the autoscale config's base_domain_name.
 */
export interface DigitalOceanDnsProvider {
  /**
   * Document kind.
   */
  kind: "DnsProvider";
  /**
   * Provider config name.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "digital_ocean";
  /**
   * Free text.
   */
  description?: string;
  /**
   * DigitalOcean API token with domain read/create/update/delete scopes, as a secret reference, e.g. ${env:DIGITALOCEAN_TOKEN}.
   */
  token: string;
  /**
   * The DigitalOcean domain (zone) to write in; by default the domain that equals base_domain_name, else its closest parent (GET /v2/domains).
   */
  domain?: string;
  /**
   * Record TTL in seconds (DigitalOcean's minimum is 30).
   */
  ttl?: number;
  /**
   * Which address of the VM the A record points at.
   */
  ip?: "private" | "public";
  /**
   * Custom API endpoint (scheme://host[:port]; tests). Default https://api.digitalocean.com.
   */
  api_url?: string;
}
/**
 * Oracle Cloud Infrastructure DNS provider: A records (each with an ownership TXT record at the same name) in the OCI zone of the autoscale config's base_domain_name.
 */
export interface OciDnsProvider {
  /**
   * Document kind.
   */
  kind: "DnsProvider";
  /**
   * Provider config name.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "oci";
  /**
   * Free text.
   */
  description?: string;
  /**
   * OCID of the tenancy (ocid1.tenancy.oc1.....); the first part of the API signing keyId.
   */
  tenancy_ocid: string;
  /**
   * OCID of the API user (ocid1.user.oc1.....) whose API key signs requests.
   */
  user_ocid: string;
  /**
   * Fingerprint of the API signing key as OCI shows it (16 colon-separated hex pairs).
   */
  fingerprint: string;
  /**
   * The API signing private key (PEM) as a secret reference, e.g. ${file:oci_api_key.pem}.
   */
  private_key: string;
  /**
   * Passphrase of an encrypted private_key, as a secret reference.
   */
  private_key_passphrase?: string;
  /**
   * Region identifier, e.g. us-ashburn-1, eu-frankfurt-1.
   */
  region: string;
  /**
   * OCID of the compartment holding the zone (zone lookup by name).
   */
  compartment_id: string;
  /**
   * The OCI DNS zone to write in; by default the zone named base_domain_name, else its closest parent (ListZones).
   */
  zone?: string;
  /**
   * Record TTL in seconds.
   */
  ttl?: number;
  /**
   * Which address of the VM the A record points at.
   */
  ip?: "private" | "public";
  /**
   * Custom DNS API endpoint (scheme://host[:port]; tests). Default https://dns.{region}.oci.oraclecloud.com.
   */
  endpoint?: string;
}
/**
 * Local DNS provider: writes a hosts-format file under the state path.
 */
export interface LocalDnsProvider {
  /**
   * Document kind.
   */
  kind: "DnsProvider";
  /**
   * Provider config name.
   */
  name: string;
  /**
   * Provider type.
   */
  type: "local";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Record TTL in seconds.
   */
  ttl?: number;
  /**
   * Which address of the VM the record points at.
   */
  ip?: "private" | "public";
}
/**
 * An LDAP/Active Directory connection, used to create AD computer records.
 */
export interface LdapConfig {
  /**
   * Document kind.
   */
  kind: "LdapConfig";
  /**
   * LDAP config name.
   */
  name: string;
  /**
   * Free text.
   */
  description?: string;
  /**
   * Whether this config is used for user authentication; computer records work either way.
   */
  enabled?: boolean;
  /**
   * Server URL. Computer records require ldaps:// (AD refuses to set passwords over plain LDAP).
   */
  url: string;
  /**
   * DN (or user@REALM) to bind as.
   */
  bind_dn: string;
  /**
   * Bind password (secret reference).
   */
  bind_password: string;
  /**
   * Search base, e.g. DC=corp,DC=example,DC=com; the AD {domain} is derived from it.
   */
  search_base: string;
  /**
   * PEM CA certificate(s) that sign the server's certificate, usually ${file:ca.pem}.
   */
  ca_cert?: string;
  /**
   * Do not verify the server certificate (warned about in validate and plan).
   */
  tls_insecure_skip_verify?: boolean;
  /**
   * Connect timeout in milliseconds.
   */
  connect_timeout_ms?: number;
  /**
   * Operation timeout in milliseconds.
   */
  timeout_ms?: number;
}
/**
 * What a container session runs, and the resources it needs on a docker agent.
 */
export interface Workspace {
  /**
   * Document kind.
   */
  kind: "Workspace";
  /**
   * Workspace name.
   */
  name: string;
  /**
   * Free text.
   */
  description?: string;
  /**
   * Container image.
   */
  image: string;
  /**
   * Cores a session needs.
   */
  cores?: number;
  /**
   * Memory (MB) a session needs.
   */
  memory_mb?: number;
  /**
   * GPUs a session needs.
   */
  gpus?: number;
}
/**
 * A pool: fixed servers and/or autoscaled VMs behind one workspace; sessions are spread evenly over its servers.
 */
export interface Pool {
  /**
   * Document kind.
   */
  kind: "Pool";
  /**
   * Pool name (users request sessions by it).
   */
  name: string;
  /**
   * server: RDP/VNC/SSH servers; docker_agent: container hosts.
   */
  type: "server" | "docker_agent";
  /**
   * Free text.
   */
  description?: string;
  /**
   * Name shown to people (status, plan output, servers list).
   */
  friendly_name?: string;
  /**
   * A disabled pool takes no new sessions.
   */
  enabled?: boolean;
  /**
   * Server pools: fixed servers.
   */
  servers?: FixedServer[];
  /**
   * Docker agent pools: fixed (existing) docker agents, placed like autoscaled agents and never destroyed.
   */
  agents?: FixedAgent[];
  /**
   * Autoscale configs.
   */
  autoscale?: AutoscaleConfig[];
  /**
   * Docker agent pools: staging configs.
   */
  staging?: StagingConfig[];
}
/**
 * A fixed server that poolform registers in the pool (no infrastructure is created).
 */
export interface FixedServer {
  /**
   * Server name, unique in the pool (address server.<pool>.<name>).
   */
  name: string;
  /**
   * Disabled servers get no new sessions.
   */
  enabled?: boolean;
  /**
   * Name shown to people (status, plan output, servers list).
   */
  friendly_name?: string;
  /**
   * IP address or DNS name of the server.
   */
  hostname: string;
  /**
   * Zone the server is in.
   */
  zone?: string;
  /**
   * Sessions the server allows at once.
   */
  max_simultaneous_sessions?: number;
  /**
   * Whether the server can be given to another session after one ends.
   */
  reusable?: boolean;
  /**
   * Protocol to connect with: kasmvnc, rdp, vnc or ssh.
   */
  connection_type: "kasmvnc" | "rdp" | "vnc" | "ssh";
  /**
   * Port to connect on.
   */
  connection_port?: number;
  /**
   * Username to connect with; `{sso_username}` passes the requesting user's name.
   */
  connection_username?: string;
  /**
   * Password (secret reference); `{sso_cred}` passes the requesting user's credential.
   */
  connection_password?: string;
  /**
   * SSH only: use the requesting user's SSH key.
   */
  use_user_private_key?: boolean;
  /**
   * SSH only: private key (RSA PKCS#1 PEM, 2048 bits), secret reference.
   */
  connection_private_key?: string;
  /**
   * SSH only: passphrase of the private key.
   */
  connection_passphrase?: string;
  /**
   * Extra connection info (free JSON).
   */
  connection_info?: {};
  /**
   * The Windows service agent is installed.
   */
  agent_installed?: boolean;
}
/**
 * An existing docker agent that poolform registers in a docker agent pool (no infrastructure is created; never destroyed).
 */
export interface FixedAgent {
  /**
   * Agent name, unique in the pool among servers and agents (address server.<pool>.<name>).
   */
  name: string;
  /**
   * Disabled agents get no new sessions.
   */
  enabled?: boolean;
  /**
   * Name shown to people (status, plan output, servers list).
   */
  friendly_name?: string;
  /**
   * IP address or DNS name of the agent.
   */
  hostname: string;
  /**
   * Zone the agent is in.
   */
  zone?: string;
  /**
   * Cores the agent offers to sessions.
   */
  cores: number;
  /**
   * Memory (MB) the agent offers to sessions.
   */
  memory_mb: number;
  /**
   * GPUs the agent offers to sessions.
   */
  gpus?: number;
}
/**
 * An autoscale config: how poolform creates and destroys servers (server pools) or docker agents (docker_agent pools) on a VM provider. Fields marked 'server pools' or 'docker agent pools' are rejected on the other pool type.
 */
export interface AutoscaleConfig {
  /**
   * Autoscale config name, unique in the pool.
   */
  name: string;
  /**
   * Optional; must equal the pool's type.
   */
  autoscale_type?: "server" | "docker_agent";
  /**
   * A disabled config is never active: it creates nothing and its idle servers are removed.
   */
  enabled?: boolean;
  /**
   * Queue session requests when no capacity is free and provision for them at once, instead of answering 'no resources'.
   */
  aggressive_scaling?: boolean;
  /**
   * Zone the servers are created in.
   */
  zone?: string;
  /**
   * VmProvider config to create servers with.
   */
  vm_provider: string;
  /**
   * DnsProvider config to register servers in (with register_dns).
   */
  dns_provider?: string;
  /**
   * Register `<server_hostname>.<base_domain_name>` → the server's IP.
   */
  register_dns?: boolean;
  /**
   * DNS zone servers are registered under (an existing hosted zone), e.g. agents.example.com.
   */
  base_domain_name?: string;
  /**
   * Prefix of generated hostnames (at most 7 characters; hostnames stay within the 15-character NetBIOS limit). Default: derived from the pool name.
   */
  hostname_prefix?: string;
  /**
   * When the config is active. None: always active while enabled. Several: active when any is.
   */
  schedules?: Schedule[];
  /**
   * Start a rising window target this much earlier, so capacity is ready when the window begins: a duration (e.g. 20m), `auto` (the median boot time, create to first running check-in, of this config's last 20 servers, at most 2h; checkin_timeout / 2 until one has booted; needs require_checkin) or `off`. Falling targets are never brought forward.
   */
  prewarm?: string;
  /**
   * A server that has not checked in (or booted) after this is destroyed and replaced; repeated failures back off exponentially (default 30m).
   */
  checkin_timeout?: string;
  /**
   * Seconds after this config's last create during which nothing is destroyed (default 0 for server pools, 1800 for docker agent pools).
   */
  downscale_backoff?: number;
  /**
   * A new server (or docker agent) gets sessions only after it checks in with status running (agents may instead register with {manager_token}); without a check-in within checkin_timeout it is replaced.
   */
  require_checkin?: boolean;
  /**
   * Server pools: the Windows service agent is installed in the image.
   */
  agent_installed?: boolean;
  /**
   * Server pools: protocol to connect with (required for server pools).
   */
  connection_type?: "kasmvnc" | "rdp" | "vnc" | "ssh";
  /**
   * Server pools: port to connect on.
   */
  connection_port?: number;
  /**
   * Server pools: username; `{sso_username}` passes the requesting user's name.
   */
  connection_username?: string;
  /**
   * Server pools: password (secret reference); `{sso_cred}` passes the user's credential.
   */
  connection_password?: string;
  /**
   * Server pools, SSH only: use the requesting user's SSH key.
   */
  use_user_private_key?: boolean;
  /**
   * Server pools, SSH only: private key (RSA PKCS#1 PEM, 2048 bits).
   */
  connection_private_key?: string;
  /**
   * Server pools, SSH only: passphrase of the private key.
   */
  connection_passphrase?: string;
  /**
   * Server pools: extra connection info (free JSON).
   */
  connection_info?: {};
  /**
   * Server pools: pre-create an AD computer record with a one-time join password ({ad_join_credential}) before the VM is created.
   */
  ad_create_machine_record?: boolean;
  /**
   * Server pools: LdapConfig used for AD computer records (must be ldaps://).
   */
  ldap_config?: string;
  /**
   * Server pools: DN of the OU computer records are created in.
   */
  ad_computer_container_dn?: string;
  /**
   * Server pools: also delete child objects of the computer record when removing it.
   */
  ad_recursive_cleanup?: boolean;
  /**
   * Server pools: a server is reused after a session ends; if false it is destroyed when its session ends.
   */
  reusable?: boolean;
  /**
   * Server pools: free session slots to keep available.
   */
  minimum_available_sessions?: number;
  /**
   * Server pools: sessions per server; above 1 only for reusable RDP/SSH.
   */
  max_simultaneous_sessions_per_server?: number;
  /**
   * Docker agent pools: cores to keep available beyond what staging needs.
   */
  standby_cores?: number;
  /**
   * Docker agent pools: GPUs to keep available beyond what staging needs.
   */
  standby_gpus?: number;
  /**
   * Docker agent pools: memory (MB) to keep available beyond what staging needs.
   */
  standby_memory_mb?: number;
  /**
   * Docker agent pools: cores each agent offers (default: the instance type's).
   */
  agent_cores_override?: number;
  /**
   * Docker agent pools: GPUs each agent offers (default: the instance type's).
   */
  agent_gpus_override?: number;
  /**
   * Docker agent pools: memory (GB) each agent offers (default: the instance type's).
   */
  agent_memory_override_gb?: number;
  /**
   * Docker agent pools: PEM certificate for the agents' proxy (a wildcard for base_domain_name).
   */
  nginx_cert?: string;
  /**
   * Docker agent pools: PEM key for the agents' proxy (secret reference).
   */
  nginx_key?: string;
}
/**
 * A window in which the autoscale config is active, in the local wall time of `timezone`. `days` are the days a window starts on. start < end: active [start, end) that day; start > end: overnight, until `end` on the next day. `end: "24:00"` means the end of the day. A window may override the config's scaling targets while it is active (minimum_available_sessions, standby_*, num_sessions / staging_num_sessions, max_instances); where windows overlap, the larger target wins.
 */
export interface Schedule {
  /**
   * Days of the week on which this window starts.
   */
  days: Day[];
  /**
   * Local start time, HH:MM (24-hour).
   */
  start: string;
  /**
   * Local end time, HH:MM (24-hour); "24:00" is the end of the day. Earlier than start = overnight.
   */
  end: string;
  /**
   * IANA time zone the times are in, e.g. America/New_York.
   */
  timezone: string;
  /**
   * Server pools: minimum_available_sessions while this window is active (overrides the autoscale config's). Overlapping windows: the larger target wins.
   */
  minimum_available_sessions?: number;
  /**
   * Docker agent pools: standby_cores while this window is active. Overlapping windows: the larger target wins.
   */
  standby_cores?: number;
  /**
   * Docker agent pools: standby_memory_mb while this window is active. Overlapping windows: the larger target wins.
   */
  standby_memory_mb?: number;
  /**
   * Docker agent pools: standby_gpus while this window is active. Overlapping windows: the larger target wins.
   */
  standby_gpus?: number;
  /**
   * Docker agent pools: num_sessions of every staging config that uses this autoscale config while this window is active (staging_num_sessions sets one by name and takes precedence). Overlapping windows: the larger target wins.
   */
  num_sessions?: number;
  /**
   * Docker agent pools: num_sessions per staging config (by name; the staging config must use this autoscale config) while this window is active. Overlapping windows: the larger target wins.
   */
  staging_num_sessions?: {
    [k: string]: number | undefined;
  };
  /**
   * At most this many servers of this autoscale config while this window is active: a lower cap under the VM provider's max_instances, never a higher one. Overlapping windows: the larger cap wins (a window without one: no extra cap).
   */
  max_instances?: number;
}
/**
 * Docker agent pools: sessions to pre-create so users get one at once.
 */
export interface StagingConfig {
  /**
   * Staging config name, unique in the pool.
   */
  name: string;
  /**
   * Zone the sessions are staged in.
   */
  zone?: string;
  /**
   * Workspace to stage.
   */
  workspace: string;
  /**
   * Autoscale config (in this pool) whose agents host the sessions.
   */
  autoscale: string;
  /**
   * Staged sessions to keep; lowering it destroys the excess.
   */
  num_sessions: number;
  /**
   * Hours after which an unassigned staged session is destroyed and re-created.
   */
  expiration?: number;
}
