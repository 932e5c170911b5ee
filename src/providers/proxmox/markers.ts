// Ownership markers on every VM poolform clones, as Proxmox VE tags (the
// marker upstream uses too) plus a readable copy in the description. Tags
// are what GET /cluster/resources returns for every VM in one call, so the
// exact values poolform needs back live in them: PVE tags are
// `[a-z0-9_][a-z0-9_+.-]*` (case-insensitive), so values are written as
// lowercase base32 (RFC 4648 alphabet, no padding), which fits that alphabet:
// - `poolform`                      managed by poolform
// - `pf-c.<b32 provider name>`     the VmProvider config (the installation's marker)
// - `pf-i.<b32 intent id>`, `pf-s.<b32 server id>`, `pf-p.<b32 pool>`,
//   `pf-a.<b32 autoscale>`, `pf-h.<b32 hostname>`
// - `pf-ip.<a.b.c.d>`              the address the guest agent reported
// - `pf-ready`                     the startup script was handed to the guest
// observe() reports, and destroy() deletes, only VMs carrying `poolform` and
// this config's `pf-c.` tag. The config's own `tags` are added as they are.
import { createHash } from 'node:crypto';
import type { VmCreateRequest } from '../types.ts';

export const TAG_MANAGED = 'poolform';
export const TAG_READY = 'pf-ready';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32(text: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function unbase32(encoded: string): string | undefined {
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of encoded.toLowerCase()) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function providerTag(providerName: string): string {
  return `pf-c.${base32(providerName)}`;
}

/** The tags of a new VM: the config's own, then poolform's markers. */
export function ownershipTags(providerName: string, request: VmCreateRequest, extra: readonly string[] = []): string[] {
  return [
    ...extra,
    TAG_MANAGED,
    providerTag(providerName),
    `pf-i.${base32(request.intent_id)}`,
    `pf-s.${base32(request.server_id)}`,
    `pf-p.${base32(request.pool)}`,
    `pf-a.${base32(request.autoscale)}`,
    `pf-h.${base32(request.hostname)}`,
  ];
}

export function parseTags(tags: string | undefined): string[] {
  return (tags ?? '').split(/[;, ]/).filter((t) => t !== '');
}

export interface Markers {
  intentId?: string;
  serverId?: string;
  pool?: string;
  autoscale?: string;
  hostname?: string;
  ip?: string;
  ready: boolean;
}

export function ownedBy(tags: readonly string[], providerName: string): boolean {
  const lower = tags.map((t) => t.toLowerCase());
  return lower.includes(TAG_MANAGED) && lower.includes(providerTag(providerName));
}

export function readMarkers(tags: readonly string[]): Markers {
  const out: Markers = { ready: false };
  for (const raw of tags) {
    const t = raw.toLowerCase();
    if (t === TAG_READY) out.ready = true;
    else if (t.startsWith('pf-ip.')) out.ip = t.slice(6);
    else {
      const m = /^pf-([ispah])\.([a-z2-7]*)$/.exec(t);
      const value = m?.[2] === undefined ? undefined : unbase32(m[2]);
      if (!m || value === undefined) continue;
      if (m[1] === 'i') out.intentId = value;
      if (m[1] === 's') out.serverId = value;
      if (m[1] === 'p') out.pool = value;
      if (m[1] === 'a') out.autoscale = value;
      if (m[1] === 'h') out.hostname = value;
    }
  }
  return out;
}

/** The readable copy in the VM's description (PVE shows it as the VM's notes). */
export function ownershipDescription(providerName: string, request: VmCreateRequest): string {
  return [
    'Managed by poolform: do not edit the pf-* tags (poolform recognises and deletes its VMs by them).',
    `provider: ${providerName}`,
    `intent: ${request.intent_id}`,
    `server: ${request.server_id}`,
    `pool: ${request.pool}`,
    `autoscale: ${request.autoscale}`,
    `hostname: ${request.hostname}`,
  ].join('\n');
}

/**
 * Deterministic VM name from the provider config and the intent id (a DNS
 * label: PVE names are hostnames): `pf-<8 hex of the config name>-<16 hex of
 * the intent>`. A clone carries no tags until its config call (the clone API
 * takes none), so the name is what recognises a clone a crash left untagged
 * (configPrefix) and what a retried create of the intent finds.
 */
export function vmName(providerName: string, intentId: string): string {
  return `${configPrefix(providerName)}${createHash('sha256').update(intentId).digest('hex').slice(0, 16)}`;
}

export function configPrefix(providerName: string): string {
  return `pf-${createHash('sha256').update(providerName).digest('hex').slice(0, 8)}-`;
}
