// How many runs each fast-check property makes. POOLFORM_PROPERTY_RUNS, when
// set, replaces every property's own number (lower for a quick local loop,
// higher for a soak); otherwise each property keeps its default. The test
// setup (vitest.setup.ts) also sets it as fast-check's global default, for
// properties that name no number. See docs/testing.md.

/** POOLFORM_PROPERTY_RUNS as a positive integer, or undefined when unset or invalid. */
export function propertyRunsOverride(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const runs = Number(env['POOLFORM_PROPERTY_RUNS']);
  return Number.isInteger(runs) && runs > 0 ? runs : undefined;
}

/** Runs for a property whose default is `defaultRuns`: `{ numRuns: propertyRuns(500) }`. */
export function propertyRuns(defaultRuns: number): number {
  return propertyRunsOverride() ?? defaultRuns;
}
