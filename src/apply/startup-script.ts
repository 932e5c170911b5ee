// Renders a VM provider's startup script for one new server with the
// reference's template variables. The result holds secrets (check-in JWT,
// connection password, AD join credential): it goes to the provider and
// nowhere else — never to logs, state or errors.
import { dirname, join } from 'node:path';
import { MANAGER_PURPOSE, signCheckinToken } from '../auth/checkin-token.ts';
import type { AutoscaleConfig, Config, Pool } from '../config/model.ts';
import { resolveSecret } from '../config/secrets.ts';
import { domainFromSearchBase } from '../plan/attributes.ts';
import { renderTemplate } from '../template/startup-script.ts';
import type { TemplateValues } from '../template/startup-script.ts';
import { durationOr } from '../util/duration.ts';
import { findLdapConfig, findZone } from '../config/lookup.ts';

export const DEFAULT_CHECKIN_TOKEN_LIFETIME = '4h';

export interface StartupScriptArgs {
  config: Config;
  env: Readonly<Record<string, string | undefined>>;
  /** host[:port] of the API, for zones without upstream_auth_address. */
  apiAddress: string;
  /** The check-in JWT signing key (state store secret). */
  signingKey: string;
  nowMs: number;
  pool: Pool;
  autoscale: AutoscaleConfig;
  /** The VM provider's kind (`local`, `aws`): `{provider_name}`. */
  providerKind: string;
  template: string;
  serverId: string;
  hostname: string;
  /** `<hostname>.<base_domain_name>` when DNS registration is on. */
  fqdn: string | null;
  /** The fresh AD join password from this apply's AD step (memory only). */
  adJoinCredential: string | null;
}

/** Tokens stay valid this long past the check-in timeout. */
const CHECKIN_TOKEN_MARGIN_MS = 10 * 60_000;

/** The template variables' values for one server. */
export async function startupValues(args: StartupScriptArgs): Promise<TemplateValues> {
  const { config, autoscale } = args;
  // The token must outlive the check-in window, or a slow first boot (Windows
  // on EC2 takes 15+ minutes) would be refused and replaced forever.
  const lifetimeMs = Math.max(
    durationOr(config.settings.checkin_token_lifetime, DEFAULT_CHECKIN_TOKEN_LIFETIME),
    durationOr(autoscale.checkin_timeout, '30m') + CHECKIN_TOKEN_MARGIN_MS,
  );
  const jwt = await signCheckinToken(args.signingKey, args.serverId, args.nowMs, lifetimeMs);
  const zone = autoscale.zone ? findZone(config, autoscale.zone) : undefined;
  const ldap = autoscale.ldap_config ? findLdapConfig(config, autoscale.ldap_config) : undefined;
  const source = config.sources[`Pool/${args.pool.name}`];
  const baseDir = source ? dirname(join(config.dir, source.file)) : config.dir;
  const password = autoscale.connection_password ? resolveSecret(autoscale.connection_password, { env: args.env, baseDir }) : '';
  const docker = args.pool.type === 'docker_agent';
  // The agent's proxy certificate and key (PEM; the key is a secret reference).
  const nginxCert = docker && autoscale.nginx_cert ? resolveSecret(autoscale.nginx_cert, { env: args.env, baseDir }) : '';
  const nginxKey = docker && autoscale.nginx_key ? resolveSecret(autoscale.nginx_key, { env: args.env, baseDir }) : '';
  // A docker agent registers (POST /api/v1/agents/register) with its own token: same lifetime, another purpose.
  const managerToken = docker ? await signCheckinToken(args.signingKey, args.serverId, args.nowMs, lifetimeMs, MANAGER_PURPOSE) : '';
  return {
    server_id: args.serverId,
    server_hostname: args.hostname,
    server_external_fqdn: args.fqdn ?? '',
    checkin_jwt: jwt,
    upstream_auth_address: zone?.upstream_auth_address ?? args.apiAddress,
    provider_name: args.providerKind,
    manager_token: managerToken,
    connection_username: autoscale.connection_username ?? '',
    connection_password: password,
    ad_join_credential: args.adJoinCredential ?? '',
    domain: ldap ? domainFromSearchBase(ldap.search_base) : '',
    nginx_cert: nginxCert,
    nginx_key: nginxKey,
  };
}

export async function renderStartupScript(args: StartupScriptArgs): Promise<string> {
  return renderTemplate(args.template, await startupValues(args));
}
