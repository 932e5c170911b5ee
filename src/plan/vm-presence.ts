// Whether a VM that state (or an unfinished intent) knows about is really
// there, judged from one bulk observation. Shared by the decision-input
// builder and the planner so both agree on what is "gone".
//
// `observed === null` means no refresh (`--refresh=false`): state is taken as
// the truth. A provider missing from a refreshed observation is UNKNOWN (its
// observe failed or it is no longer configured): nothing is planned on it.
import type { Observed } from '../model/observed.ts';
import { findVm } from '../model/observed.ts';
import type { ObservedVm } from '../model/observed.ts';

export type VmPresence =
  /** The provider lists it, alive. */
  | { kind: 'present'; vm: ObservedVm }
  /** The provider's listing worked and it is missing or terminated. */
  | { kind: 'gone'; vm: ObservedVm | null }
  /** Not refreshed: trust state. */
  | { kind: 'unrefreshed' }
  /** Refreshed, but this provider's listing is missing (failed or not configured). */
  | { kind: 'unknown' };

export function isTerminated(state: ObservedVm['state']): boolean {
  return state === 'terminated' || state === 'shutting-down';
}

/**
 * Stopped (or stopping) behind poolform's back: it exists but serves no session.
 * The autoscaler sees such a server as failed (destroyed when idle, replaced as
 * the minimum requires); poolform never starts it again by itself.
 */
export function isStopped(state: ObservedVm['state']): boolean {
  return state === 'stopped' || state === 'stopping';
}

/** Presence of the VM of `serverId` (or made by `intentId`) at `provider`. */
export function vmPresence(observed: Observed | null, provider: string, serverId: string, intentId?: string | null): VmPresence {
  if (observed === null) return { kind: 'unrefreshed' };
  const list = observed.vms.get(provider);
  if (!list) return { kind: 'unknown' };
  let vm: ObservedVm | null | undefined;
  if (intentId) vm = list.find((v) => v.intent_id === intentId && !isTerminated(v.state));
  vm ??= findVm(observed, provider, serverId) ?? null;
  if (vm && !isTerminated(vm.state)) return { kind: 'present', vm };
  return { kind: 'gone', vm };
}
