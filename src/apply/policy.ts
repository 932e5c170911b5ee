// The apply policy splits a plan into what runs now and what is held.
// Held: under `safe`, every delete and replace of infrastructure (servers and
// records) except forgetting what is already gone, and anything that depends
// on a held change; under `manual`, everything.
import type { ResourceChange } from '../plan/types.ts';
import type { ApplyPolicy } from './types.ts';

function destroysSomething(c: ResourceChange): boolean {
  if (c.action !== 'delete' && c.action !== 'replace') return false;
  // A VM lost outside poolform: the delete half only forgets it; its replacement is a create.
  return !c.observed_gone;
}

export function splitByPolicy(changes: readonly ResourceChange[], policy: ApplyPolicy): { run: ResourceChange[]; held: ResourceChange[] } {
  switch (policy) {
    case 'all':
      return { run: [...changes], held: [] };
    case 'manual':
      return { run: [], held: [...changes] };
    case 'safe': {
      const held = new Set(changes.filter(destroysSomething).map((c) => c.address));
      // Propagate: whatever waits on a held change is held too.
      let grew = true;
      while (grew) {
        grew = false;
        for (const c of changes) {
          if (!held.has(c.address) && c.depends_on.some((d) => held.has(d))) {
            held.add(c.address);
            grew = true;
          }
        }
      }
      return { run: changes.filter((c) => !held.has(c.address)), held: changes.filter((c) => held.has(c.address)) };
    }
    default: {
      const never: never = policy;
      throw new Error(`unknown apply policy ${String(never)}`);
    }
  }
}
