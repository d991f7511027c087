import type { Document } from "yaml";
import { documentIdentity, MACHINE_CONFIG_KIND } from "./classify-documents.ts";
import { ConfigError } from "./config-error.ts";
import { formatPath, type PathSegment, parsePointer, pointerToPath } from "./field-path.ts";
import { applyJsonPatch, JsonPatchFailure } from "./json-patch.ts";
import { type ParsedDocument, parseStream } from "./parse.ts";
import { LineIndex, locate } from "./positions.ts";
import { asRecord } from "./raw.ts";
import { documentKind } from "./schema/documents.ts";
import {
  MACHINE_CONFIG_MERGE_RULES,
  MergeFailure,
  materialise,
  NO_MERGE_RULES,
  strategicMerge,
} from "./strategic-merge.ts";
import { stringifyDocuments } from "./stringify.ts";
import type { ConfigIssue, Mode } from "./types.ts";
import { validateConfig } from "./validate.ts";

interface Source {
  text: string;
  lines: LineIndex;
}

function issueAt(
  source: Source,
  ast: Document | undefined,
  document: number,
  at: PathSegment[],
  reportedPath: string,
  code: string,
  message: string,
): ConfigIssue {
  const offset = ast ? locate(ast, at, "value") : 0;
  const { line, column } = source.lines.position(offset);
  return { path: reportedPath, line, column, message, severity: "error", code, document };
}

/** Parses a YAML stream or throws ConfigError "yaml" with every syntax error. */
function parseOrThrow(text: string, label: string): ParsedDocument[] {
  const stream = parseStream(text);
  const errors = stream.issues.filter((d) => d.severity === "error");
  if (errors.length === 0) return stream.documents;
  const lines = new LineIndex(text);
  const issues = errors.map((d): ConfigIssue => {
    const { line, column } = lines.position(d.offset ?? 0);
    return {
      path: "",
      line,
      column,
      message: `${label}: ${d.message}`,
      severity: "error",
      code: d.code,
      document: d.document,
    };
  });
  throw new ConfigError("yaml", `${label} is not valid YAML`, issues);
}

function applyJson(documents: unknown[], patch: ParsedDocument, source: Source, index: number): unknown[] {
  const target = documents.findIndex((d) => documentIdentity(d)?.kind === MACHINE_CONFIG_KIND);
  const ops = patch.value as unknown[];
  if (target < 0) {
    throw new ConfigError("patch", `patch ${index} cannot apply`, [
      issueAt(
        source,
        patch.ast,
        patch.index,
        [],
        "",
        "patch_no_target",
        `patch ${index}: a JSON patch applies to the v1alpha1 machine config, and there is none`,
      ),
    ]);
  }
  try {
    const out = [...documents];
    out[target] = applyJsonPatch(documents[target], ops);
    return out;
  } catch (err) {
    if (!(err instanceof JsonPatchFailure)) throw err;
    const op = asRecord(ops[err.opIndex]);
    const opName = typeof op?.op === "string" ? op.op : "?";
    const pointer = err.field === "from" ? op?.from : op?.path;
    const tokens = typeof pointer === "string" ? parsePointer(pointer) : undefined;
    const fieldPath = tokens ? formatPath(pointerToPath(tokens)) : "";
    const label = typeof op?.path === "string" ? ` (${opName} ${op.path})` : "";
    const at: PathSegment[] =
      err.field && op && Object.hasOwn(op, err.field) ? [err.opIndex, err.field] : [err.opIndex];
    throw new ConfigError("patch", `patch ${index} cannot apply`, [
      issueAt(
        source,
        patch.ast,
        patch.index,
        at,
        fieldPath,
        err.code,
        `patch ${index}, op ${err.opIndex}${label}: ${err.message}`,
      ),
    ]);
  }
}

function applyStrategic(
  documents: unknown[],
  patch: ParsedDocument,
  source: Source,
  index: number,
): unknown[] {
  const fail = (at: PathSegment[], code: string, message: string): never => {
    throw new ConfigError("patch", `patch ${index} cannot apply`, [
      issueAt(
        source,
        patch.ast,
        patch.index,
        at,
        formatPath(at),
        code,
        `patch ${index}, document ${patch.index}: ${message}`,
      ),
    ]);
  };
  const record = asRecord(patch.value);
  if (!record)
    return fail(
      [],
      "patch_invalid",
      "a strategic merge patch document must be a map (or the whole patch a JSON patch list)",
    );
  const typed = "apiVersion" in record || "kind" in record;
  let kind = MACHINE_CONFIG_KIND;
  let name: string | undefined;
  if (typed) {
    if (typeof record.kind !== "string")
      return fail(["kind"], "patch_invalid", "a typed document patch needs a kind");
    kind = record.kind;
    if (documentKind(kind)?.named) {
      if (typeof record.name !== "string")
        return fail(
          ["name"],
          "patch_invalid",
          `a ${kind} patch needs the name of the document it patches or adds`,
        );
      name = record.name;
    }
  }
  const target = documents.findIndex((d) => {
    const id = documentIdentity(d);
    return id?.kind === kind && (name === undefined || id.name === name);
  });
  const out = [...documents];
  const rules = kind === MACHINE_CONFIG_KIND ? MACHINE_CONFIG_MERGE_RULES : NO_MERGE_RULES;
  try {
    if (target < 0) {
      const created = materialise(record);
      if (created === undefined)
        return fail(
          ["$patch"],
          "patch_no_target",
          `there is no ${name ? `${kind} named "${name}"` : kind} document to delete`,
        );
      if (kind === MACHINE_CONFIG_KIND) out.unshift(created);
      else out.push(created);
      return out;
    }
    const merged = strategicMerge(documents[target], record, rules);
    if (merged === undefined) {
      if (kind === MACHINE_CONFIG_KIND)
        return fail(["$patch"], "patch_invalid", "the machine config document cannot be deleted");
      out.splice(target, 1);
    } else {
      out[target] = merged;
    }
    return out;
  } catch (err) {
    if (err instanceof MergeFailure) return fail(err.path, "patch_invalid", err.message);
    throw err;
  }
}

function applyOne(documents: unknown[], text: string, index: number): unknown[] {
  const parsed = parseOrThrow(text, `patch ${index}`);
  const source: Source = { text, lines: new LineIndex(text) };
  const first = parsed[0];
  if (first && Array.isArray(first.value)) {
    if (parsed.length > 1) {
      throw new ConfigError("patch", `patch ${index} cannot apply`, [
        issueAt(
          source,
          parsed[1]?.ast,
          parsed[1]?.index ?? 0,
          [],
          "",
          "patch_invalid",
          `patch ${index}: a JSON patch must be a single document (a list of operations)`,
        ),
      ]);
    }
    return applyJson(documents, first, source, index);
  }
  let out = documents;
  for (const doc of parsed) {
    if (Array.isArray(doc.value)) {
      throw new ConfigError("patch", `patch ${index} cannot apply`, [
        issueAt(
          source,
          doc.ast,
          doc.index,
          [],
          "",
          "patch_invalid",
          `patch ${index}: a JSON patch (list) cannot be mixed with strategic merge documents`,
        ),
      ]);
    }
    out = applyStrategic(out, doc, source, index);
  }
  return out;
}

/**
 * Applies patches in order to a config stream and returns the patched YAML (all documents, stable
 * key order). A patch is an RFC 6902 JSON patch when it parses to a list (applied to the v1alpha1
 * document), otherwise one or more strategic merge documents (a document with apiVersion + kind
 * patches or adds that typed document). The result is validated in `options.mode` ("container" by
 * default). Throws ConfigError: "yaml" (syntax), "patch" (a patch that cannot apply), "invalid".
 */
export function applyPatches(base: string, patches: string[], options: { mode?: Mode } = {}): string {
  let documents: unknown[] = parseOrThrow(base, "base config").map((d) => d.value);
  patches.forEach((text, index) => {
    documents = applyOne(documents, text, index);
  });
  const output = stringifyDocuments(documents);
  const result = validateConfig(output, { mode: options.mode ?? "container" });
  if (!result.ok) {
    throw new ConfigError(
      "invalid",
      `the patched config is invalid (${result.errors.length} error(s); positions refer to the patched output):`,
      result.errors,
      output,
    );
  }
  return output;
}
