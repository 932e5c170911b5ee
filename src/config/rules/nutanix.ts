// Nutanix provider settings the schema cannot express alone (VmProvider
// `type: nutanix`):
// nutanix-categories-reserved: category keys starting with `Poolform` are the
//   ownership markers (providers/nutanix/markers.ts); a config category among
//   them would make VMs look like another installation's or hide the values.
// tls-insecure (warning): insecure_skip_verify is on.
// (UUID shapes, sizes and the URL are schema patterns; the startup script's
// size is user-data-too-large, startup-script.ts; ca_cert is certificates.ts.)
import type { Rule } from './context.ts';

export const nutanixProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'nutanix') continue;
    for (const key of Object.keys(provider.categories ?? {})) {
      if (key.toLowerCase().startsWith('poolform')) {
        ctx.report('error', 'nutanix-categories-reserved', `category ${key} is reserved for poolform's ownership markers (Poolform*); use another key`, {
          doc: provider,
          path: ['categories', key],
        });
      }
    }
    if (provider.insecure_skip_verify === true) {
      ctx.report('warning', 'tls-insecure', `VmProvider ${provider.name} does not verify the certificate of Prism Central; set ca_cert instead`, {
        doc: provider,
        path: ['insecure_skip_verify'],
      });
    }
  }
};
