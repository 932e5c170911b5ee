// Google Cloud provider settings that the schema cannot express alone
// (VmProvider `type: gcp`):
// gcp-metadata-reserved: metadata keys poolform sets itself (the startup
//   script keys, sysprep-specialize-script-ps1 which would run a second
//   script on Windows, and the poolform-* ownership items).
// gcp-metadata-too-large: Compute allows under 512 KB of metadata in total
//   (keys + values); the startup script counts rendered with worst-case
//   values, plus poolform's own items (at most OWN_METADATA_RESERVE bytes).
// gcp-subnetwork-region: the subnetwork's region must contain the zone.
// gcp-scopes-without-service-account: scopes belong to the service account.
import { GCP_METADATA_TOTAL_LIMIT } from '../../template/worst-case.ts';
import type { Rule } from './context.ts';
import { worstCaseRenderedBytes } from './startup-script.ts';

/** Bytes of poolform's own metadata items (keys + the longest ids and names they hold). */
export const OWN_METADATA_RESERVE = 2048;

const RESERVED =
  /^(startup-script|windows-startup-script-ps1|sysprep-specialize-script-ps1|windows-startup-script-cmd|windows-startup-script-bat|poolform-.*)$/;

export const gcpProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'gcp') continue;
    let extra = 0;
    for (const [key, value] of Object.entries(provider.metadata ?? {})) {
      extra += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value ?? '', 'utf8');
      if (RESERVED.test(key)) {
        ctx.report('error', 'gcp-metadata-reserved', `metadata key ${key} is set by poolform (the startup script goes in startup_script); remove it`, {
          doc: provider,
          path: ['metadata', key],
          target: 'key',
        });
      }
    }
    if (Buffer.byteLength(provider.startup_script, 'utf8') <= ctx.budgets.maxTemplateBytes) {
      const scriptKey = provider.os_type === 'windows' ? 'windows-startup-script-ps1' : 'startup-script';
      const total = extra + OWN_METADATA_RESERVE + scriptKey.length + worstCaseRenderedBytes(provider.startup_script);
      if (total >= GCP_METADATA_TOTAL_LIMIT) {
        ctx.report(
          'error',
          'gcp-metadata-too-large',
          `instance metadata would be up to ${total} bytes (startup script rendered with worst-case values, metadata items and poolform's own); Compute allows less than ${GCP_METADATA_TOTAL_LIMIT} bytes in total`,
          { doc: provider, path: [provider.metadata ? 'metadata' : 'startup_script'] },
        );
      }
    }
    const subnetRegion = /(?:^|\/)regions\/([^/]+)\//.exec(provider.subnetwork ?? '')?.[1];
    const zoneRegion = provider.zone.replace(/-[a-z]$/, '');
    if (subnetRegion !== undefined && subnetRegion !== zoneRegion) {
      ctx.report(
        'error',
        'gcp-subnetwork-region',
        `subnetwork is in region ${subnetRegion}, but zone ${provider.zone} is in ${zoneRegion}: an instance can only use a subnetwork of its own region`,
        {
          doc: provider,
          path: ['subnetwork'],
        },
      );
    }
    if (provider.scopes !== undefined && provider.service_account_email === undefined) {
      ctx.report(
        'error',
        'gcp-scopes-without-service-account',
        'scopes are the OAuth scopes of service_account_email: set service_account_email too, or remove scopes',
        {
          doc: provider,
          path: ['scopes'],
          target: 'key',
        },
      );
    }
  }
};
