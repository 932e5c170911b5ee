// unknown-template-variable: a startup script may use only the known
// variables (src/template/startup-script.ts); the error points at the
// variable's line and column inside the (block) scalar.
// template-stray-brace (warning): a single `{` or `}` that is not a variable;
// literal braces are written `{{` and `}}`.
// user-data-too-large: for aws (and azure: customData, 65,535 bytes) providers, the script rendered with worst-case
// values must fit EC2's 16,384-byte user-data limit. {nginx_cert} and
// {nginx_key} count with each docker autoscale config's own PEM texts (inline
// or `${file:...}`; a key given by `${env:...}` counts as a 4096-bit RSA key).
import type { Rule } from './context.ts';
import { isTemplateVariable, renderTemplate, scanTemplate, TEMPLATE_VARIABLES } from '../../template/startup-script.ts';
import {
  AWS_USER_DATA_LIMIT,
  AZURE_CUSTOM_DATA_LIMIT,
  DO_USER_DATA_LIMIT,
  GCP_METADATA_VALUE_LIMIT,
  OCI_USER_DATA_LIMIT,
  OPENSTACK_USER_DATA_LIMIT,
  PROXMOX_USER_DATA_LIMIT,
  NUTANIX_USER_DATA_LIMIT,
  KUBEVIRT_USER_DATA_LIMIT,
  VSPHERE_USER_DATA_LIMIT,
  WORST_CASE_VALUES,
} from '../../template/worst-case.ts';
import { closest } from '../schema-validator.ts';
import { positionInScalar } from '../scalar-position.ts';
import { overBudgetMessage } from '../budgets.ts';

/** Unknown variables reported one by one per script; the rest are counted. */
const MAX_REPORTS = 20;
import { readFileValue } from './file-values.ts';
import type { RuleContext } from './context.ts';
import type { TemplateValues } from '../../template/startup-script.ts';

/** Length assumed for a PEM key validate cannot read (`${env:...}`, a missing file): a 4096-bit RSA key in PKCS#1 is about 3,250 characters. */
export const UNKNOWN_PEM_LENGTH = 3300;

function pemLength(ctx: RuleContext, doc: object, value: string | undefined): number {
  if (value === undefined) return 0;
  const source = ctx.sourceOf(doc);
  if (!source) return UNKNOWN_PEM_LENGTH;
  const v = readFileValue(value, source.absPath);
  return v.kind === 'inline' || v.kind === 'file' ? Buffer.byteLength(v.text, 'utf8') : UNKNOWN_PEM_LENGTH;
}

/** Worst-case values for each way a provider's script is rendered: once per docker autoscale config using it (its nginx PEMs), else the plain worst case. */
function worstCasesFor(ctx: RuleContext, provider: string): Required<TemplateValues>[] {
  const cases: Required<TemplateValues>[] = [WORST_CASE_VALUES];
  for (const pool of ctx.config.pools) {
    if (pool.type !== 'docker_agent') continue;
    for (const a of pool.autoscale ?? []) {
      if (a.vm_provider !== provider || (a.nginx_cert === undefined && a.nginx_key === undefined)) continue;
      cases.push({
        ...WORST_CASE_VALUES,
        nginx_cert: 'c'.repeat(pemLength(ctx, pool, a.nginx_cert)),
        nginx_key: 'k'.repeat(pemLength(ctx, pool, a.nginx_key)),
      });
    }
  }
  return cases;
}

export const startupScriptVariables: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    const source = ctx.sourceOf(provider);
    if (!source) continue;
    const script = provider.startup_script;
    const bytes = Buffer.byteLength(script, 'utf8');
    if (bytes > ctx.budgets.maxTemplateBytes) {
      ctx.report(
        'error',
        'config-too-large',
        overBudgetMessage('maxTemplateBytes', ctx.budgets.maxTemplateBytes, `this startup script is ${bytes.toLocaleString('en-US')} bytes`),
        {
          doc: provider,
          path: ['startup_script'],
          target: 'key',
        },
      );
      continue;
    }
    let strays = 0;
    let unknown = 0;
    for (const token of scanTemplate(script)) {
      // Each report locates its token in the source (linear in the script): report a bounded number.
      if (token.kind === 'variable' && !isTemplateVariable(token.name) && unknown++ < MAX_REPORTS) {
        const needle = `{${token.name}}`;
        const hint = closest(token.name, TEMPLATE_VARIABLES);
        ctx.report(
          'error',
          'unknown-template-variable',
          `unknown startup-script variable ${needle}${hint ? ` (did you mean {${hint}}?)` : ''}; known: ${TEMPLATE_VARIABLES.map((v) => `{${v}}`).join(', ')}. Write literal braces as {{ and }} (e.g. \${{HOME}})`,
          { doc: provider, path: ['startup_script'], position: positionInScalar(source, ['startup_script'], script, token.offset, needle) },
        );
      } else if (token.kind === 'stray-brace' && strays++ < 5) {
        const brace = script[token.offset] ?? '{';
        ctx.report('warning', 'template-stray-brace', `single "${brace}" in startup script is kept literally; write "${brace}${brace}" for a literal brace`, {
          doc: provider,
          path: ['startup_script'],
          position: positionInScalar(source, ['startup_script'], script, token.offset, brace),
        });
      }
    }
    if (unknown > MAX_REPORTS) {
      ctx.report('error', 'unknown-template-variable', `${unknown - MAX_REPORTS} more unknown startup-script variables not shown`, {
        doc: provider,
        path: ['startup_script'],
      });
    }
  }
};

/** Bytes of a startup script rendered with the longest possible variable values. */
export function worstCaseRenderedBytes(script: string): number {
  return Buffer.byteLength(renderTemplate(script, WORST_CASE_VALUES), 'utf8');
}

/** Startup-script size limits by VM provider type (bytes of the rendered script). */
const USER_DATA_LIMITS: Readonly<Record<string, { bytes: number; what: string } | undefined>> = {
  aws: { bytes: AWS_USER_DATA_LIMIT, what: 'EC2 user data' },
  azure: { bytes: AZURE_CUSTOM_DATA_LIMIT, what: 'Azure customData' },
  // One metadata value (startup-script / windows-startup-script-ps1).
  gcp: { bytes: GCP_METADATA_VALUE_LIMIT, what: 'a GCP metadata value (startup-script)' },
  digital_ocean: { bytes: DO_USER_DATA_LIMIT, what: 'DigitalOcean user_data' },
  // metadata.user_data is base64 and all metadata shares 32,000 bytes: 24,000 bytes of script.
  oci: { bytes: OCI_USER_DATA_LIMIT, what: 'OCI metadata.user_data (base64; 32,000 bytes of metadata in total)' },
  // Nova's limit is on the base64 text (65,535 characters).
  openstack: { bytes: OPENSTACK_USER_DATA_LIMIT, what: 'OpenStack Nova user_data (65,535 base64 characters)' },
  // Written into the guest by the QEMU guest agent (file-write content, 60 KiB).
  proxmox: { bytes: PROXMOX_USER_DATA_LIMIT, what: 'the Proxmox VE guest-agent file-write content (60 KiB)' },
  // Nutanix guest_customization (cloud-init user_data or sysprep unattend_xml): no documented limit, poolform's 64 KiB.
  nutanix: { bytes: NUTANIX_USER_DATA_LIMIT, what: "Nutanix guest customization (poolform's bound; Nutanix documents none)" },
  // Handed to cloud-init as CloudinitPrep guest customization userdata.
  vsphere: { bytes: VSPHERE_USER_DATA_LIMIT, what: 'vSphere CloudinitPrep userdata' },
  // cloud-init NoCloud user data in a Secret (inline userData would be 2,048 bytes; poolform always uses the Secret).
  kubevirt: { bytes: KUBEVIRT_USER_DATA_LIMIT, what: 'a Kubernetes Secret (cloud-init NoCloud user data, 1 MiB)' },
  harvester: { bytes: KUBEVIRT_USER_DATA_LIMIT, what: 'a Kubernetes Secret (cloud-init NoCloud user data, 1 MiB)' },
};

export const userDataSize: Rule = (ctx) => {
  for (const provider of ctx.config.vmProviders) {
    // EC2 user data; Azure osProfile.customData (65,535 bytes once base64-decoded).
    const limit = USER_DATA_LIMITS[provider.type];
    if (!limit || Buffer.byteLength(provider.startup_script, 'utf8') > ctx.budgets.maxTemplateBytes) continue;
    const bytes = Math.max(...worstCasesFor(ctx, provider.name).map((values) => Buffer.byteLength(renderTemplate(provider.startup_script, values), 'utf8')));
    if (bytes > limit.bytes) {
      ctx.report(
        'error',
        'user-data-too-large',
        `startup script renders to up to ${bytes} bytes with worst-case variable values; ${limit.what} is limited to ${limit.bytes} bytes`,
        { doc: provider, path: ['startup_script'] },
      );
    }
  }
};
