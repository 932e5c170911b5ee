// OpenStack provider settings the schema cannot express alone (VmProvider
// `type: openstack`):
// openstack-auth-incomplete: auth_type password needs username, password and
//   a project (project_name or project_id); v3applicationcredential needs
//   application_credential_id and application_credential_secret.
// openstack-auth-mixed: settings of the other auth_type (they would be
//   ignored, which hides a mistake), or both project_name and project_id.
// openstack-volume-settings: volume_size_gb / volume_type belong to boot_from_volume,
//   which needs volume_size_gb (Nova makes the volume from the image).
// openstack-metadata-reserved: metadata keys starting with `poolform:` are
//   the ownership markers.
// tls-insecure (warning): insecure_skip_verify is on.
import type { Rule } from './context.ts';

/** The prefix of poolform's metadata keys (providers/openstack/markers.ts; config/ does not import providers/). */
const RESERVED_META_PREFIX = 'poolform:';

const PASSWORD_FIELDS = ['username', 'password', 'project_name', 'project_id'] as const;
const APP_CRED_FIELDS = ['application_credential_id', 'application_credential_secret'] as const;

export const openstackProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'openstack') continue;
    const appCred = provider.auth_type === 'v3applicationcredential';
    const missing: string[] = [];
    if (appCred) {
      for (const f of APP_CRED_FIELDS) if (provider[f] === undefined) missing.push(f);
    } else {
      if (provider.username === undefined) missing.push('username');
      if (provider.password === undefined) missing.push('password');
      if (provider.project_name === undefined && provider.project_id === undefined) missing.push('project_name (or project_id)');
    }
    if (missing.length > 0) {
      ctx.report('error', 'openstack-auth-incomplete', `auth_type ${appCred ? 'v3applicationcredential' : 'password'} needs ${missing.join(', ')}`, {
        doc: provider,
        path: ['auth_type'],
      });
    }
    for (const f of appCred ? PASSWORD_FIELDS : APP_CRED_FIELDS) {
      if (provider[f] !== undefined) {
        ctx.report(
          'error',
          'openstack-auth-mixed',
          `${f} belongs to auth_type ${appCred ? 'password' : 'v3applicationcredential'}; remove it or change auth_type`,
          {
            doc: provider,
            path: [f],
          },
        );
      }
    }
    if (!appCred && provider.project_name !== undefined && provider.project_id !== undefined) {
      ctx.report('error', 'openstack-auth-mixed', 'set project_name or project_id, not both', { doc: provider, path: ['project_id'] });
    }
    if (provider.boot_from_volume === true) {
      if (provider.volume_size_gb === undefined) {
        ctx.report('error', 'openstack-volume-settings', 'boot_from_volume needs volume_size_gb (the size of the volume made from image_id)', {
          doc: provider,
          path: ['boot_from_volume'],
        });
      }
    } else {
      for (const f of ['volume_size_gb', 'volume_type'] as const) {
        if (provider[f] !== undefined) {
          ctx.report('error', 'openstack-volume-settings', `${f} applies only with boot_from_volume: true`, { doc: provider, path: [f] });
        }
      }
    }
    for (const key of Object.keys(provider.metadata ?? {})) {
      if (key.startsWith(RESERVED_META_PREFIX)) {
        ctx.report(
          'error',
          'openstack-metadata-reserved',
          `metadata key ${key} is reserved for poolform's ownership markers (${RESERVED_META_PREFIX}*); rename it`,
          {
            doc: provider,
            path: ['metadata', key],
          },
        );
      }
    }
    if (provider.insecure_skip_verify === true) {
      ctx.report('warning', 'tls-insecure', `VmProvider ${provider.name} does not verify the certificates of Keystone and Nova; set ca_cert instead`, {
        doc: provider,
        path: ['insecure_skip_verify'],
      });
    }
  }
};
