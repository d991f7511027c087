import { isScalar, parseAllDocuments, visit } from "yaml";

export const REDACTED = "******";

/**
 * Keys whose scalar values are secrets: CA and service-account keys, tokens, cluster secrets, and
 * anything named like one (`password`, `*Secret`, `*_KEY`...), in every document of the stream.
 */
const SECRET_KEY = /^(key|token|secret|password|passphrase)$|(secret|token|key|password)$/i;

export class RedactError extends Error {
  override readonly name = "RedactError";
  readonly code = "Unparsable";
}

/**
 * The config with every secret value replaced by "******", comments and layout kept. A config
 * that does not parse cannot be redacted safely: RedactError.
 */
export function redactConfig(text: string): string {
  const documents = parseAllDocuments(text, { keepSourceTokens: false });
  if (!Array.isArray(documents)) return text; // empty stream
  const out: string[] = [];
  for (const doc of documents) {
    if (doc.errors.length > 0) {
      throw new RedactError(`the stored config does not parse as YAML: ${doc.errors[0]?.message ?? ""}`);
    }
    visit(doc, {
      Pair(_, pair) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined || !SECRET_KEY.test(key)) return;
        if (isScalar(pair.value) && pair.value.value !== null && String(pair.value.value) !== "") {
          pair.value.value = REDACTED;
          pair.value.type = "QUOTE_DOUBLE"; // a plain * would start an alias
        }
      },
    });
    out.push(doc.toString({ lineWidth: 0 }));
  }
  // Each document keeps its own "---" marker.
  return out.join("");
}
