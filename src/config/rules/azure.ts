// Azure provider settings that the schema cannot express alone (VmProvider and
// DnsProvider `type: azure`):
// azure-credentials: client_secret needs client_id; use_managed_identity does
//   not take a client_secret (client_id then picks a user-assigned identity).
// azure-admin-password-required: a Windows image needs admin_password.
// azure-linux-login: a Linux image needs ssh_public_key or admin_password
//   (Azure refuses a VM with neither).
// azure-ssh-key-windows: ssh_public_key is Linux only.
// azure-subnet-subscription: the NIC is made in subscription_id; Azure needs
//   the subnet's virtual network in the same subscription.
import type { AzureDnsProvider, AzureVmProvider } from '../../generated/config.ts';
import type { Rule, RuleContext } from './context.ts';

function credentials(ctx: RuleContext, provider: AzureVmProvider | AzureDnsProvider): void {
  if (provider.client_secret !== undefined && provider.client_id === undefined) {
    ctx.report('error', 'azure-credentials', 'client_secret needs client_id (the application id of the app registration)', {
      doc: provider,
      path: ['client_secret'],
      target: 'key',
    });
  }
  if (provider.use_managed_identity === true && provider.client_secret !== undefined) {
    ctx.report(
      'error',
      'azure-credentials',
      'use_managed_identity takes no client_secret: remove one of them (client_id alone picks a user-assigned identity)',
      {
        doc: provider,
        path: ['client_secret'],
        target: 'key',
      },
    );
  }
}

export const azureProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'azure') continue;
    credentials(ctx, provider);
    if (provider.os_type === 'windows') {
      if (provider.admin_password === undefined) {
        ctx.report('error', 'azure-admin-password-required', 'os_type windows needs admin_password (a secret reference such as ${env:AZURE_ADMIN_PASSWORD})', {
          doc: provider,
          path: ['os_type'],
        });
      }
      if (provider.ssh_public_key !== undefined) {
        ctx.report('error', 'azure-ssh-key-windows', 'ssh_public_key is for Linux images; Windows VMs use admin_password', {
          doc: provider,
          path: ['ssh_public_key'],
          target: 'key',
        });
      }
    } else if (provider.ssh_public_key === undefined && provider.admin_password === undefined) {
      ctx.report('error', 'azure-linux-login', 'os_type linux needs ssh_public_key or admin_password: Azure refuses a Linux VM without either', {
        doc: provider,
        path: ['os_type'],
      });
    }
    const subnetSubscription = /^\/subscriptions\/([^/]+)\//i.exec(provider.subnet_id)?.[1];
    if (subnetSubscription !== undefined && subnetSubscription.toLowerCase() !== provider.subscription_id.toLowerCase()) {
      ctx.report(
        'error',
        'azure-subnet-subscription',
        `subnet_id is in subscription ${subnetSubscription}, not subscription_id ${provider.subscription_id}: Azure needs the NIC and the virtual network in the same subscription`,
        { doc: provider, path: ['subnet_id'] },
      );
    }
  }
  for (const provider of ctx.config.dnsProviders) {
    if (provider.type === 'azure') credentials(ctx, provider);
  }
};
