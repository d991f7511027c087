import { parsePointer } from "./field-path.ts";
import { asRecord } from "./raw.ts";

export const JSON_PATCH_OPS = ["add", "remove", "replace", "move", "copy", "test"] as const;
export type JsonPatchOpName = (typeof JSON_PATCH_OPS)[number];

export interface JsonPatchOp {
  op: JsonPatchOpName;
  path: string;
  from?: string;
  value?: unknown;
}

/** An RFC 6902 operation that cannot apply; `field` is the member of the operation at fault. */
export class JsonPatchFailure extends Error {
  constructor(
    readonly opIndex: number,
    readonly field: "op" | "path" | "from" | "value" | undefined,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Container = Record<string, unknown> | unknown[];

const INDEX = /^(?:0|[1-9][0-9]*)$/;

function describe(tokens: readonly string[]): string {
  return tokens.length === 0
    ? "the document root"
    : `/${tokens.map((t) => t.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}

function validateOp(raw: unknown, index: number): JsonPatchOp {
  const record = asRecord(raw);
  if (!record)
    throw new JsonPatchFailure(
      index,
      undefined,
      "patch_invalid_op",
      "each operation must be a map with op and path",
    );
  const op = record.op;
  if (typeof op !== "string" || !(JSON_PATCH_OPS as readonly string[]).includes(op)) {
    throw new JsonPatchFailure(
      index,
      "op",
      "patch_invalid_op",
      `op must be one of ${JSON_PATCH_OPS.join(", ")} (got ${JSON.stringify(op)})`,
    );
  }
  if (typeof record.path !== "string")
    throw new JsonPatchFailure(
      index,
      "path",
      "patch_invalid_op",
      `${op} needs a path (a JSON pointer string)`,
    );
  const out: JsonPatchOp = { op: op as JsonPatchOpName, path: record.path };
  if (op === "move" || op === "copy") {
    if (typeof record.from !== "string")
      throw new JsonPatchFailure(
        index,
        "from",
        "patch_invalid_op",
        `${op} needs from (a JSON pointer string)`,
      );
    out.from = record.from;
  }
  if (op === "add" || op === "replace" || op === "test") {
    if (!Object.hasOwn(record, "value"))
      throw new JsonPatchFailure(index, "value", "patch_invalid_op", `${op} needs a value`);
    out.value = record.value;
  }
  return out;
}

function tokensOf(pointer: string, index: number, field: "path" | "from"): string[] {
  const tokens = parsePointer(pointer);
  if (!tokens)
    throw new JsonPatchFailure(
      index,
      field,
      "patch_invalid_pointer",
      `${field} ${JSON.stringify(pointer)} is not a JSON pointer (it must start with /)`,
    );
  return tokens;
}

/** Walks to the container holding the last token. */
function parentOf(doc: unknown, tokens: readonly string[], index: number, field: "path" | "from"): Container {
  let current = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i] as string;
    let next: unknown;
    if (Array.isArray(current)) next = INDEX.test(token) ? current[Number(token)] : undefined;
    else if (asRecord(current))
      next = Object.hasOwn(current as object, token)
        ? (current as Record<string, unknown>)[token]
        : undefined;
    if (next === undefined || next === null || typeof next !== "object") {
      throw new JsonPatchFailure(
        index,
        field,
        "patch_path_not_found",
        `${describe(tokens.slice(0, i + 1))} does not exist or is not a map or list`,
      );
    }
    current = next;
  }
  return current as Container;
}

function get(doc: unknown, tokens: readonly string[], index: number, field: "path" | "from"): unknown {
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, index, field);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    if (INDEX.test(last) && Number(last) < parent.length) return parent[Number(last)];
  } else if (Object.hasOwn(parent, last)) {
    return parent[last];
  }
  throw new JsonPatchFailure(index, field, "patch_path_not_found", `${describe(tokens)} does not exist`);
}

function add(doc: unknown, tokens: readonly string[], value: unknown, index: number): unknown {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, index, "path");
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    if (last === "-") parent.push(value);
    else if (INDEX.test(last) && Number(last) <= parent.length) parent.splice(Number(last), 0, value);
    else
      throw new JsonPatchFailure(
        index,
        "path",
        "patch_path_not_found",
        `${describe(tokens)}: index ${last} is out of range for a list of ${parent.length} (use - to append)`,
      );
  } else {
    parent[last] = value;
  }
  return doc;
}

function remove(doc: unknown, tokens: readonly string[], index: number, field: "path" | "from"): unknown {
  if (tokens.length === 0)
    throw new JsonPatchFailure(index, field, "patch_invalid_op", "cannot remove the whole document");
  const value = get(doc, tokens, index, field);
  const parent = parentOf(doc, tokens, index, field);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ra = asRecord(a);
  const rb = asRecord(b);
  if (!ra || !rb) return false;
  const ka = Object.keys(ra);
  return (
    ka.length === Object.keys(rb).length && ka.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]))
  );
}

/** Applies RFC 6902 operations in order to a copy of `doc`; throws JsonPatchFailure naming the failing op. */
export function applyJsonPatch(doc: unknown, operations: readonly unknown[]): unknown {
  let result = structuredClone(doc);
  operations.forEach((raw, index) => {
    const op = validateOp(raw, index);
    const path = tokensOf(op.path, index, "path");
    switch (op.op) {
      case "add":
        result = add(result, path, structuredClone(op.value), index);
        break;
      case "remove":
        remove(result, path, index, "path");
        break;
      case "replace":
        get(result, path, index, "path");
        if (path.length === 0) result = structuredClone(op.value);
        else {
          remove(result, path, index, "path");
          result = add(result, path, structuredClone(op.value), index);
        }
        break;
      case "move": {
        const from = tokensOf(op.from as string, index, "from");
        if (from.length < path.length && from.every((t, i) => t === path[i])) {
          throw new JsonPatchFailure(
            index,
            "from",
            "patch_invalid_op",
            `cannot move ${describe(from)} into its own child ${describe(path)}`,
          );
        }
        const value = remove(result, from, index, "from");
        result = add(result, path, value, index);
        break;
      }
      case "copy": {
        const from = tokensOf(op.from as string, index, "from");
        result = add(result, path, structuredClone(get(result, from, index, "from")), index);
        break;
      }
      case "test": {
        const actual = get(result, path, index, "path");
        if (!deepEqual(actual, op.value)) {
          throw new JsonPatchFailure(
            index,
            "value",
            "patch_test_failed",
            `test failed: ${describe(path)} is ${JSON.stringify(actual)}, not ${JSON.stringify(op.value)}`,
          );
        }
        break;
      }
    }
  });
  return result;
}
