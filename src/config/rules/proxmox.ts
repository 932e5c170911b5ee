// Proxmox VE provider settings the schema cannot express alone (VmProvider
// `type: proxmox`):
// proxmox-tags-reserved: `poolform` and tags starting with `pf-` are the
//   ownership markers (providers/proxmox/markers.ts); a config tag among them
//   would make VMs look like poolform's or hide their values.
// proxmox-storage-linked: `storage` is a full clone's target storage (PVE
//   refuses it for a linked clone, which stays on the template's storage).
// tls-insecure (warning): insecure_skip_verify is on.
import type { Rule } from './context.ts';

export const proxmoxProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'proxmox') continue;
    for (const [i, tag] of (provider.tags ?? []).entries()) {
      const lower = tag.toLowerCase();
      if (lower === 'poolform' || lower.startsWith('pf-')) {
        ctx.report('error', 'proxmox-tags-reserved', `tag ${tag} is reserved for poolform's ownership markers (poolform, pf-*); rename it`, {
          doc: provider,
          path: ['tags', i],
        });
      }
    }
    if (provider.storage !== undefined && provider.full_clone !== true) {
      ctx.report('error', 'proxmox-storage-linked', "storage applies only with full_clone: true (a linked clone stays on the template's storage)", {
        doc: provider,
        path: ['storage'],
      });
    }
    if (provider.insecure_skip_verify === true) {
      ctx.report('warning', 'tls-insecure', `VmProvider ${provider.name} does not verify the certificate of the Proxmox VE API; set ca_cert instead`, {
        doc: provider,
        path: ['insecure_skip_verify'],
      });
    }
  }
};
