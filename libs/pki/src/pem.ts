import { PkiError } from "./pki-error.ts";

export interface PemBlock {
  label: string;
  der: Uint8Array<ArrayBuffer>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

export function isBase64(text: string): boolean {
  return text.length > 0 && BASE64.test(text);
}

/** DER bytes to PEM text with 64-column lines and a trailing newline. */
export function encodePem(label: string, der: Uint8Array | ArrayBuffer): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Every PEM block in `text`, in order. Text outside blocks is ignored, as openssl does. */
export function decodePemBlocks(text: string, what = "PEM data"): PemBlock[] {
  if (typeof text !== "string") throw new PkiError("invalid-pem", `${what}: expected a PEM string`);
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [, label = "", body = "", endLabel = ""] = match;
    if (label !== endLabel) {
      throw new PkiError("invalid-pem", `${what}: PEM block "BEGIN ${label}" ends with "END ${endLabel}"`);
    }
    const b64 = body.replace(/\s+/g, "");
    if (!isBase64(b64))
      throw new PkiError("invalid-pem", `${what}: PEM block "${label}" is not valid base64`);
    blocks.push({ label, der: new Uint8Array(Buffer.from(b64, "base64")) });
  }
  if (blocks.length === 0) throw new PkiError("invalid-pem", `${what}: no PEM block found`);
  return blocks;
}

/** Exactly one PEM block whose label is one of `labels`. */
export function decodeSinglePem(text: string, labels: readonly string[], what: string): PemBlock {
  const blocks = decodePemBlocks(text, what);
  if (blocks.length !== 1) {
    throw new PkiError("invalid-pem", `${what}: expected one PEM block, found ${blocks.length}`);
  }
  const block = blocks[0] as PemBlock;
  if (!labels.includes(block.label)) {
    throw new PkiError(
      "invalid-pem",
      `${what}: PEM block is "${block.label}", expected ${labels.map((l) => `"${l}"`).join(" or ")}`,
    );
  }
  return block;
}

/** Base64 of the PEM text, as Talos stores PEMs in secrets.yaml and talosconfig. */
export function encodePemBase64(pem: string): string {
  return Buffer.from(pem, "utf8").toString("base64");
}

/** Inverse of encodePemBase64; rejects anything that is not base64 of PEM text. */
export function decodePemBase64(b64: string): string {
  if (typeof b64 !== "string") throw new PkiError("invalid-pem", "expected a base64 string");
  const compact = b64.replace(/\s+/g, "");
  if (!isBase64(compact)) throw new PkiError("invalid-pem", "not base64 (expected base64 of a PEM document)");
  const pem = Buffer.from(compact, "base64").toString("utf8");
  if (!pem.includes("-----BEGIN "))
    throw new PkiError("invalid-pem", "base64 does not decode to a PEM document");
  return pem;
}
