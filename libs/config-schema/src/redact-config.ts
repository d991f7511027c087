import { type Document, isAlias, isMap, isScalar, isSeq, type Node, type Scalar, visit } from "yaml";
import { ConfigError } from "./config-error.ts";
import { checkConfigLimits } from "./config-limits.ts";
import { maskUrls } from "./mask-url.ts";
import { parseStream } from "./parse.ts";
import { type Exposure, REDACTION_RULES, SECRET_FLAG, UNKNOWN_KIND_RULES } from "./redaction-rules.ts";

export const REDACTED = "******";

/** Aliases followed while redacting; past this the config is refused rather than half redacted. */
const MAX_ALIASES = 1000;

/** The rules as a tree: one level per path segment, `[]` for list items and `*` for any key. */
interface RuleNode {
  exposure?: Exposure;
  children: Map<string, RuleNode>;
}

function ruleTree(rules: Readonly<Record<string, Exposure>>): RuleNode {
  const root: RuleNode = { children: new Map() };
  for (const [path, exposure] of Object.entries(rules)) {
    let node = root;
    for (const segment of path.replaceAll("[]", ".[]").split(".")) {
      let child = node.children.get(segment);
      if (!child) {
        child = { children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.exposure = exposure;
  }
  return root;
}

const TREES = new Map(Object.entries(REDACTION_RULES).map(([kind, rules]) => [kind, ruleTree(rules)]));
const UNKNOWN_KIND_TREE = ruleTree(UNKNOWN_KIND_RULES);

function scalarValue(map: unknown, key: string): unknown {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return isScalar(pair?.value) ? pair.value.value : undefined;
}

/** The rules of a document, by what it says it is (as classify-documents.ts tells them apart). */
function treeFor(doc: Document): RuleNode {
  const contents = doc.contents;
  if (scalarValue(contents, "version") !== undefined && scalarValue(contents, "apiVersion") === undefined)
    return TREES.get("v1alpha1") as RuleNode;
  const kind = scalarValue(contents, "kind");
  return (typeof kind === "string" && TREES.get(kind)) || UNKNOWN_KIND_TREE;
}

function hide(scalar: Scalar): void {
  if (scalar.value === null || scalar.value === "") return; // nothing to hide
  scalar.value = REDACTED;
  scalar.type = "QUOTE_DOUBLE"; // a plain * would start an alias
  delete scalar.tag;
}

function show(scalar: Scalar, exposure: Exposure, key: string | undefined): void {
  const value = scalar.value;
  if (typeof value !== "string") return; // numbers and booleans hold no secret
  if (exposure === "flag" && key !== undefined && SECRET_FLAG.test(key)) {
    hide(scalar);
  } else if (exposure === "name-only") {
    const eq = value.indexOf("=");
    if (eq < 0) hide(scalar);
    else if (eq < value.length - 1) scalar.value = `${value.slice(0, eq + 1)}${REDACTED}`;
  } else if (maskUrls(value) !== value) {
    scalar.value = maskUrls(value);
    scalar.type = "QUOTE_DOUBLE";
  }
}

/** Redacts one document in place: every scalar whose path the rules do not show. */
function redactDocument(doc: Document, budget: { aliases: number }): void {
  const stack: { node: unknown; rule: RuleNode | undefined; key: string | undefined }[] = [
    { node: doc.contents, rule: treeFor(doc), key: undefined },
  ];
  while (stack.length > 0) {
    const { node, rule, key } = stack.pop() as (typeof stack)[number];
    if (isAlias(node)) {
      // The anchor's value is printed where it is defined: redact it there as this path requires.
      if (++budget.aliases > MAX_ALIASES) {
        throw new ConfigError(
          "yaml",
          `the config has more than ${MAX_ALIASES} aliases: it is not redacted`,
          [],
        );
      }
      stack.push({ node: node.resolve(doc), rule, key });
    } else if (isScalar(node)) {
      if (rule?.exposure === undefined) hide(node);
      else show(node, rule.exposure, key);
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const child = name === undefined ? undefined : (rule?.children.get(name) ?? rule?.children.get("*"));
        // Keys are structure and stay; a key that is not a plain name is redacted like a value.
        if (!isScalar(pair.key)) stack.push({ node: pair.key, rule: undefined, key: undefined });
        stack.push({ node: pair.value, rule: child, key: name });
      }
    } else if (isSeq(node)) {
      const child = rule?.children.get("[]");
      for (const item of node.items) stack.push({ node: item, rule: child, key });
    }
  }
}

/** Drops every comment; a comment above a node leaves a blank line, so lines roughly stay put. */
function dropComments(doc: Document): void {
  if (doc.commentBefore) doc.commentBefore = null;
  if (doc.comment) doc.comment = null;
  visit(doc, {
    Node(_, node: Node) {
      if (node.commentBefore) {
        node.commentBefore = null;
        node.spaceBefore = true;
      }
      if (node.comment) node.comment = null;
    },
  });
}

/**
 * The config as a non-admin may read it: every value the schema does not list as readable
 * (redaction-rules.ts) replaced by "******" (keys, structure and the readable values stay), the
 * userinfo, query and fragment of URLs masked, and comments dropped. A text that does not parse,
 * or passes the config limits, is refused (ConfigError), never returned unredacted.
 */
export function redactConfig(text: string): string {
  const refused = checkConfigLimits(text);
  if (refused.length > 0) {
    throw new ConfigError("yaml", "the config is past the config limits: it is not redacted", refused);
  }
  const stream = parseStream(text);
  if (stream.issues.some((issue) => issue.severity === "error")) {
    // The parser's messages may quote the text: none of them goes out.
    throw new ConfigError("yaml", "the config does not parse as YAML: it is not redacted", []);
  }
  const budget = { aliases: 0 };
  return stream.asts
    .map((doc) => {
      redactDocument(doc, budget);
      dropComments(doc);
      return doc.toString({ lineWidth: 0 });
    })
    .join("");
}
