// A FIFO async mutex: runs critical sections one at a time within a process.

export interface Mutex {
  run<T>(section: () => Promise<T>): Promise<T>;
}

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(section: () => Promise<T>): Promise<T> {
      const result = tail.then(() => section());
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
