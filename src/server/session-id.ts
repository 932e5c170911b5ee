// Session ids: UUID version 7 (RFC 9562): 48-bit millisecond timestamp, then
// a counter that increases within one millisecond, then random bits. The
// store orders the queue by creation time and then by id, so time-ordered
// ids keep queued requests strictly FIFO even when several arrive in the same
// millisecond (within one process; across replicas the millisecond decides).
import { randomFillSync } from 'node:crypto';

/** Random bytes are drawn from the CSPRNG this many at a time (one call per 256 ids instead of one per id). */
const POOL_BYTES = 4096;

export function createSessionIdGenerator(): (nowMs: number) => string {
  let lastMs = -1;
  let seq = 0;
  const pool = Buffer.alloc(POOL_BYTES);
  let used = POOL_BYTES;
  return (nowMs) => {
    let ms = Math.max(0, Math.floor(nowMs));
    if (ms <= lastMs) {
      ms = lastMs;
      seq++;
      if (seq > 0xfff) {
        // 4096 ids in one millisecond: borrow the next one.
        ms = lastMs + 1;
        seq = 0;
      }
    } else {
      seq = 0;
    }
    lastMs = ms;
    // 16 fresh random bytes (each pool byte is used once); the first 8 are then overwritten with time and counter.
    if (used + 16 > POOL_BYTES) {
      randomFillSync(pool);
      used = 0;
    }
    const bytes = pool.subarray(used, used + 16);
    used += 16;
    const hi = Math.floor(ms / 2 ** 16);
    const lo = ms % 2 ** 16;
    bytes.writeUInt32BE(hi >>> 0, 0);
    bytes.writeUInt16BE(lo, 4);
    bytes.writeUInt16BE(0x7000 | seq, 6);
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}
