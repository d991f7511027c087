import type { ConfigIssue } from "./types.ts";

/**
 * What a config may cost before it is parsed, and what its report may cost. Every limit sits far
 * above real configs and far below what hurts machined (PID 1), which validates configs sent by
 * unauthenticated callers in maintenance mode:
 *
 * - `maxBytes` 1 MiB. A real control-plane config is 6-8 KB (testdata/controlplane.yaml: 7.5 KB).
 *   The only large free-form field is `machine.files[].content` (Bronze has no inline manifests).
 *   Talos sets no size of its own for a machine config: its bound is the 32 MiB gRPC message limit
 *   (GRPCMaxMessageSize); in practice cloud user data bounds it lower (16 KB on AWS EC2). 1 MiB
 *   holds four copies of a full CA bundle (Debian's ca-certificates.crt is 215 KiB).
 * - `maxDocuments` 64. A config is one v1alpha1 document plus a few typed ones (4 in testdata).
 *   Each document costs the parser about 2 KB even when empty: 100k `---` lines took 204 MB.
 * - `maxLines` 20,000. A real config has about 200 lines; that CA bundle has 3,613.
 * - `maxNodes` 10,000 YAML nodes (scalars, flow collections, list entries), counted on the
 *   lexer's tokens before the parser builds any (see parse.ts). testdata/controlplane.yaml has 230;
 *   a CA bundle in a block scalar is one. It bounds what the line limit cannot: one line of
 *   `[{},{},…]` holds 300k maps in 1 MiB, which took the parser 4.4 s and 330 MB. Nodes are what
 *   parsing and checking cost: 10,000 empty `machine.files` entries (40,000 missing fields) are
 *   the worst case that passes this limit (figures: bench/limits.bench.ts).
 * - Reports: at most `maxIssues` issues of each severity, each message cut to `maxMessageBytes`,
 *   and at most `maxReportedBytes` of messages and paths in all, so that a list of errors fits in
 *   a gRPC status (`grpc-message` trailer; about 64 KB breaks the HTTP/2 session, and
 *   percent-encoding can triple non-ASCII text). What is left out is counted in a closing issue.
 */
export const CONFIG_LIMITS = {
  maxBytes: 1024 * 1024,
  maxDocuments: 64,
  maxLines: 20_000,
  maxNodes: 10_000,
  maxIssues: 100,
  maxMessageBytes: 1024,
  maxPathBytes: 256,
  maxReportedBytes: 8 * 1024,
} as const;

export type ConfigLimits = { readonly [K in keyof typeof CONFIG_LIMITS]: number };

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const PERCENT = 37;
const DASH = 45;
const DOT = 46;

/** `---` or `...` at column 0 followed by a blank or the end of the line. */
function isMarker(text: string, at: number, char: number): boolean {
  if (text.charCodeAt(at) !== char || text.charCodeAt(at + 1) !== char || text.charCodeAt(at + 2) !== char)
    return false;
  const next = text.charCodeAt(at + 3);
  return Number.isNaN(next) || next === SPACE || next === TAB || next === LF || next === CR;
}

/**
 * Counts lines (ended by LF or CRLF; `yaml` takes a lone CR for a character) and YAML documents as
 * the parser will see them: a document starts at a `---` line, or at the first content outside a
 * document; a `...` line ends one (and is an empty document of its own when none is open). One
 * pass, no allocation.
 */
export function countLinesAndDocuments(text: string): { lines: number; documents: number } {
  const { lines, documents } = scan(text, Number.POSITIVE_INFINITY);
  return { lines, documents };
}

/** The counts, and the 1-based line where the document count passed `documentLimit`. */
function scan(text: string, documentLimit: number) {
  let lines = 0;
  let documents = 0;
  let open = false;
  let documentLimitLine: number | undefined;
  let i = 0;
  const n = text.length;
  while (i < n) {
    lines++;
    const start = i;
    const first = text.charCodeAt(start);
    let counted = false;
    if (isMarker(text, start, DASH)) {
      documents++;
      open = true;
      counted = true;
    } else if (isMarker(text, start, DOT)) {
      if (!open) {
        documents++;
        counted = true;
      }
      open = false;
    } else if (!open && first !== PERCENT) {
      let j = start;
      while (j < n && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB)) j++;
      const c = text.charCodeAt(j);
      if (j < n && c !== LF && c !== CR && c !== HASH) {
        documents++;
        open = true;
        counted = true;
      }
    }
    if (counted && documents > documentLimit && documentLimitLine === undefined) documentLimitLine = lines;
    const end = text.indexOf("\n", start);
    i = end < 0 ? n : end + 1;
  }
  const result: { lines: number; documents: number; documentLimitLine?: number } = { lines, documents };
  if (documentLimitLine !== undefined) result.documentLimitLine = documentLimitLine;
  return result;
}

function refusal(code: string, message: string, line = 1): ConfigIssue {
  return { path: "", line, column: 1, message, severity: "error", code, document: 0 };
}

const grouped = (n: number) => n.toLocaleString("en-US");

/**
 * The limits a config text breaks, checked before it is parsed (one issue per limit, naming the
 * limit and the measured value; never quoting the text). Empty when the text may be parsed.
 */
export function checkConfigLimits(text: string, limits: ConfigLimits = CONFIG_LIMITS): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // A UTF-16 unit is at least one UTF-8 byte: past maxBytes units there is no need to encode.
  const bytes = text.length > limits.maxBytes ? text.length : Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxBytes) {
    issues.push(
      refusal(
        "config_too_large",
        `the config is ${text.length > limits.maxBytes ? "at least " : ""}${grouped(bytes)} bytes; the limit is ${grouped(limits.maxBytes)} bytes`,
      ),
    );
  }
  // Past the size limit the text is refused anyway: no need to read it all.
  if (issues.length > 0) return issues;
  const { lines, documents, documentLimitLine } = scan(text, limits.maxDocuments);
  if (lines > limits.maxLines) {
    issues.push(
      refusal(
        "too_many_lines",
        `the config has ${grouped(lines)} lines; the limit is ${grouped(limits.maxLines)}`,
        limits.maxLines + 1,
      ),
    );
  }
  if (documents > limits.maxDocuments) {
    issues.push(
      refusal(
        "too_many_documents",
        `the config has ${grouped(documents)} YAML documents; the limit is ${grouped(limits.maxDocuments)}`,
        documentLimitLine,
      ),
    );
  }
  return issues;
}
