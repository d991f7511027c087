import type { FieldPath } from "./field-path.ts";
import type { Severity } from "./types.ts";

/**
 * Where an issue points in the source: the value at its path, the key of its last segment
 * (unknown fields), or the nearest existing ancestor (missing fields).
 */
export type Anchor = "value" | "key" | "parent";

/** An issue before its position is resolved (positions are computed only when there are issues). */
export interface IssueDraft {
  document: number;
  path: FieldPath;
  anchor: Anchor;
  message: string;
  code: string;
  severity: Severity;
  /** Absolute source offset, when known directly (YAML syntax errors). */
  offset?: number;
}

export function draft(
  document: number,
  path: FieldPath,
  code: string,
  message: string,
  options: { anchor?: Anchor; severity?: Severity; offset?: number } = {},
): IssueDraft {
  const d: IssueDraft = {
    document,
    path,
    anchor: options.anchor ?? "value",
    message,
    code,
    severity: options.severity ?? "error",
  };
  if (options.offset !== undefined) d.offset = options.offset;
  return d;
}
