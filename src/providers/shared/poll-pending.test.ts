import { describe, expect, it } from 'vitest';
import { PoolformError } from '../../util/errors.ts';
import type { ObservedVm, VmState } from '../types.ts';
import { pollWhilePending } from './poll-pending.ts';

const vm = (state: VmState): ObservedVm => ({
  provider_id: 'v',
  server_id: 's',
  pool: 'p',
  autoscale: 'a',
  hostname: 'h',
  intent_id: 'i',
  state,
  private_ip: null,
  public_ip: null,
  launched_at: null,
});
const poll = { timeoutMs: 100, baseMs: 1, maxMs: 1, sleep: async () => undefined };

describe('pollWhilePending', () => {
  it('returns a VM that is not pending without reading', async () => {
    let reads = 0;
    const first = vm('running');
    const read = async () => {
      reads++;
      return first;
    };
    expect(await pollWhilePending(first, read, poll)).toBe(first);
    expect(reads).toBe(0);
  });
  it('reads until the VM leaves pending', async () => {
    const views = [vm('pending'), vm('running')];
    expect((await pollWhilePending(vm('pending'), async () => views.shift() ?? vm('running'), poll)).state).toBe('running');
  });
  it('gives the first view back after a retryable error, and passes other errors on', async () => {
    const first = vm('pending');
    const retryable = new PoolformError('do-error', 'throttled', { retryable: true });
    expect(await pollWhilePending(first, () => Promise.reject(retryable), poll)).toBe(first);
    await expect(pollWhilePending(first, () => Promise.reject(new Error('bug')), poll)).rejects.toThrow('bug');
  });
  it('gives the first view back past the bound', async () => {
    let t = 0;
    const first = vm('pending');
    expect(await pollWhilePending(first, async () => vm('pending'), { ...poll, now: () => (t += 60) })).toBe(first);
  });
});
