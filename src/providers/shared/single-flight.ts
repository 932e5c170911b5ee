// One run per key at a time: a call for a key whose run is still in flight
// gets that run's result instead of starting another. The providers use it
// for create(), keyed by intent id, so that two creates of one intent in one
// process (a retried call, a duplicate in a plan) never make two VMs.
// The entry goes once the run settles (fulfilled or rejected): a later call
// starts afresh (and finds the VM, if made, through the provider's own lookup).

export type SingleFlight<T> = (key: string, run: () => Promise<T>) => Promise<T>;

export function createSingleFlight<T>(): SingleFlight<T> {
  const running = new Map<string, Promise<T>>();
  return async (key, run) => {
    const inFlight = running.get(key);
    if (inFlight) return await inFlight;
    const promise = run();
    running.set(key, promise);
    try {
      return await promise;
    } finally {
      running.delete(key);
    }
  };
}
