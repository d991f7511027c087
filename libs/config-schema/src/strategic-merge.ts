import type { PathSegment } from "./field-path.ts";
import { asRecord } from "./raw.ts";

/**
 * How lists of the v1alpha1 machine config merge (path patterns; `[]` stands for any list index).
 * Any other list appends the patch's items to the base's.
 */
export const MACHINE_CONFIG_MERGE_RULES = {
  /** The patch's list replaces the base's: these are sets chosen as a whole. */
  replace: [
    "cluster.network.podSubnets",
    "cluster.network.serviceSubnets",
    "machine.network.nameservers",
    "machine.time.servers",
    "machine.kubelet.nodeIP.validSubnets",
  ],
  /** Items with the same key merge (recursively); others are appended; `$patch: delete` removes an item. */
  keyed: {
    "machine.network.interfaces": "interface",
    "machine.network.interfaces[].vlans": "vlanId",
    "machine.kernel.modules": "name",
  } as Record<string, string>,
  /** Appended without duplicates. */
  appendUnique: ["machine.certSANs", "cluster.apiServer.certSANs"],
} as const;

export interface MergeRules {
  replace: readonly string[];
  keyed: Readonly<Record<string, string>>;
  appendUnique: readonly string[];
}

export const NO_MERGE_RULES: MergeRules = { replace: [], keyed: {}, appendUnique: [] };

/** A strategic merge patch that cannot apply; `path` is inside the patch document. */
export class MergeFailure extends Error {
  constructor(
    readonly path: PathSegment[],
    message: string,
  ) {
    super(message);
  }
}

const DELETE = Symbol("delete");

function directive(patch: Record<string, unknown>, path: PathSegment[]): "delete" | "replace" | undefined {
  if (!Object.hasOwn(patch, "$patch")) return undefined;
  const value = patch.$patch;
  if (value === "delete" || value === "replace") return value;
  throw new MergeFailure(
    [...path, "$patch"],
    `unsupported $patch directive ${JSON.stringify(value)} (use delete or replace)`,
  );
}

/** A deep copy of patch content with `$patch` directives resolved (deleted items dropped). */
function clean(value: unknown, path: PathSegment[]): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((item, i) => {
      const cleaned = clean(item, [...path, i]);
      if (cleaned !== DELETE) out.push(cleaned);
    });
    return out;
  }
  const record = asRecord(value);
  if (!record) return value;
  if (directive(record, path) === "delete") return DELETE;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) {
    if (key === "$patch") continue;
    const cleaned = clean(item, [...path, key]);
    if (cleaned !== DELETE) out[key] = cleaned;
  }
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function mergeList(
  base: unknown[],
  patch: unknown[],
  pattern: string,
  path: PathSegment[],
  rules: MergeRules,
): unknown {
  if (rules.replace.includes(pattern)) return clean(patch, path);
  const key = rules.keyed[pattern];
  const out = [...base];
  patch.forEach((item, i) => {
    const itemPath = [...path, i];
    const record = asRecord(item);
    if (key !== undefined && record && Object.hasOwn(record, key)) {
      const index = out.findIndex((b) => deepEqual(asRecord(b)?.[key], record[key]));
      if (index >= 0) {
        const merged = mergeValue(out[index], record, `${pattern}[]`, itemPath, rules);
        if (merged === DELETE) out.splice(index, 1);
        else out[index] = merged;
        return;
      }
    }
    const cleaned = clean(item, itemPath);
    if (cleaned === DELETE) return;
    if (rules.appendUnique.includes(pattern) && out.some((b) => deepEqual(b, cleaned))) return;
    out.push(cleaned);
  });
  return out;
}

function mergeValue(
  base: unknown,
  patch: unknown,
  pattern: string,
  path: PathSegment[],
  rules: MergeRules,
): unknown {
  const patchRecord = asRecord(patch);
  if (patchRecord) {
    const d = directive(patchRecord, path);
    if (d === "delete") return DELETE;
    const baseRecord = asRecord(base);
    if (d === "replace" || !baseRecord) return clean(patchRecord, path);
    const out: Record<string, unknown> = { ...baseRecord };
    for (const [key, value] of Object.entries(patchRecord)) {
      const merged = mergeValue(
        baseRecord[key],
        value,
        pattern === "" ? key : `${pattern}.${key}`,
        [...path, key],
        rules,
      );
      if (merged === DELETE) delete out[key];
      else out[key] = merged;
    }
    return out;
  }
  if (Array.isArray(patch)) {
    return Array.isArray(base) ? mergeList(base, patch, pattern, path, rules) : clean(patch, path);
  }
  return patch;
}

/**
 * Merges a partial document into a base document, Talos-style: maps merge recursively, scalars
 * replace, lists append except as `rules` say (replace, keyed merge, append without duplicates);
 * `$patch: delete` removes a map (or a keyed list item), `$patch: replace` replaces a map instead
 * of merging it. Returns undefined when the patch deletes the whole document.
 */
export function strategicMerge(base: unknown, patch: unknown, rules: MergeRules): unknown {
  const merged = mergeValue(base, patch, "", [], rules);
  return merged === DELETE ? undefined : merged;
}

/** The patch content as a new document (directives resolved); undefined if it deletes itself. */
export function materialise(patch: unknown): unknown {
  const cleaned = clean(patch, []);
  return cleaned === DELETE ? undefined : cleaned;
}
