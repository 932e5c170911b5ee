// poolform's ownership marker on AD computer records: the `description`
// attribute reads `poolform:managed server-id=<id> intent-id=<id>`. AD has no
// free-form tags; description is writable with the delegated rights that
// create the object, visible in ADUC, and searchable by prefix. The intent id
// is the idempotency key of create(); observe() finds records by the prefix.

export const MARKER_PREFIX = 'poolform:managed';

/** LDAP filter matching poolform's computer records. */
export const MARKER_FILTER = `(&(objectClass=computer)(description=${MARKER_PREFIX}*))`;

export interface Marker {
  server_id: string | null;
  intent_id: string | null;
}

/** Ids are written without spaces so the description parses back unambiguously. */
function clean(id: string): string {
  return id.replace(/\s+/g, '_');
}

export function formatMarker(serverId: string, intentId: string): string {
  return `${MARKER_PREFIX} server-id=${clean(serverId)} intent-id=${clean(intentId)}`;
}

/** The marker in a description, or undefined when the record is not poolform's. */
export function parseMarker(description: string | undefined | null): Marker | undefined {
  if (description === undefined || description === null) return undefined;
  const text = description.trim();
  if (text !== MARKER_PREFIX && !text.startsWith(`${MARKER_PREFIX} `)) return undefined;
  const field = (key: string): string | null => {
    const m = new RegExp(`(?:^|\\s)${key}=(\\S+)`).exec(text);
    return m?.[1] ?? null;
  };
  return { server_id: field('server-id'), intent_id: field('intent-id') };
}
