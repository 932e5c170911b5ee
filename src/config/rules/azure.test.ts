import { describe, expect, it } from 'vitest';
import { codes, loadStrings, only } from '../../../test/fixtures/config/load-strings.ts';

const SUB = '00000000-0000-0000-0000-000000000001';
const SUBNET = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;

function provider(extra: string): string {
  return `kind: VmProvider
name: az
type: azure
max_instances: 3
subscription_id: ${SUB}
tenant_id: contoso.onmicrosoft.com
resource_group: rg-pool
location: eastus
vm_size: Standard_B2s
image: { publisher: Canonical, offer: ubuntu-24_04-lts, sku: server }
subnet_id: ${SUBNET}
admin_username: poolform
startup_script: "echo {server_id}"
${extra}`;
}

const load = (extra: string) => loadStrings({ 'a.yaml': provider(extra) });

describe('azure provider rules', () => {
  it('accepts a Linux provider with a key and DefaultAzureCredential, and Windows with a password', async () => {
    expect(codes(await load('os_type: linux\nssh_public_key: ssh-ed25519 AAAAC3Nz ops\n'))).toEqual([]);
    expect(codes(await load('os_type: windows\nadmin_password: ${env:PW}\nclient_id: app\nclient_secret: ${env:S}\n'))).toEqual([]);
  });

  it('azure-credentials: client_secret without client_id, or beside use_managed_identity', async () => {
    expect(only(await load('os_type: linux\nadmin_password: ${env:PW}\nclient_secret: ${env:S}\n'), 'azure-credentials').map((d) => d.path)).toEqual([
      '/client_secret',
    ]);
    const both = await load('os_type: linux\nadmin_password: ${env:PW}\nclient_id: app\nclient_secret: ${env:S}\nuse_managed_identity: true\n');
    expect(only(both, 'azure-credentials')).toHaveLength(1);
    const dns = await loadStrings({
      'd.yaml': `kind: DnsProvider\nname: d\ntype: azure\nsubscription_id: ${SUB}\ntenant_id: t\nresource_group: rg\nclient_secret: \${env:S}\n`,
    });
    expect(codes(dns)).toEqual(['azure-credentials']);
  });

  it('azure-admin-password-required and azure-ssh-key-windows for Windows images', async () => {
    const r = await load('os_type: windows\nssh_public_key: ssh-ed25519 AAAAC3Nz ops\n');
    expect(codes(r).sort()).toEqual(['azure-admin-password-required', 'azure-ssh-key-windows']);
    expect(only(r, 'azure-ssh-key-windows').map((d) => d.path)).toEqual(['/ssh_public_key']);
  });

  it('azure-linux-login: a Linux image needs a key or a password', async () => {
    expect(codes(await load('os_type: linux\n'))).toEqual(['azure-linux-login']);
  });

  it('azure-subnet-subscription: the subnet must be in subscription_id', async () => {
    const other = `subnet_id: ${SUBNET.replace(SUB, '00000000-0000-0000-0000-0000000000ff')}\n`;
    const r = await loadStrings({ 'a.yaml': provider('os_type: linux\nadmin_password: ${env:PW}\n').replace(`subnet_id: ${SUBNET}\n`, other) });
    expect(only(r, 'azure-subnet-subscription').map((d) => d.path)).toEqual(['/subnet_id']);
  });
});
