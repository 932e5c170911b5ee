// max_instances: a hard cap per VM provider config, across every autoscale
// config that uses it (removed configs' servers included). Every server the
// provider still has counts, whatever its status. A server destroyed in this
// same round frees its slot for a create of this round: apply must finish a
// provider's deletes before it starts that provider's creates (and must not
// start a create whose paired delete failed), so the cap holds at every instant.
import type { ServerView } from './types.ts';

export class ProviderCounts {
  readonly #counts = new Map<string, number>();

  constructor(servers: readonly ServerView[], destroyed: ReadonlySet<string>) {
    for (const server of servers) {
      if (server.gone || destroyed.has(server.id)) continue;
      this.#counts.set(server.vm_provider, (this.#counts.get(server.vm_provider) ?? 0) + 1);
    }
  }

  count(provider: string): number {
    return this.#counts.get(provider) ?? 0;
  }

  /** Grants up to `wanted` new instances under `max`; returns how many were granted. */
  take(provider: string, wanted: number, max: number): number {
    const current = this.count(provider);
    const granted = Math.max(0, Math.min(wanted, max - current));
    this.#counts.set(provider, current + granted);
    return granted;
  }
}
