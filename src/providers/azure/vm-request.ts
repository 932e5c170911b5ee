// Pure builders of the ARM request bodies for one VM (SDK models, flattened:
// the SDK nests them under `properties` on the wire):
// - public IP (optional): Standard SKU, static, deleteOption Delete;
// - NIC: the subnet, the optional NSG and public IP;
// - VM: size, image, OS disk (deterministic name, deleteOption Delete), the
//   NIC (deleteOption Delete), osProfile with the computer name (the server
//   hostname), admin account, SSH key or password, customData (base64).
// Every resource carries the ownership tags (tags.ts).
import type { VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';
import type { AzureVmProvider } from '../../generated/config.ts';
import { encodeCustomData } from './custom-data.ts';

export function publicIpBody(config: AzureVmProvider, tags: Record<string, string>): PublicIPAddress {
  return {
    location: config.location,
    tags,
    sku: { name: 'Standard', tier: 'Regional' },
    publicIPAllocationMethod: 'Static',
    publicIPAddressVersion: 'IPv4',
    deleteOption: 'Delete',
  };
}

export function nicBody(config: AzureVmProvider, tags: Record<string, string>, publicIpId: string | undefined): NetworkInterface {
  return {
    location: config.location,
    tags,
    ...(config.nsg_id ? { networkSecurityGroup: { id: config.nsg_id } } : {}),
    ipConfigurations: [
      {
        name: 'ipconfig1',
        primary: true,
        privateIPAllocationMethod: 'Dynamic',
        subnet: { id: config.subnet_id },
        ...(publicIpId ? { publicIPAddress: { id: publicIpId } } : {}),
      },
    ],
  };
}

export interface VmBodyInput {
  config: AzureVmProvider;
  tags: Record<string, string>;
  nicId: string;
  osDiskName: string;
  computerName: string;
  /** The rendered startup script (secret: never logged). */
  userData: string;
  /** Resolved admin password (secret), when configured. */
  adminPassword?: string | undefined;
}

function imageReference(config: AzureVmProvider): NonNullable<NonNullable<VirtualMachine['storageProfile']>['imageReference']> {
  const image = config.image;
  if ('id' in image) return { id: image.id };
  return { publisher: image.publisher, offer: image.offer, sku: image.sku, version: image.version ?? 'latest' };
}

/** Windows computer names are NetBIOS names: at most 15 characters. */
export function computerNameFor(config: AzureVmProvider, hostname: string): string {
  return config.os_type === 'windows' ? hostname.slice(0, 15) : hostname.slice(0, 64);
}

export function vmBody(input: VmBodyInput): VirtualMachine {
  const { config } = input;
  const linux = config.os_type === 'linux';
  const sshKey = config.ssh_public_key;
  return {
    location: config.location,
    tags: input.tags,
    hardwareProfile: { vmSize: config.vm_size },
    storageProfile: {
      imageReference: imageReference(config),
      osDisk: {
        name: input.osDiskName,
        createOption: 'FromImage',
        deleteOption: 'Delete',
        ...(config.os_disk_size_gb !== undefined ? { diskSizeGB: config.os_disk_size_gb } : {}),
        ...(config.os_disk_type ? { managedDisk: { storageAccountType: config.os_disk_type } } : {}),
      },
    },
    networkProfile: { networkInterfaces: [{ id: input.nicId, primary: true, deleteOption: 'Delete' }] },
    osProfile: {
      computerName: input.computerName,
      adminUsername: config.admin_username,
      ...(input.adminPassword !== undefined ? { adminPassword: input.adminPassword } : {}),
      customData: encodeCustomData(input.userData),
      ...(linux
        ? {
            linuxConfiguration: {
              disablePasswordAuthentication: sshKey !== undefined && input.adminPassword === undefined,
              ...(sshKey ? { ssh: { publicKeys: [{ path: `/home/${config.admin_username}/.ssh/authorized_keys`, keyData: sshKey }] } } : {}),
            },
          }
        : { windowsConfiguration: { provisionVMAgent: true, enableAutomaticUpdates: true } }),
    },
  };
}
