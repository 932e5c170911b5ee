// The provider ids a destroy may act on without another listing: those of the
// latest listing and those this process created. A ref outside them is
// looked up (or its listing refreshed) before anything is deleted.
import type { ObservedVm } from '../types.ts';

export function knownProviderIds(listed: readonly ObservedVm[] | undefined, created: Iterable<{ vm: ObservedVm }>): ReadonlySet<string> {
  const known = new Set<string>();
  for (const vm of listed ?? []) known.add(vm.provider_id);
  for (const { vm } of created) known.add(vm.provider_id);
  return known;
}
