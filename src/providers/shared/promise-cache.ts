// A cache of promises by key (e.g. a size's cores and memory, which do not
// change for the life of a process): the first call starts the load and every
// later call shares it; a load that fails is forgotten, so the next call tries
// again instead of repeating the error forever. The Map is the caller's (a
// module-level one, cleared by the provider's clear*Caches for tests).

export function cachedPromise<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) return hit;
  const started = load();
  cache.set(key, started);
  started.catch(() => {
    if (cache.get(key) === started) cache.delete(key);
  });
  return started;
}
