import type { Document } from "yaml";
import { classifyDocuments } from "./classify-documents.ts";
import { crossFieldRules } from "./cross-field-rules.ts";
import { formatPath } from "./field-path.ts";
import { draft, type IssueDraft } from "./issue-draft.ts";
import { parseStream } from "./parse.ts";
import { LineIndex, locate } from "./positions.ts";
import { type MachineConfig, MachineConfigSchema } from "./schema/config.ts";
import { sourceRules } from "./source-rules.ts";
import type { ConfigIssue, Mode, ValidationResult } from "./types.ts";
import { configWarnings } from "./warnings.ts";
import { zodIssuesToDrafts } from "./zod-issues.ts";

/** Drops "required" issues duplicated by the schema and the type rules, or implied by a missing ancestor. */
function dedupe(drafts: IssueDraft[]): IssueDraft[] {
  const required = drafts
    .filter((d) => d.code === "required")
    .map((d) => ({ doc: d.document, path: formatPath(d.path) }));
  const seen = new Set<string>();
  return drafts.filter((d) => {
    const path = formatPath(d.path);
    const key = `${d.document}|${path}|${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (d.code !== "required") return true;
    const sameRequired = `${d.document}|${path}|required|`;
    for (const s of seen) if (s !== key && s.startsWith(sameRequired)) return false;
    return !required.some(
      (r) =>
        r.doc === d.document &&
        r.path !== path &&
        (path.startsWith(`${r.path}.`) || path.startsWith(`${r.path}[`)),
    );
  });
}

function resolve(drafts: IssueDraft[], text: string, asts: readonly Document[]): ConfigIssue[] {
  const lines = new LineIndex(text);
  const issues = drafts.map((d): ConfigIssue => {
    const ast = asts[d.document];
    const offset = d.offset ?? (ast ? locate(ast, d.path, d.anchor) : 0);
    const { line, column } = lines.position(offset);
    return {
      path: formatPath(d.path),
      line,
      column,
      message: d.message,
      severity: d.severity,
      code: d.code,
      document: d.document,
    };
  });
  return issues.sort(
    (a, b) =>
      a.document - b.document || a.line - b.line || a.column - b.column || a.path.localeCompare(b.path),
  );
}

/**
 * Validates a machine config stream: YAML syntax, the v1alpha1 schema, typed documents, cross-field
 * rules and warnings. Every issue carries its field path and line:column; all are reported at once.
 * With `strict`, warnings are errors.
 */
export function validateConfig(text: string, options: { mode: Mode; strict?: boolean }): ValidationResult {
  const stream = parseStream(text);
  let drafts: IssueDraft[] = stream.issues;
  const hasSyntaxErrors = drafts.some((d) => d.severity === "error");
  let documents: ValidationResult["documents"] = [];
  let config: MachineConfig | undefined;

  if (!hasSyntaxErrors) {
    const classified = classifyDocuments(stream.documents);
    documents = classified.documents;
    drafts = drafts.concat(classified.issues);
    const machine = classified.machine;
    if (!machine) {
      drafts.push(
        draft(
          0,
          [],
          "missing_machine_config",
          "no v1alpha1 machine config document (version: v1alpha1) found",
          { offset: 0 },
        ),
      );
    } else if (machine.value && (machine.value as { version?: unknown }).version !== "v1alpha1") {
      drafts.push(
        draft(
          machine.index,
          ["version"],
          "unsupported_version",
          `unsupported config version ${JSON.stringify((machine.value as { version?: unknown }).version)}; expected v1alpha1`,
        ),
      );
    } else {
      const ruleOptions = { mode: options.mode, document: machine.index };
      const parsed = MachineConfigSchema.safeParse(machine.value);
      if (parsed.success) config = parsed.data;
      else
        drafts = drafts.concat(
          zodIssuesToDrafts(parsed.error.issues, machine.value, MachineConfigSchema, machine.index),
        );
      drafts = drafts.concat(
        crossFieldRules(machine.value, ruleOptions),
        sourceRules(machine.value, machine.ast, machine.index),
        configWarnings(machine.value, ruleOptions),
      );
    }
  }

  if (drafts.length === 0) {
    const result: ValidationResult = { ok: true, documents, errors: [], warnings: [] };
    if (config) result.config = config;
    return result;
  }
  const issues = resolve(dedupe(drafts), text, stream.asts).map((issue) =>
    options.strict && issue.severity === "warning" ? { ...issue, severity: "error" as const } : issue,
  );
  const errors = issues.filter((i) => i.severity === "error");
  const warnings = issues.filter((i) => i.severity === "warning");
  const ok = errors.length === 0;
  const result: ValidationResult = { ok, documents, errors, warnings };
  if (ok && config) result.config = config;
  return result;
}
