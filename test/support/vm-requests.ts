// The VmCreateRequest factory the provider VM suites (test/<provider>-vm.test.ts)
// share: distinct intent and server ids per call, a hostname from the same
// sequence number, and `next()`/`seq` for the suite's other made-up names
// (foreign VMs) so that they never collide with a request's.
import type { VmCreateRequest } from '../../src/providers/types.ts';

export interface VmRequests {
  /** A request with fresh ids (`over` applied last). */
  request(over?: Partial<VmCreateRequest>): VmCreateRequest;
  /** Advances the sequence and returns the new number. */
  next(): number;
  /** The last number handed out. */
  readonly seq: number;
}

/** `tag` goes into the intent id (intent-<tag>-<n>-<random>); `hostnameMax` cuts the hostname (Windows: 15). */
export function vmRequests(tag: string, options: { hostnameMax?: number } = {}): VmRequests {
  let seq = 0;
  return {
    request(over: Partial<VmCreateRequest> = {}): VmCreateRequest {
      seq++;
      const hostname = `kasm-${String(seq).padStart(8, '0')}`;
      return {
        intent_id: `intent-${tag}-${seq}-${Math.random().toString(16).slice(2, 8)}`,
        server_id: `srv-${seq}`,
        hostname: options.hostnameMax === undefined ? hostname : hostname.slice(0, options.hostnameMax),
        pool: 'agents',
        autoscale: 'fleet',
        user_data: '#!/bin/sh\necho hi\n',
        ...over,
      };
    },
    next: () => ++seq,
    get seq() {
      return seq;
    },
  };
}
