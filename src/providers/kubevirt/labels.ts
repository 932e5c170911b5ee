// Ownership markers on every object poolform makes in the cluster
// (VirtualMachine, its VMI through spec.template.metadata.labels, the root
// DataVolume, the cloud-init Secret).
// - Labels select: observe lists with `poolform.io/managed=true,poolform.io/provider=<name>`;
//   destroy refuses VMs without both.
// - Label values must be at most 63 characters of [A-Za-z0-9_.-], starting and
//   ending alphanumeric (Kubernetes "Labels and Selectors", syntax and character
//   set). A value that does not fit is replaced by `h-` + 40 hex digits of its
//   SHA-256 (still selectable, never ambiguous in practice).
// - Annotations carry the exact values (no character rules), and observe reads
//   identity (server id, pool, autoscale, hostname, intent id) from them.
// VM names are deterministic from the intent id (`pf-` + 20 hex digits of
// SHA-256): a create retried after a crash POSTs the same name and gets
// 409 AlreadyExists instead of making a second VM.
import { createHash } from 'node:crypto';
import type { VmCreateRequest } from '../types.ts';

export const PREFIX = 'poolform.io/';
export const LABEL_MANAGED = 'poolform.io/managed';
export const LABEL_PROVIDER = 'poolform.io/provider';
export const LABEL_INTENT = 'poolform.io/intent';
export const LABEL_SERVER = 'poolform.io/server-id';
export const LABEL_POOL = 'poolform.io/pool';
export const LABEL_AUTOSCALE = 'poolform.io/autoscale';
export const ANNOTATION_PROVIDER = 'poolform.io/provider';
export const ANNOTATION_INTENT = 'poolform.io/intent-id';
export const ANNOTATION_SERVER = 'poolform.io/server-id';
export const ANNOTATION_POOL = 'poolform.io/pool';
export const ANNOTATION_AUTOSCALE = 'poolform.io/autoscale';
export const ANNOTATION_HOSTNAME = 'poolform.io/hostname';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const sha = (value: string): string => createHash('sha256').update(value).digest('hex');

/** `value` when it is a valid label value, else `h-<40 hex of SHA-256>`. */
export function labelValue(value: string): string {
  return value.length <= 63 && LABEL_VALUE.test(value) ? value : `h-${sha(value).slice(0, 40)}`;
}

export const VM_NAME_PREFIX = 'pf-';

/** The VirtualMachine name for an intent. */
export function vmName(intentId: string): string {
  return `${VM_NAME_PREFIX}${sha(intentId).slice(0, 20)}`;
}

/** The cloud-init Secret of a VM. */
export const secretName = (vm: string): string => `${vm}-cloudinit`;
/** The root disk DataVolume of a VM. */
export const rootDiskName = (vm: string): string => `${vm}-rootdisk`;

/** The selector observe lists with (one provider config's VMs). */
export function ownerSelector(providerName: string): string {
  return `${LABEL_MANAGED}=true,${LABEL_PROVIDER}=${labelValue(providerName)}`;
}

export function ownershipLabels(providerName: string, request: VmCreateRequest, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const own: Record<string, string> = {
    [LABEL_MANAGED]: 'true',
    [LABEL_PROVIDER]: labelValue(providerName),
    [LABEL_INTENT]: labelValue(request.intent_id),
    [LABEL_SERVER]: labelValue(request.server_id),
    [LABEL_POOL]: labelValue(request.pool),
    [LABEL_AUTOSCALE]: labelValue(request.autoscale),
  };
  const mine = Object.fromEntries(Object.entries(extra).filter(([k]) => !k.startsWith(PREFIX)));
  return { ...mine, ...own };
}

export function ownershipAnnotations(providerName: string, request: VmCreateRequest): Record<string, string> {
  return {
    [ANNOTATION_PROVIDER]: providerName,
    [ANNOTATION_INTENT]: request.intent_id,
    [ANNOTATION_SERVER]: request.server_id,
    [ANNOTATION_POOL]: request.pool,
    [ANNOTATION_AUTOSCALE]: request.autoscale,
    [ANNOTATION_HOSTNAME]: request.hostname,
  };
}

/** Whether the object's markers say it is this provider config's. */
export function ownedBy(meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined, providerName: string): boolean {
  return (
    meta?.labels?.[LABEL_MANAGED] === 'true' &&
    meta.labels[LABEL_PROVIDER] === labelValue(providerName) &&
    meta.annotations?.[ANNOTATION_PROVIDER] === providerName
  );
}
