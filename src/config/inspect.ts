// One linear walk over a parsed YAML document's node tree, before its JS
// value is built:
// - counts its nodes (every scalar and collection, keys included), an alias
//   counting as the size of what it expands to (memoised per anchored node,
//   so a "billion laughs" costs a walk of its text, not of its expansion);
// - measures nesting depth (through aliases too) and keys per mapping;
// - finds duplicate keys with a Set per mapping (the yaml library's own check
//   compares every pair of keys: 80,000 keys took a minute);
// - finds circular aliases (`&a {self: *a}`), which would make the value a
//   circular structure that later stages cannot handle, and reports them at
//   the anchor.
// Anchors are resolved by the walk itself in document order (an alias refers
// to the latest anchor of that name before it), which is what YAML specifies
// and what the yaml library does, without its per-alias scan.
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import type { SourceDocument } from './source.ts';
import type { BudgetName } from './budgets.ts';

export interface DocumentStats {
  nodes: number;
  /** Deepest nesting (collections) and where it is reached. */
  depth: number;
  depthOffset: number;
  /** Entries of the largest mapping and where it starts. */
  maxKeys: number;
  maxKeysOffset: number;
}

export type InspectProblem =
  | { kind: 'budget'; budget: BudgetName; limit: number; message: string; offset: number }
  | { kind: 'error'; code: 'yaml-syntax' | 'yaml-alias-cycle' | 'config-too-large'; message: string; offset: number };

export interface InspectLimits {
  maxYamlNodes: number;
  maxDepth: number;
  maxKeysPerMapping: number;
  maxAliases: number;
}

export interface InspectReport {
  stats: DocumentStats;
  problems: InspectProblem[];
}

interface Measure {
  size: number;
  height: number;
}

const MERGE = '<<';

function startOf(node: unknown, fallback: number): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : fallback;
}

/** A stable identity for a scalar key (1 and "1" differ, as in the yaml library's check). */
function keyIdentity(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const v = key.value;
  if (typeof v === 'symbol' || v === MERGE) return undefined; // merge keys may repeat
  return `${typeof v}:${String(v)}`;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Walks a document; stops at the first budget exceeded (problems then hold it). */
export function inspectDocument(source: SourceDocument, limits: InspectLimits): InspectReport {
  const stats: DocumentStats = { nodes: 0, depth: 0, depthOffset: 0, maxKeys: 0, maxKeysOffset: 0 };
  const problems: InspectProblem[] = [];
  const anchors = new Map<string, Node>();
  const measured = new Map<Node, Measure>();
  /** Anchored nodes being walked (an alias to one of them is a cycle). */
  const open = new Set<Node>();
  let aliases = 0;
  let stopped = false;
  const docStart = source.doc.range[0];

  const budget = (name: BudgetName, limit: number, message: string, offset: number): void => {
    problems.push({ kind: 'budget', budget: name, limit, message, offset });
    stopped = true;
  };
  const count = (n: number, offset: number): void => {
    stats.nodes += n;
    if (stats.nodes > limits.maxYamlNodes && !stopped) {
      budget(
        'maxYamlNodes',
        limits.maxYamlNodes,
        `the configuration reaches more than ${fmt(limits.maxYamlNodes)} YAML nodes here (aliases count as what they expand to); this document is not read`,
        offset,
      );
    }
  };
  const reachDepth = (depth: number, offset: number): void => {
    if (depth > stats.depth) {
      stats.depth = depth;
      stats.depthOffset = offset;
    }
    if (depth > limits.maxDepth && !stopped) budget('maxDepth', limits.maxDepth, `nesting is too deep (${fmt(depth)} levels here)`, offset);
  };

  /** Returns the size and height of the node (alias expansions included). */
  const walk = (node: unknown, depth: number, fallback: number): Measure => {
    if (stopped || node === null || node === undefined) return { size: 0, height: 0 };
    const offset = startOf(node, fallback);
    if (isAlias(node)) {
      if (++aliases > limits.maxAliases) {
        // A fixed limit, not a Settings budget (see MAX_ALIASES_PER_DOCUMENT).
        problems.push({
          kind: 'error',
          code: 'config-too-large',
          message: `more than ${fmt(limits.maxAliases)} aliases in one document (a fixed limit): write the values out, or split the document`,
          offset,
        });
        stopped = true;
        return { size: 0, height: 0 };
      }
      const target = anchors.get(node.source);
      if (target === undefined) return { size: 1, height: 0 }; // the parser reports unknown anchors
      if (open.has(target)) {
        const at = startOf(target, offset);
        problems.push({
          kind: 'error',
          code: 'yaml-alias-cycle',
          message: `anchor &${node.source} contains an alias to itself (*${node.source}): a circular structure cannot be loaded; copy the values instead`,
          offset: anchorOffset(source.text, node.source, at),
        });
        return { size: 0, height: 0 };
      }
      const m = measured.get(target) ?? { size: 1, height: 0 };
      count(m.size, offset);
      reachDepth(depth - 1 + m.height, offset);
      return m;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      anchors.set(anchor, node as Node);
      open.add(node as Node);
    }
    let m: Measure;
    if (isMap(node) || isSeq(node)) {
      count(1, offset);
      reachDepth(depth, offset);
      if (isMap(node)) {
        const entries = node.items.length;
        if (entries > stats.maxKeys) {
          stats.maxKeys = entries;
          stats.maxKeysOffset = offset;
        }
        if (entries > limits.maxKeysPerMapping && !stopped) {
          budget('maxKeysPerMapping', limits.maxKeysPerMapping, `this mapping has ${fmt(entries)} keys`, offset);
        }
      }
      let size = 1;
      let height = 0;
      const seen = isMap(node) ? new Set<string>() : undefined;
      for (const item of node.items) {
        if (stopped) break;
        if (isPair(item)) {
          const k = walk(item.key, depth + 1, offset);
          const v = walk(item.value, depth + 1, startOf(item.key, offset));
          size += k.size + v.size;
          height = Math.max(height, k.height, v.height);
          const id = seen ? keyIdentity(item.key) : undefined;
          if (seen && id !== undefined) {
            if (seen.has(id)) problems.push({ kind: 'error', code: 'yaml-syntax', message: 'Map keys must be unique', offset: startOf(item.key, offset) });
            else seen.add(id);
          }
        } else {
          const c = walk(item, depth + 1, offset);
          size += c.size;
          height = Math.max(height, c.height);
        }
      }
      m = { size, height: height + 1 };
    } else {
      count(1, offset);
      m = { size: 1, height: 0 };
    }
    if (anchor) {
      open.delete(node as Node);
      measured.set(node as Node, m);
    }
    return m;
  };
  walk(source.doc.contents, 1, docStart);
  return { stats, problems };
}

/** The offset of `&name` just before a node (the anchor's own position), else the node's. */
function anchorOffset(text: string, name: string, nodeStart: number): number {
  const at = text.lastIndexOf(`&${name}`, nodeStart);
  return at !== -1 && nodeStart - at <= name.length + 1 + 200 ? at : nodeStart;
}
