// Test timeouts, scaled for busy machines. Every timeout in the test suites is
// a generous default multiplied by POOLFORM_TEST_TIMEOUT_SCALE (default 1; e.g.
// 4 on a machine shared with other work). Tests assert counts, never speed: a
// timeout only bounds a hung test. See docs/testing.md.

/** POOLFORM_TEST_TIMEOUT_SCALE, a positive number (default 1). */
export function timeoutScale(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const scale = Number(env['POOLFORM_TEST_TIMEOUT_SCALE']);
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** `ms` scaled by POOLFORM_TEST_TIMEOUT_SCALE: use for every explicit `{ timeout }` and hook timeout. */
export function testTimeout(ms: number): number {
  return Math.round(ms * timeoutScale());
}
