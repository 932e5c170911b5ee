// Oracle Cloud provider settings that the schema cannot express alone
// (VmProvider `type: oci`):
// oci-shape-config: a flexible shape (`*.Flex`) needs shape_config (OCI
//   rejects the launch otherwise); a fixed shape must not have one.
// oci-metadata-too-large: metadata (user_data in base64 plus
//   ssh_authorized_keys) is limited to 32,000 bytes in total; the startup
//   script counts rendered with worst-case values. (The script alone is
//   checked by user-data-too-large; this adds the ssh keys.)
// oci-availability-domain-region: the availability domain's region part
//   (Uocm:US-ASHBURN-AD-1 → us-ashburn) must be the region's.
import { OCI_METADATA_LIMIT } from '../../template/worst-case.ts';
import type { Rule } from './context.ts';
import { worstCaseRenderedBytes } from './startup-script.ts';

/** JSON overhead of the metadata map: braces, quotes, keys, separators. */
const METADATA_OVERHEAD = 64;

export const ociProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'oci') continue;
    const flex = provider.shape.endsWith('.Flex');
    if (flex && provider.shape_config === undefined) {
      ctx.report('error', 'oci-shape-config', `shape ${provider.shape} is a flexible shape: set shape_config.ocpus (and optionally memory_in_gbs)`, {
        doc: provider,
        path: ['shape'],
      });
    } else if (!flex && provider.shape_config !== undefined) {
      ctx.report(
        'error',
        'oci-shape-config',
        `shape_config applies to flexible shapes (*.Flex) only; ${provider.shape} has a fixed size: remove shape_config`,
        {
          doc: provider,
          path: ['shape_config'],
        },
      );
    }
    if (provider.ssh_authorized_keys !== undefined && Buffer.byteLength(provider.startup_script, 'utf8') <= ctx.budgets.maxTemplateBytes) {
      const script = worstCaseRenderedBytes(provider.startup_script);
      const total = Math.ceil(script / 3) * 4 + Buffer.byteLength(JSON.stringify(provider.ssh_authorized_keys), 'utf8') + METADATA_OVERHEAD;
      if (total > OCI_METADATA_LIMIT) {
        ctx.report(
          'error',
          'oci-metadata-too-large',
          `instance metadata would be up to ${total} bytes (user_data is the startup script in base64, rendered with worst-case values, plus ssh_authorized_keys); OCI allows ${OCI_METADATA_LIMIT} bytes in total`,
          { doc: provider, path: ['ssh_authorized_keys'] },
        );
      }
    }
    const adRegion = /^[^:]+:([A-Z0-9-]+)-AD-\d$/.exec(provider.availability_domain)?.[1]?.toLowerCase();
    const region = provider.region.replace(/-\d+$/, '');
    if (adRegion !== undefined && adRegion !== region) {
      ctx.report('error', 'oci-availability-domain-region', `availability_domain ${provider.availability_domain} is not in region ${provider.region}`, {
        doc: provider,
        path: ['availability_domain'],
      });
    }
  }
};
