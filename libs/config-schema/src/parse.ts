import { Composer, type CST, type Document, isScalar, Lexer, Parser } from "yaml";
import { CONFIG_LIMITS, type ConfigLimits } from "./config-limits.ts";
import { addDuplicateKeyErrors } from "./duplicate-keys.ts";
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

// The lexer's control characters (they take no room in the source) and the lexemes that start a node.
const SCALAR = "\x1f";
const CONTROL = new Set(["\x02", "\x18", SCALAR]);
const NODE_START = new Set(["{", "[", "-", "?"]);
// Quoted scalars and aliases come without the SCALAR mark.
const QUOTED_OR_ALIAS = new Set(['"', "'", "*"]);

/**
 * The CST of `text`, or where it passed `maxNodes` nodes: the lexer's tokens are counted before the
 * parser sees them, so a hostile text costs at most `maxNodes` nodes of parser memory.
 */
function lexAndParse(text: string, maxNodes: number): CST.Token[] | { offset: number; nodes: number } {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  let nodes = 0;
  let offset = 0;
  let scalarSource = false;
  for (const lexeme of new Lexer().lex(text)) {
    if (scalarSource) scalarSource = false;
    else if (lexeme === SCALAR) {
      nodes++;
      scalarSource = true;
    } else if (NODE_START.has(lexeme) || QUOTED_OR_ALIAS.has(lexeme.charAt(0))) nodes++;
    if (nodes > maxNodes) return { offset, nodes };
    if (!CONTROL.has(lexeme)) offset += lexeme.length;
    for (const token of parser.next(lexeme)) tokens.push(token);
  }
  for (const token of parser.end()) tokens.push(token);
  return tokens;
}

/**
 * Parses a multi-document YAML stream with `yaml`, keeping the ASTs; syntax errors become issues.
 * A stream of more than `maxNodes` YAML nodes is refused while it is lexed (one issue, no document).
 */
export function parseStream(
  text: string,
  limits: Pick<ConfigLimits, "maxNodes"> = CONFIG_LIMITS,
): ParsedStream {
  const tokens = lexAndParse(text, limits.maxNodes);
  if (!Array.isArray(tokens)) {
    const message = `the config has more YAML nodes (values, keys, lists and maps) than the limit of ${limits.maxNodes.toLocaleString("en-US")}`;
    return {
      documents: [],
      issues: [draft(0, [], "too_many_nodes", message, { offset: tokens.offset })],
      asts: [],
    };
  }
  // Duplicate keys are found in linear time by addDuplicateKeyErrors, not by the composer.
  const asts: Document[] = Array.from(
    new Composer({ prettyErrors: false, uniqueKeys: false }).compose(tokens),
  );
  const issues: IssueDraft[] = [];
  const documents: ParsedDocument[] = [];
  asts.forEach((ast, index) => {
    addDuplicateKeyErrors(ast);
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
