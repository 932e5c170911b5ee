// Deterministic orders over servers. Inputs may arrive in any order; every
// choice the core makes goes through these comparators so the same input
// always yields the same decisions in the same order.
import type { ServerView } from './types.ts';

/** Oldest first (created_at, then id). */
export function oldestFirst(a: ServerView, b: ServerView): number {
  return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const BOOT_RANK: Record<string, number> = { provisioning: 0, starting: 1, running: 2 };

/**
 * Order in which idle servers are given up when scaling down: servers that
 * are not ready yet (provisioning, then starting) before running ones, and
 * within each the newest first. Why: a running server has proven it boots and
 * checks in, and is ready for the next user at once; the oldest survivors keep
 * the fleet stable (ties between equal created_at go by id, highest first).
 */
export function scaleDownOrder(a: ServerView, b: ServerView): number {
  const rank = (BOOT_RANK[a.status] ?? 3) - (BOOT_RANK[b.status] ?? 3);
  return rank !== 0 ? rank : -oldestFirst(a, b);
}
