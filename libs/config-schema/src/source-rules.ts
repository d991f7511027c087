import { type Document, isScalar } from "yaml";
import { draft, type IssueDraft } from "./issue-draft.ts";
import { asArray, at } from "./raw.ts";

const LEGACY_OCTAL = /^[-+]?0[0-7]+$/;

/**
 * Rules that need the YAML source, not just its value: file permissions written as `0644` are
 * decimal 644 in YAML 1.2 (Go's YAML 1.1 parser, which Talos uses, reads them as octal).
 */
export function sourceRules(config: unknown, ast: Document, document: number): IssueDraft[] {
  const out: IssueDraft[] = [];
  asArray(at(config, "machine", "files")).forEach((file, i) => {
    if (typeof at(file, "permissions") !== "number") return;
    const node = ast.getIn(["machine", "files", i, "permissions"], true);
    if (!isScalar(node) || typeof node.source !== "string" || !LEGACY_OCTAL.test(node.source)) return;
    const digits = node.source.replace(/^[-+]?0+/, "");
    out.push(
      draft(
        document,
        ["machine", "files", i, "permissions"],
        "ambiguous_octal",
        `${node.source} is the decimal number ${node.value} in YAML 1.2; write 0o${digits || "0"} for octal permissions`,
      ),
    );
  });
  return out;
}
