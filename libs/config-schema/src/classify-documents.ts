import { draft, type IssueDraft } from "./issue-draft.ts";
import type { ParsedDocument } from "./parse.ts";
import { asRecord } from "./raw.ts";
import { DOCUMENT_KINDS, documentKind } from "./schema/documents.ts";
import type { ConfigDocument } from "./types.ts";
import { zodIssuesToDrafts } from "./zod-issues.ts";

export const MACHINE_CONFIG_KIND = "v1alpha1";

export interface Classified {
  documents: ConfigDocument[];
  /** The v1alpha1 document, when exactly one was found (the first one otherwise). */
  machine?: ParsedDocument;
  issues: IssueDraft[];
}

/** The identity of a document for targeting and duplicate detection: kind plus name for named kinds. */
export function documentIdentity(value: unknown): { kind: string; name?: string } | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  if ("version" in record && !("apiVersion" in record)) return { kind: MACHINE_CONFIG_KIND };
  if (typeof record.kind !== "string") return undefined;
  const id: { kind: string; name?: string } = { kind: record.kind };
  if (typeof record.name === "string") id.name = record.name;
  return id;
}

/**
 * Sorts the documents of a stream into the v1alpha1 machine config (identified by `version`) and
 * typed documents (`apiVersion: v1alpha1` + `kind`), validating the typed ones against their kind.
 */
export function classifyDocuments(parsed: readonly ParsedDocument[]): Classified {
  const issues: IssueDraft[] = [];
  const documents: ConfigDocument[] = [];
  const seen = new Map<string, number>();
  let machine: ParsedDocument | undefined;
  const known = DOCUMENT_KINDS.map((k) => k.kind).join(", ");

  for (const doc of parsed) {
    const { index, value } = doc;
    const record = asRecord(value);
    if (!record) {
      issues.push(draft(index, [], "invalid_document", `document index ${index} must be a map of fields`));
      continue;
    }
    if ("version" in record && !("apiVersion" in record)) {
      documents.push({ index, kind: MACHINE_CONFIG_KIND, value });
      if (machine) {
        issues.push(
          draft(
            index,
            ["version"],
            "duplicate_document",
            `a second v1alpha1 machine config (document index ${index}); the first is document index ${machine.index}`,
            { anchor: "key" },
          ),
        );
        continue;
      }
      machine = doc;
      continue;
    }
    if (!("kind" in record) && !("apiVersion" in record)) {
      issues.push(
        draft(
          index,
          [],
          "unknown_document",
          `document index ${index} is neither the machine config (version: v1alpha1) nor a typed document (apiVersion: v1alpha1 + kind)`,
        ),
      );
      continue;
    }
    if (typeof record.kind !== "string") {
      const code = "kind" in record ? "invalid_type" : "required";
      issues.push(
        draft(index, ["kind"], code, `document index ${index} needs a kind (one of ${known})`, {
          anchor: code === "required" ? "parent" : "value",
        }),
      );
      continue;
    }
    const kind = documentKind(record.kind);
    const name = typeof record.name === "string" ? record.name : undefined;
    documents.push(
      name === undefined ? { index, kind: record.kind, value } : { index, kind: record.kind, name, value },
    );
    if (!kind) {
      issues.push(
        draft(
          index,
          ["kind"],
          "unknown_kind",
          `unknown document kind "${record.kind}" in document index ${index}; known kinds: ${known}`,
        ),
      );
      continue;
    }
    const result = kind.schema.safeParse(value);
    if (!result.success) {
      issues.push(...zodIssuesToDrafts(result.error.issues, value, kind.schema, index));
    } else if (kind.rules) {
      for (const rule of kind.rules(record)) issues.push(draft(index, rule.path, rule.code, rule.message));
    }
    if (kind.named && name === undefined) continue; // the schema reports the missing name
    const identity = kind.named ? `${kind.kind}/${name}` : kind.kind;
    const first = seen.get(identity);
    if (first !== undefined) {
      const what = kind.named ? `${kind.kind} named "${name}"` : `${kind.kind} (at most one allowed)`;
      issues.push(
        draft(
          index,
          kind.named ? ["name"] : ["kind"],
          "duplicate_document",
          `duplicate ${what} in document index ${index}; first defined in document index ${first}`,
        ),
      );
    } else {
      seen.set(identity, index);
    }
  }
  const result: Classified = { documents, issues };
  if (machine) result.machine = machine;
  return result;
}
