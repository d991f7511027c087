import { type Document, isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import type { FieldPath } from "./field-path.ts";
import type { Anchor } from "./issue-draft.ts";

/** Converts source offsets to 1-based line and column; the line table is built on first use. */
export class LineIndex {
  private starts: number[] | undefined;

  constructor(private readonly text: string) {}

  position(offset: number): { line: number; column: number } {
    if (!this.starts) {
      const starts = [0];
      for (let i = this.text.indexOf("\n"); i >= 0; i = this.text.indexOf("\n", i + 1)) starts.push(i + 1);
      this.starts = starts;
    }
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  }
}

/** Each map's pairs by key (the first pair of a key wins), built on first use: one lookup per segment. */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function findPair(map: YAMLMap, segment: string | number): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items as Pair[]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key !== undefined && !index.has(key)) index.set(key, pair);
    }
    pairIndexes.set(map, index);
  }
  return index.get(String(segment));
}

function start(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

/**
 * Finds the source offset for a field path in a parsed YAML document. A path that does not exist
 * resolves to its nearest existing ancestor, which is where a missing field belongs.
 */
export function locate(doc: Document, path: FieldPath, anchor: Anchor): number {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let fallback = start(node) ?? doc.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string | number;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const found = findPair(node, segment);
      if (!found) return fallback;
      pair = found;
      const isLast = i === path.length - 1;
      if (isLast && anchor === "key") return start(found.key) ?? fallback;
      const value = found.value;
      // `key:` with no value: point at the key.
      if (value === null || (isScalar(value) && value.value === null && value.source === "")) {
        return start(found.key) ?? fallback;
      }
      node = value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) return fallback;
      pair = undefined;
      node = item;
    } else {
      return fallback;
    }
    fallback = start(node) ?? (pair ? (start(pair.key) ?? fallback) : fallback);
  }
  return fallback;
}
