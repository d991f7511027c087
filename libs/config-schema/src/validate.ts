import type { Document } from "yaml";
import { capIssues } from "./cap-issues.ts";
import { classifyDocuments } from "./classify-documents.ts";
import { checkConfigLimits } from "./config-limits.ts";
import { crossFieldRules } from "./cross-field-rules.ts";
import { dedupeDrafts } from "./dedupe-drafts.ts";
import { formatPath } from "./field-path.ts";
import { draft, type IssueDraft } from "./issue-draft.ts";
import { parseStream } from "./parse.ts";
import { LineIndex, locate } from "./positions.ts";
import { type MachineConfig, MachineConfigSchema } from "./schema/config.ts";
import { sourceRules } from "./source-rules.ts";
import type { ConfigIssue, Mode, ValidationResult } from "./types.ts";
import { configWarnings } from "./warnings.ts";
import { zodIssuesToDrafts } from "./zod-issues.ts";

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
 * rules and warnings. Every issue carries its field path and line:column; all are reported at once,
 * up to the report limits of CONFIG_LIMITS. With `strict`, warnings are errors. A text past the size,
 * line or document limits is refused before it is parsed.
 */
export function validateConfig(text: string, options: { mode: Mode; strict?: boolean }): ValidationResult {
  const refused = checkConfigLimits(text);
  if (refused.length > 0)
    return { ok: false, documents: [], errors: refused, warnings: [], errorCount: refused.length };
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
    const result: ValidationResult = { ok: true, documents, errors: [], warnings: [], errorCount: 0 };
    if (config) result.config = config;
    return result;
  }
  const issues = resolve(dedupeDrafts(drafts), text, stream.asts).map((issue) =>
    options.strict && issue.severity === "warning" ? { ...issue, severity: "error" as const } : issue,
  );
  const found = issues.filter((i) => i.severity === "error");
  const { errors, warnings } = capIssues(
    found,
    issues.filter((i) => i.severity === "warning"),
  );
  const ok = errors.length === 0;
  const result: ValidationResult = { ok, documents, errors, warnings, errorCount: found.length };
  if (ok && config) result.config = config;
  return result;
}
