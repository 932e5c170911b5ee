// A parsed YAML document together with what is needed to point back into it:
// its file, its line counter and the `yaml` node tree. Positions of any value
// are found by walking the node tree along a JSON-pointer-like path.
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';

export interface SourceDocument {
  /** Path relative to the config directory, with `/` separators. */
  file: string;
  /** Absolute path of the file. */
  absPath: string;
  /** Index of the document within its file (0-based). */
  index: number;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The full text of the file (positions inside scalars are found in it). */
  text: string;
}

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
  /** Offset into the file's text. */
  offset: number;
}

/** JSON pointer (RFC 6901) for a path: `/autoscale/0/name`. */
export function toPointer(path: readonly PathSegment[]): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Parses a JSON pointer into segments (numbers stay strings; the walk handles both). */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export interface NodeLookup {
  /** The node at the path, or the deepest existing ancestor when the path does not fully exist. */
  node: Node | null;
  /** The key node of the last map entry walked (for "unknown field" errors). */
  key: Node | null;
  /** Whether the whole path exists. */
  found: boolean;
}

/** Walks the node tree of a document along `path` (aliases are followed). */
export function lookupNode(source: SourceDocument, path: readonly PathSegment[]): NodeLookup {
  let node: unknown = source.doc.contents;
  let key: Node | null = null;
  let guard = 0;
  for (const segment of path) {
    while (isAlias(node) && guard++ < 1000) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = findPair(source, node, String(segment), 0);
      if (!pair) return { node: node as Node, key, found: false };
      key = (pair.key as Node | null) ?? null;
      node = pair.value ?? null;
      if (node === null) return { node: key, key, found: true };
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) return { node: node as Node, key, found: false };
      key = null;
      node = item;
    } else {
      return { node: (node as Node | null) ?? null, key, found: false };
    }
  }
  return { node: (node as Node | null) ?? null, key, found: true };
}

type MapNode = YAMLMap<unknown, unknown>;
type PairNode = Pair<unknown, unknown>;

/**
 * Each mapping's entries by key, built on a mapping's first lookup: a config
 * with thousands of errors in one large mapping (unknown fields) locates each
 * in constant time instead of scanning the mapping per error.
 */
const pairIndex = new WeakMap<MapNode, { byKey: Map<string, PairNode>; merges: PairNode[] }>();

function indexOf(map: MapNode): { byKey: Map<string, PairNode>; merges: PairNode[] } {
  let index = pairIndex.get(map);
  if (!index) {
    index = { byKey: new Map(), merges: [] };
    for (const p of map.items) {
      if (!isPair(p)) continue;
      if (isScalar(p.key) && (typeof p.key.value === 'symbol' || p.key.value === '<<')) index.merges.push(p);
      const k = scalarKey(p.key);
      if (k !== undefined && !index.byKey.has(k)) index.byKey.set(k, p);
    }
    pairIndex.set(map, index);
  }
  return index;
}

/** The entry for `key`, also through `<<` merge keys (own keys win, as in the loaded value). */
function findPair(source: SourceDocument, map: MapNode, key: string, depth: number): PairNode | undefined {
  const index = indexOf(map);
  const own = index.byKey.get(key);
  if (own || depth > 20) return own;
  for (const p of index.merges) {
    const targets = isSeq(p.value) ? p.value.items : [p.value];
    for (const t of targets) {
      const resolved = isAlias(t) ? t.resolve(source.doc) : t;
      if (isMap(resolved)) {
        const found = findPair(source, resolved, key, depth + 1);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key) && typeof key.value !== 'symbol') return String(key.value);
  return undefined;
}

export function positionOfOffset(source: SourceDocument, offset: number): Position {
  const p = source.lines.linePos(offset);
  return { line: p.line, column: p.col, offset };
}

/** Start of a node, or of the document when there is none. */
export function positionOfNode(source: SourceDocument, node: Node | null): Position {
  const start = node?.range?.[0] ?? source.doc.range[0];
  return positionOfOffset(source, start);
}

/** Position of the value (or, with target 'key', the key) at `path`. */
export function positionOf(source: SourceDocument, path: readonly PathSegment[], target: 'value' | 'key' = 'value'): Position {
  const found = lookupNode(source, path);
  if (target === 'key' && found.found && found.key) return positionOfNode(source, found.key);
  return positionOfNode(source, found.node);
}

/** Whether the admin wrote `path` in the YAML (as opposed to it being filled by a schema default). */
export function isWritten(source: SourceDocument, path: readonly PathSegment[]): boolean {
  return lookupNode(source, path).found;
}
