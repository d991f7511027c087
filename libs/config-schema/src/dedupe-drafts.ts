import { appendSegment, formatPath, type PathSegment } from "./field-path.ts";
import type { IssueDraft } from "./issue-draft.ts";

/**
 * Drops issues that say nothing new, keeping the order of the rest: exact repeats (same document,
 * path, code and message); a second "required" issue at the same place (the schema and the type
 * rules both report a missing field); and "required" issues under a missing ancestor (a missing
 * `machine.ca` makes `machine.ca.crt` noise). Linear: each draft costs one lookup per path segment.
 */
export function dedupeDrafts(drafts: IssueDraft[]): IssueDraft[] {
  const paths = drafts.map((d) => formatPath(d.path));
  // Where a required field is missing, per document, and at which depths (in path segments).
  const missing = new Set<string>();
  const missingDepths = new Set<number>();
  drafts.forEach((d, i) => {
    if (d.code !== "required") return;
    missing.add(`${d.document}|${paths[i]}`);
    missingDepths.add(d.path.length);
  });
  const seen = new Set<string>();
  const requiredSeen = new Set<string>();
  return drafts.filter((d, i) => {
    const path = paths[i] as string;
    const key = `${d.document}|${path}|${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (d.code !== "required") return true;
    const place = `${d.document}|${path}`;
    if (requiredSeen.has(place)) return false;
    requiredSeen.add(place);
    // The root path "" is an ancestor of paths that start with an index or a quoted key.
    if (path.startsWith("[") && missing.has(`${d.document}|`)) return false;
    let ancestor = "";
    for (let n = 0; n < d.path.length - 1; n++) {
      ancestor = appendSegment(ancestor, d.path[n] as PathSegment);
      if (missingDepths.has(n + 1) && missing.has(`${d.document}|${ancestor}`)) return false;
    }
    return true;
  });
}
