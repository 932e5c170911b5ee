// KubeVirt and Harvester provider settings the schema cannot express alone
// (VmProvider `type: kubevirt` / `harvester`):
// kubevirt-credentials: exactly one way in: kubeconfig (optionally with
//   context), api_server with token, or in_cluster: true.
// kubevirt-disk-settings: a CDI boot source (http_url, registry_url,
//   pvc_clone) needs disk_size (the DataVolume's size); container_disk has no
//   disk to size, so storage_class / disk_size are refused with it.
// kubevirt-labels-reserved: label keys under poolform.io/ are the ownership
//   markers (providers/kubevirt/labels.ts).
// kubevirt-ssh-key-unused (warning): ssh_key is added only to a #cloud-config
//   startup script.
// tls-insecure (warning): insecure_skip_verify is on.
import type { Rule } from './context.ts';

export const kubevirtProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'kubevirt' && provider.type !== 'harvester') continue;
    const ways = [provider.kubeconfig !== undefined, provider.api_server !== undefined, provider.in_cluster === true].filter(Boolean).length;
    if (ways !== 1) {
      ctx.report(
        'error',
        'kubevirt-credentials',
        ways === 0
          ? 'set one of kubeconfig (a secret reference such as ${file:kubeconfig.yaml}), api_server with token, or in_cluster: true'
          : 'set only one of kubeconfig, api_server (with token) and in_cluster',
        { doc: provider, path: [] },
      );
    }
    if (provider.api_server !== undefined && provider.token === undefined) {
      ctx.report('error', 'kubevirt-credentials', 'api_server needs token (a ServiceAccount token as a secret reference)', {
        doc: provider,
        path: ['api_server'],
      });
    }
    if (provider.token !== undefined && provider.api_server === undefined) {
      ctx.report('error', 'kubevirt-credentials', 'token is used only with api_server', { doc: provider, path: ['token'] });
    }
    if (provider.context !== undefined && provider.kubeconfig === undefined) {
      ctx.report('error', 'kubevirt-credentials', 'context is used only with kubeconfig', { doc: provider, path: ['context'] });
    }
    if (provider.type === 'kubevirt') {
      const source = provider.boot_source;
      if (source.container_disk !== undefined) {
        for (const field of ['storage_class', 'disk_size'] as const) {
          if (provider[field] !== undefined) {
            ctx.report(
              'error',
              'kubevirt-disk-settings',
              `${field} does not apply to boot_source.container_disk (an ephemeral container disk); remove it or boot from a DataVolume`,
              {
                doc: provider,
                path: [field],
              },
            );
          }
        }
      } else if (provider.disk_size === undefined) {
        ctx.report(
          'error',
          'kubevirt-disk-settings',
          'disk_size is required with boot_source http_url, registry_url or pvc_clone (the DataVolume size, e.g. 40Gi)',
          {
            doc: provider,
            path: ['boot_source'],
          },
        );
      }
    }
    for (const key of Object.keys(provider.labels ?? {})) {
      if (key.startsWith('poolform.io/')) {
        ctx.report('error', 'kubevirt-labels-reserved', `label ${key} is reserved for poolform's ownership markers (poolform.io/*); rename it`, {
          doc: provider,
          path: ['labels', key],
        });
      }
    }
    if (provider.ssh_key !== undefined && !/^#cloud-config\s*\n/.test(provider.startup_script)) {
      ctx.report(
        'warning',
        'kubevirt-ssh-key-unused',
        'ssh_key is added only to a startup script that starts with #cloud-config; this script does not, so the key is not installed',
        {
          doc: provider,
          path: ['ssh_key'],
        },
      );
    }
    if (provider.insecure_skip_verify === true) {
      ctx.report('warning', 'tls-insecure', `VmProvider ${provider.name} does not verify the certificate of the Kubernetes API server; set ca_cert instead`, {
        doc: provider,
        path: ['insecure_skip_verify'],
      });
    }
  }
};
