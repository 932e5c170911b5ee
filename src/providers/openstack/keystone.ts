// Keystone v3 authentication (Identity API v3, "Password authentication with
// scoped authorization" and "Authenticating with an Application Credential"):
// POST {auth_url}/auth/tokens; the token is the X-Subject-Token header, the
// body's token.catalog lists the service endpoints. Pure helpers here; the
// HTTP call is in client.ts.

export type KeystoneAuth =
  | {
      kind: 'password';
      username: string;
      password: string;
      userDomainName: string;
      projectName?: string;
      projectId?: string;
      projectDomainName: string;
    }
  | { kind: 'application_credential'; id: string; secret: string };

/** The auth URL with /v3 (clouds.yaml users often write it without). */
export function identityBase(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

/** The POST /v3/auth/tokens body (holds the secret: never log it). */
export function authRequestBody(auth: KeystoneAuth): Record<string, unknown> {
  if (auth.kind === 'application_credential') {
    // Application credentials are bound to their project: no scope may be given.
    return { auth: { identity: { methods: ['application_credential'], application_credential: { id: auth.id, secret: auth.secret } } } };
  }
  const project = auth.projectId !== undefined ? { id: auth.projectId } : { name: auth.projectName ?? '', domain: { name: auth.projectDomainName } };
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: auth.username, domain: { name: auth.userDomainName }, password: auth.password } },
      },
      scope: { project },
    },
  };
}

export interface CatalogEndpoint {
  interface?: string;
  region?: string;
  region_id?: string;
  url?: string;
}

export interface CatalogEntry {
  type?: string;
  name?: string;
  endpoints?: CatalogEndpoint[];
}

export type EndpointChoice = { url: string } | { problem: string };

/**
 * The endpoint of service `type` for `iface` (and `region`, when given). With
 * no region and several regions offering the interface, refuses to guess.
 */
export function selectEndpoint(catalog: readonly CatalogEntry[], type: string, iface: string, region: string | undefined): EndpointChoice {
  const services = catalog.filter((entry) => entry.type === type);
  if (services.length === 0) return { problem: `the service catalog has no ${type} service (the token's project may lack it)` };
  const all = services.flatMap((s) => s.endpoints ?? []).filter((e) => typeof e.url === 'string' && e.url !== '');
  const byInterface = all.filter((e) => (e.interface ?? 'public') === iface);
  if (byInterface.length === 0)
    return { problem: `the ${type} service has no ${iface} endpoint; set interface to one of: ${[...new Set(all.map((e) => e.interface))].join(', ')}` };
  const regionOf = (e: CatalogEndpoint): string | undefined => e.region_id ?? e.region;
  if (region !== undefined) {
    const hit = byInterface.find((e) => regionOf(e) === region);
    if (!hit)
      return {
        problem: `the ${type} service has no ${iface} endpoint in region_name ${region}; regions: ${[...new Set(byInterface.map(regionOf))].join(', ')}`,
      };
    return { url: (hit.url ?? '').replace(/\/+$/, '') };
  }
  const regions = [...new Set(byInterface.map(regionOf))];
  if (regions.length > 1) return { problem: `the ${type} service has ${iface} endpoints in several regions (${regions.join(', ')}); set region_name` };
  return { url: (byInterface[0]?.url ?? '').replace(/\/+$/, '') };
}
