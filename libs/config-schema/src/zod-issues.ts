import type * as z from "zod";
import { getIn, type PathSegment } from "./field-path.ts";
import { draft, type IssueDraft } from "./issue-draft.ts";
import { asRecord } from "./raw.ts";
import { knownKeys } from "./schema-at.ts";
import { closest } from "./suggest.ts";

export function describeValue(value: unknown): string {
  if (value === null) return "null (empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string")
    return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)})`;
  if (typeof value === "number")
    return Number.isInteger(value) ? `an integer (${value})` : `a number (${value})`;
  if (typeof value === "boolean") return `a boolean (${value})`;
  return typeof value;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "a boolean (true or false)",
  object: "a map",
  array: "a list",
  record: "a map",
};

function hasKey(parent: unknown, key: PathSegment): boolean {
  return parent !== null && typeof parent === "object" && Object.hasOwn(parent, key);
}

type RawIssue = z.core.$ZodIssue;

function convertOne(
  issue: RawIssue,
  value: unknown,
  schema: z.ZodType,
  document: number,
  out: IssueDraft[],
): void {
  const path = issue.path as PathSegment[];
  if (issue.code === "invalid_type" || issue.code === "invalid_value") {
    const last = path[path.length - 1];
    const parent = getIn(value, path.slice(0, -1));
    if (typeof last === "string" && asRecord(parent) && !hasKey(parent, last)) {
      out.push(draft(document, path, "required", "required field is missing", { anchor: "parent" }));
      return;
    }
  }
  switch (issue.code) {
    case "invalid_type": {
      const actual = getIn(value, path);
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      let message = `expected ${expected}, got ${describeValue(actual)}`;
      if (issue.expected === "string" && (typeof actual === "number" || typeof actual === "boolean")) {
        message += `; quote it to make it a string: "${String(actual)}"`;
      }
      out.push(draft(document, path, "invalid_type", message));
      return;
    }
    case "unrecognized_keys": {
      const known = knownKeys(schema, path);
      for (const key of issue.keys) {
        const suggestion = closest(key, known);
        const hint = suggestion ? ` (did you mean "${suggestion}"?)` : "";
        out.push(
          draft(document, [...path, key], "unknown_field", `unknown field "${key}"${hint}`, {
            anchor: "key",
          }),
        );
      }
      return;
    }
    case "invalid_value": {
      const actual = getIn(value, path);
      const values = issue.values.map((v) => JSON.stringify(v));
      const message =
        values.length === 1
          ? `must be ${values[0]} (got ${describeValue(actual)})`
          : `must be one of ${values.join(", ")} (got ${describeValue(actual)})`;
      out.push(draft(document, path, "invalid_value", message));
      return;
    }
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const small = issue.code === "too_small";
      let message: string;
      if (issue.origin === "array") message = `must have ${small ? "at least" : "at most"} ${bound} item(s)`;
      else if (issue.origin === "string")
        message =
          small && bound === 1 ? "must not be empty" : `length must be ${small ? ">=" : "<="} ${bound}`;
      else message = `must be ${small ? ">=" : "<="} ${bound} (got ${String(getIn(value, path))})`;
      out.push(draft(document, path, "out_of_range", message));
      return;
    }
    case "invalid_format":
      out.push(draft(document, path, "invalid_format", issue.message));
      return;
    case "invalid_key": {
      const inner = issue.issues[0]?.message ?? "invalid key";
      out.push(
        draft(document, path, "invalid_key", `invalid key "${String(path[path.length - 1])}": ${inner}`, {
          anchor: "key",
        }),
      );
      return;
    }
    case "invalid_element":
      for (const inner of issue.issues)
        convertOne({ ...inner, path: [...path, ...inner.path] } as RawIssue, value, schema, document, out);
      return;
    case "invalid_union": {
      out.push(draft(document, path, "invalid_value", issue.message));
      return;
    }
    case "custom": {
      const code = (issue.params as { code?: string } | undefined)?.code ?? "invalid";
      out.push(draft(document, path, code, issue.message));
      return;
    }
    default:
      out.push(
        draft(document, path, (issue as { code: string }).code, (issue as { message: string }).message),
      );
  }
}

/** Converts zod issues into drafts with Bronze's codes and messages (one per unknown key). */
export function zodIssuesToDrafts(
  issues: readonly RawIssue[],
  value: unknown,
  schema: z.ZodType,
  document: number,
): IssueDraft[] {
  const out: IssueDraft[] = [];
  for (const issue of issues) convertOne(issue, value, schema, document, out);
  return out;
}
