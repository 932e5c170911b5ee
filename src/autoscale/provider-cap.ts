// max_instances: a hard cap per VM provider config, across every autoscale
// config that uses it (removed configs' servers included). Every server the
// provider still has counts, whatever its status.
//
// A server destroyed in this same round frees its slot for a create of this
// round, but only once the delete has happened: such a create carries
// `after_destroy` (the server ids whose destroy must complete first), so the
// planner orders it after those deletes and skips it if one fails. The cap
// then holds at every instant.
import type { ServerView } from './types.ts';

interface ProviderTally {
  /** Instances that stay (not gone, not destroyed this round), plus creates granted so far. */
  count: number;
  /** Servers destroyed this round, oldest first: slots that free up once their delete is done. */
  freeing: string[];
}

export class ProviderCounts {
  readonly #tallies = new Map<string, ProviderTally>();

  /** `servers` oldest first; `destroyed`: ids destroyed this round. */
  constructor(servers: readonly ServerView[], destroyed: ReadonlySet<string>) {
    for (const server of servers) {
      if (server.gone) continue;
      const tally = this.#tally(server.vm_provider);
      if (destroyed.has(server.id)) tally.freeing.push(server.id);
      else tally.count++;
    }
  }

  #tally(provider: string): ProviderTally {
    let tally = this.#tallies.get(provider);
    if (!tally) this.#tallies.set(provider, (tally = { count: 0, freeing: [] }));
    return tally;
  }

  /** Instances that stay on the provider (plus creates granted so far). */
  count(provider: string): number {
    return this.#tallies.get(provider)?.count ?? 0;
  }

  /**
   * Grants up to `wanted` new instances under `max`. For each granted one:
   * the destroys (server ids) that must finish before it starts, empty when
   * a slot is free right now.
   */
  take(provider: string, wanted: number, max: number): string[][] {
    const tally = this.#tally(provider);
    const granted: string[][] = [];
    while (granted.length < wanted && tally.count < max) {
      tally.count++;
      // With every freeing server still there, this create would be instance number count + freeing.length.
      const over = tally.count + tally.freeing.length - max;
      granted.push(over > 0 ? tally.freeing.slice(0, over) : []);
    }
    return granted;
  }
}
