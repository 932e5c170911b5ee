import { describe, expect, it } from 'vitest';
import type { ObservedVm } from '../types.ts';
import { knownProviderIds } from './known-ids.ts';

const vm = (id: string) => ({ provider_id: id }) as ObservedVm;

describe('knownProviderIds', () => {
  it('is the union of the listing and the VMs this process created', () => {
    expect([...knownProviderIds([vm('a'), vm('b')], [{ vm: vm('b') }, { vm: vm('c') }])].sort()).toEqual(['a', 'b', 'c']);
    expect([...knownProviderIds(undefined, [{ vm: vm('c') }])]).toEqual(['c']);
  });
});
