// certificate-invalid: LdapConfig.ca_cert, an openstack / proxmox / nutanix / vsphere / kubevirt / harvester VmProvider's ca_cert and an autoscale config's
// nginx_cert, inline or `${file:...}`, must hold PEM certificate(s) that
// node:crypto can parse; a referenced file must exist (certificates are not
// secret and belong in the repository).
import { X509Certificate } from 'node:crypto';
import type { Rule, RuleContext } from './context.ts';
import type { PathSegment } from '../source.ts';
import { readFileValue } from './file-values.ts';

const BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Why a text is not a PEM certificate bundle, or undefined when it is. */
export function certificateProblem(pem: string): string | undefined {
  const blocks = pem.match(BLOCK) ?? [];
  if (blocks.length === 0) return 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)';
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      return 'holds a certificate that cannot be parsed';
    }
  }
  return undefined;
}

function check(ctx: RuleContext, doc: object, path: PathSegment[], field: string, value: string | undefined): void {
  if (value === undefined) return;
  const source = ctx.sourceOf(doc);
  if (!source) return;
  const v = readFileValue(value, source.absPath);
  if (v.kind === 'env') return;
  if (v.kind === 'missing-file') {
    ctx.report('error', 'certificate-invalid', `${field}: cannot read certificate file ${v.path} (${v.reason})`, { doc, path });
    return;
  }
  const problem = certificateProblem(v.text);
  if (problem) ctx.report('error', 'certificate-invalid', `${field}${v.kind === 'file' ? ` (${v.path})` : ''} ${problem}`, { doc, path });
}

export const certificates: Rule = (ctx) => {
  for (const ldap of ctx.config.ldapConfigs) check(ctx, ldap, ['ca_cert'], 'ca_cert', ldap.ca_cert);
  for (const provider of ctx.config.vmProviders)
    if (
      provider.type === 'openstack' ||
      provider.type === 'proxmox' ||
      provider.type === 'nutanix' ||
      provider.type === 'vsphere' ||
      provider.type === 'kubevirt' ||
      provider.type === 'harvester'
    )
      check(ctx, provider, ['ca_cert'], 'ca_cert', provider.ca_cert);
  for (const pool of ctx.config.pools) {
    for (const [i, a] of (pool.autoscale ?? []).entries()) check(ctx, pool, ['autoscale', i, 'nginx_cert'], 'nginx_cert', a.nginx_cert);
  }
};
