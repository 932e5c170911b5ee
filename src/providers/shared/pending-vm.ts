// The ObservedVm a create returns when the cloud's answer for a VM it has just
// made cannot be mapped yet (a field missing while it builds): the request's
// ids, state 'pending', and whatever addresses and launch time are known.
import type { ObservedVm, VmCreateRequest } from '../types.ts';

export interface PendingVmFacts {
  launched_at: string | null;
  private_ip?: string | null | undefined;
  public_ip?: string | null | undefined;
}

export function pendingVm(providerId: string, request: VmCreateRequest, facts: PendingVmFacts): ObservedVm {
  return {
    provider_id: providerId,
    server_id: request.server_id,
    pool: request.pool,
    autoscale: request.autoscale,
    hostname: request.hostname,
    intent_id: request.intent_id,
    state: 'pending',
    private_ip: facts.private_ip ?? null,
    public_ip: facts.public_ip ?? null,
    launched_at: facts.launched_at,
  };
}
