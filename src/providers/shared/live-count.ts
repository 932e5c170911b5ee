// How many VMs count against max_instances: those this process created that
// are live, and those the latest listing shows live. A VM the listing shows
// not live (terminated, deleting) does not count, even if this process
// created it: the listing is newer news than the create.
import type { ObservedVm, VmState } from '../types.ts';

export function liveVmCount(created: Iterable<{ vm: ObservedVm }>, listed: readonly ObservedVm[], isLive: (state: VmState) => boolean): number {
  const live = new Set<string>();
  for (const { vm } of created) if (isLive(vm.state)) live.add(vm.provider_id);
  for (const vm of listed) {
    if (isLive(vm.state)) live.add(vm.provider_id);
    else live.delete(vm.provider_id);
  }
  return live.size;
}
