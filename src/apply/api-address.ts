// The address new servers call back to (`{upstream_auth_address}`) when
// their zone sets none: host[:port] of poolform's API, without a scheme
// (startup scripts write `http://{upstream_auth_address}/...`).
import type { Settings } from '../config/model.ts';

export const DEFAULT_LISTEN = '127.0.0.1:8080';

/** host:port from Settings.public_url, else the listen address (wildcard hosts become 127.0.0.1). */
export function defaultUpstreamAuthAddress(settings: Settings | undefined, listen?: string): string {
  if (listen === undefined && settings?.public_url) {
    try {
      return new URL(settings.public_url).host;
    } catch {
      return settings.public_url.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
    }
  }
  const address = listen ?? settings?.listen ?? DEFAULT_LISTEN;
  return address.replace(/^(0\.0\.0\.0|\[::\]|::):/, '127.0.0.1:');
}
