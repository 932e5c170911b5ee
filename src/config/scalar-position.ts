// Positions inside a scalar: a startup-script problem points at the exact
// line and column in the YAML file, also inside `|` / `>` block scalars.
// The parsed value and the raw source differ by indentation, folding and
// quoting, but a token without whitespace (like `{name}`) appears verbatim in
// both; the n-th occurrence in the value is the n-th in the source range.
import { isScalar } from 'yaml';
import type { PathSegment, Position, SourceDocument } from './source.ts';
import { lookupNode, positionOfNode, positionOfOffset } from './source.ts';

function occurrencesBefore(haystack: string, needle: string, end: number): number {
  let count = 0;
  let i = haystack.indexOf(needle);
  while (i !== -1 && i < end) {
    count++;
    i = haystack.indexOf(needle, i + needle.length);
  }
  return count;
}

function nthIndex(haystack: string, needle: string, n: number): number {
  let i = haystack.indexOf(needle);
  for (let k = 0; k < n && i !== -1; k++) i = haystack.indexOf(needle, i + needle.length);
  return i;
}

/**
 * Position of `needle`, found at `valueOffset` in the scalar value at `path`.
 * Falls back to the start of the scalar when the token cannot be matched.
 */
export function positionInScalar(source: SourceDocument, path: readonly PathSegment[], value: string, valueOffset: number, needle: string): Position {
  const { node } = lookupNode(source, path);
  if (!node || !isScalar(node) || !node.range) return positionOfNode(source, node);
  const [start, end] = node.range;
  const raw = source.text.slice(start, end);
  // Skip a block scalar's header line (`|`, `>-`, comments) so it never matches.
  const bodyStart = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED' ? Math.max(0, raw.indexOf('\n') + 1) : 0;
  const n = occurrencesBefore(value, needle, valueOffset);
  const at = nthIndex(raw.slice(bodyStart), needle, n);
  if (at === -1) return positionOfNode(source, node);
  return positionOfOffset(source, start + bodyStart + at);
}
