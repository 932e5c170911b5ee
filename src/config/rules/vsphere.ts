// VMware vSphere provider settings the schema cannot express alone (VmProvider
// `type: vsphere`):
// vsphere-placement: exactly one of resource_pool and cluster (the clone's
//   placement.resource_pool; a cluster means its root pool).
// vsphere-name-too-long: poolform's VM names carry the hostname, the owner
//   marker, the pool and autoscale names and the server id
//   (providers/vsphere/names.ts); vSphere allows 80 characters, so a pool +
//   autoscale config whose names leave no room is refused here rather than at
//   every create.
// tls-insecure (warning): insecure_skip_verify is on.
import { SERVER_ID_LENGTH } from '../../plan/names.ts';
import { encodeField, ownerMarker, VM_NAME_MAX } from '../../providers/vsphere/names.ts';
import type { Rule } from './context.ts';

/** Longest generated hostname (NetBIOS limit, plan/names.ts). */
const HOSTNAME_MAX = 15;

export const vsphereProviders: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    if (provider.type !== 'vsphere') continue;
    const both = provider.resource_pool !== undefined && provider.cluster !== undefined;
    if (both || (provider.resource_pool === undefined && provider.cluster === undefined)) {
      ctx.report('error', 'vsphere-placement', `VmProvider ${provider.name}: set exactly one of resource_pool and cluster${both ? ' (both are set)' : ''}`, {
        doc: provider,
        path: both ? ['cluster'] : [],
      });
    }
    if (provider.insecure_skip_verify === true) {
      ctx.report(
        'warning',
        'tls-insecure',
        `VmProvider ${provider.name} does not verify vCenter's certificate: the password travels over an unverified connection; set ca_cert instead`,
        {
          doc: provider,
          path: ['insecure_skip_verify'],
        },
      );
    }
    for (const pool of ctx.config.pools) {
      for (const [i, a] of (pool.autoscale ?? []).entries()) {
        if (a.vm_provider !== provider.name) continue;
        const length = HOSTNAME_MAX + ownerMarker(provider.name).length + encodeField(pool.name).length + encodeField(a.name).length + SERVER_ID_LENGTH + 4;
        if (length > VM_NAME_MAX) {
          ctx.report(
            'error',
            'vsphere-name-too-long',
            `VM names of pool ${pool.name} / autoscale config ${a.name} on vsphere provider ${provider.name} can reach ${length} characters; vSphere allows ${VM_NAME_MAX}. Shorten the pool or autoscale name`,
            { doc: pool, path: ['autoscale', i, 'name'] },
          );
        }
      }
    }
  }
};
