import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { decodeBase64 } from "./base64.ts";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/;
export const PRIVATE_KEY_BLOCKS = [
  "PRIVATE KEY",
  "EC PRIVATE KEY",
  "ED25519 PRIVATE KEY",
  "RSA PRIVATE KEY",
] as const;

interface PemBlock {
  type: string;
  pem: string;
}

type Decoded = { block: PemBlock } | { error: string };

/** Decodes a base64-encoded PEM value (Talos' `crt`/`key` encoding) and returns its first block. */
function decodePem(value: string, expected: string): Decoded {
  if (value === "") return { error: "must not be empty" };
  if (value.trimStart().startsWith("-----BEGIN")) {
    return { error: "looks like raw PEM; crt/key values are base64-encoded PEM (e.g. base64 -w0 ca.crt)" };
  }
  const bytes = decodeBase64(value.replace(/\s+/g, ""));
  if (!bytes) return { error: "is not valid base64 (crt/key values are base64-encoded PEM)" };
  const text = bytes.toString("latin1");
  const match = PEM_BLOCK.exec(text);
  if (!match) return { error: `does not decode to a PEM block (expected -----BEGIN ${expected}-----)` };
  const body = (match[2] as string).replace(/\s+/g, "");
  if (body === "" || !decodeBase64(body))
    return { error: `decodes to a ${match[1]} block with an invalid body` };
  return { block: { type: match[1] as string, pem: match[0] } };
}

const certCache = new Map<string, X509Certificate | string>();
const keyCache = new Map<string, KeyObject | string>();
const CACHE_LIMIT = 64;

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/** Parses a base64-encoded PEM certificate; returns the certificate or an error message. */
export function parseCertificate(value: string): X509Certificate | string {
  const cached = certCache.get(value);
  if (cached !== undefined) return cached;
  const decoded = decodePem(value, "CERTIFICATE");
  if ("error" in decoded) return remember(certCache, value, decoded.error);
  if (decoded.block.type !== "CERTIFICATE") {
    return remember(certCache, value, `decodes to a ${decoded.block.type} block, expected CERTIFICATE`);
  }
  try {
    return remember(certCache, value, new X509Certificate(decoded.block.pem));
  } catch (err) {
    return remember(certCache, value, `is not a parseable X.509 certificate (${(err as Error).message})`);
  }
}

/** Parses a base64-encoded PEM private key (PRIVATE KEY, EC PRIVATE KEY, ED25519 PRIVATE KEY, RSA PRIVATE KEY). */
export function parsePrivateKey(value: string): KeyObject | string {
  const cached = keyCache.get(value);
  if (cached !== undefined) return cached;
  const decoded = decodePem(value, "PRIVATE KEY");
  if ("error" in decoded) return remember(keyCache, value, decoded.error);
  const { type, pem } = decoded.block;
  if (!(PRIVATE_KEY_BLOCKS as readonly string[]).includes(type)) {
    return remember(
      keyCache,
      value,
      `decodes to a ${type} block, expected one of ${PRIVATE_KEY_BLOCKS.join(", ")}`,
    );
  }
  // Talos labels PKCS#8 Ed25519 keys "ED25519 PRIVATE KEY"; the DER inside is plain PKCS#8.
  const standard =
    type === "ED25519 PRIVATE KEY" ? pem.replaceAll("ED25519 PRIVATE KEY", "PRIVATE KEY") : pem;
  try {
    return remember(keyCache, value, createPrivateKey(standard));
  } catch (err) {
    return remember(keyCache, value, `is not a parseable ${type} (${(err as Error).message})`);
  }
}

export function validateCertificate(value: string): string | undefined {
  const cert = parseCertificate(value);
  return typeof cert === "string" ? cert : undefined;
}

export function validatePrivateKey(value: string): string | undefined {
  const key = parsePrivateKey(value);
  return typeof key === "string" ? key : undefined;
}

/** True when `key` is the private key of `cert`. */
export function keyMatchesCertificate(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** Forgets parsed certificates and keys (benchmarks measure single-shot cost with it). */
export function clearPemCache(): void {
  certCache.clear();
  keyCache.clear();
}
