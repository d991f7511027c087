import { type Document, isScalar, parseAllDocuments } from "yaml";
import { draft, type IssueDraft } from "./issue-draft.ts";

/** One non-empty YAML document of a stream, with its AST kept for positions. */
export interface ParsedDocument {
  /** 0-based index in the stream. */
  index: number;
  ast: Document;
  value: unknown;
}

export interface ParsedStream {
  documents: ParsedDocument[];
  /** YAML syntax errors (severity error) and YAML warnings (severity warning), with offsets. */
  issues: IssueDraft[];
  /** The ASTs of every document by stream index, for positions (including empty ones). */
  asts: Document[];
}

function firstLine(message: string): string {
  const i = message.indexOf(" at line ");
  return i >= 0 ? message.slice(0, i) : (message.split("\n")[0] ?? message);
}

function isEmpty(doc: Document): boolean {
  const contents = doc.contents;
  return contents === null || (isScalar(contents) && contents.value === null && !contents.tag);
}

/** Parses a multi-document YAML stream with `yaml`, keeping the ASTs; syntax errors become issues. */
export function parseStream(text: string): ParsedStream {
  const parsed = parseAllDocuments(text, { prettyErrors: false });
  const asts: Document[] = Array.isArray(parsed) ? parsed : [];
  const issues: IssueDraft[] = [];
  const documents: ParsedDocument[] = [];
  asts.forEach((ast, index) => {
    for (const error of ast.errors) {
      const code = error.code === "DUPLICATE_KEY" ? "duplicate_key" : "yaml_syntax";
      issues.push(
        draft(index, [], code, `${firstLine(error.message)} (${error.code})`, { offset: error.pos[0] }),
      );
    }
    for (const warning of ast.warnings) {
      issues.push(
        draft(index, [], "yaml_warning", `${firstLine(warning.message)} (${warning.code})`, {
          offset: warning.pos[0],
          severity: "warning",
        }),
      );
    }
    if (ast.errors.length > 0 || isEmpty(ast)) return;
    try {
      documents.push({ index, ast, value: ast.toJS({ maxAliasCount: 100 }) });
    } catch (err) {
      // e.g. excessive alias expansion ("billion laughs")
      issues.push(draft(index, [], "yaml_syntax", (err as Error).message, { offset: ast.range?.[0] ?? 0 }));
    }
  });
  return { documents, issues, asts };
}
