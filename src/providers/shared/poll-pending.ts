// Waiting for a VM that has just been made to leave 'pending' (addresses
// known). The VM exists whatever happens here, so the wait never fails the
// create: past the bound, or after a retryable error while reading, the
// first view (pending) is returned and the next observe picks the VM up.
// Errors that are not retryable (a bug, a refusal) still propagate.
import { PoolformError } from '../../util/errors.ts';
import type { ObservedVm } from '../types.ts';
import { type PollOptions, PollTimeoutError, pollUntil } from './backoff.ts';

export async function pollWhilePending(first: ObservedVm, read: () => Promise<ObservedVm>, poll: PollOptions): Promise<ObservedVm> {
  if (first.state !== 'pending') return first;
  try {
    return await pollUntil(read, (vm) => vm.state !== 'pending', poll);
  } catch (error) {
    if (error instanceof PollTimeoutError) return first;
    if (error instanceof PoolformError && error.retryable) return first;
    throw error;
  }
}
