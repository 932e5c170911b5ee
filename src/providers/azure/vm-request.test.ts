import { describe, expect, it } from 'vitest';
import type { AzureVmProvider } from '../../generated/config.ts';
import { CUSTOM_DATA_MAX_BYTES, assertCustomDataFits, encodeCustomData } from './custom-data.ts';
import { computerNameFor, nicBody, publicIpBody, vmBody } from './vm-request.ts';

const config: AzureVmProvider = {
  kind: 'VmProvider',
  name: 'az',
  type: 'azure',
  max_instances: 1,
  startup_script: '',
  subscription_id: 's',
  tenant_id: 't',
  resource_group: 'rg',
  location: 'eastus',
  vm_size: 'Standard_B2s',
  image: { id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/i' },
  os_type: 'windows',
  subnet_id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/a',
  nsg_id: '/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkSecurityGroups/n',
  admin_username: 'pf',
  os_disk_type: 'Premium_LRS',
  os_disk_size_gb: 128,
};

describe('Azure request bodies', () => {
  it('a Windows VM: gallery image, password, 15-character computer name, delete options, customData base64', () => {
    const body = vmBody({
      config,
      tags: { a: 'b' },
      nicId: 'nic-id',
      osDiskName: 'pf-x-osdisk',
      computerName: computerNameFor(config, 'desktops-abcdefgh'),
      userData: 'echo hi',
      adminPassword: 'Pw-1!aaaa',
    });
    expect(body.storageProfile?.imageReference).toEqual({ id: config.image && 'id' in config.image ? config.image.id : '' });
    expect(body.storageProfile?.osDisk).toMatchObject({
      name: 'pf-x-osdisk',
      deleteOption: 'Delete',
      diskSizeGB: 128,
      managedDisk: { storageAccountType: 'Premium_LRS' },
    });
    expect(body.networkProfile?.networkInterfaces).toEqual([{ id: 'nic-id', primary: true, deleteOption: 'Delete' }]);
    expect(body.osProfile).toMatchObject({
      computerName: 'desktops-abcdef',
      adminPassword: 'Pw-1!aaaa',
      customData: encodeCustomData('echo hi'),
      windowsConfiguration: { provisionVMAgent: true },
    });
    expect(Buffer.from(body.osProfile?.customData ?? '', 'base64').toString()).toBe('echo hi');
  });

  it('a Linux VM with an SSH key disables password login', () => {
    const linux: AzureVmProvider = {
      ...config,
      os_type: 'linux',
      image: { publisher: 'Canonical', offer: 'o', sku: 's' },
      ssh_public_key: 'ssh-ed25519 AAAA k',
    };
    const body = vmBody({ config: linux, tags: {}, nicId: 'n', osDiskName: 'd', computerName: 'host', userData: '' });
    expect(body.storageProfile?.imageReference).toEqual({ publisher: 'Canonical', offer: 'o', sku: 's', version: 'latest' });
    expect(body.osProfile?.linuxConfiguration).toEqual({
      disablePasswordAuthentication: true,
      ssh: { publicKeys: [{ path: '/home/pf/.ssh/authorized_keys', keyData: 'ssh-ed25519 AAAA k' }] },
    });
  });

  it('NIC and public IP bodies', () => {
    expect(nicBody(config, { t: 'v' }, 'pip-id')).toMatchObject({
      networkSecurityGroup: { id: config.nsg_id },
      ipConfigurations: [{ subnet: { id: config.subnet_id }, publicIPAddress: { id: 'pip-id' } }],
    });
    expect(nicBody({ ...config, nsg_id: undefined } as AzureVmProvider, {}, undefined).ipConfigurations?.[0]).not.toHaveProperty('publicIPAddress');
    expect(publicIpBody(config, {})).toMatchObject({ sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', deleteOption: 'Delete' });
  });

  it('customData limit: 65,535 bytes of UTF-8 before base64', () => {
    expect(() => assertCustomDataFits('az', 'x'.repeat(CUSTOM_DATA_MAX_BYTES))).not.toThrow();
    expect(() => assertCustomDataFits('az', 'é'.repeat(32_768))).toThrow(/65536 bytes; Azure customData allows 65535/);
  });
});
