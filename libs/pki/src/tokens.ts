import { PkiError } from "./pki-error.ts";

const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
// Largest multiple of 36 below 256: bytes at or above it are rejected so every character is equally likely.
const UNBIASED_LIMIT = 256 - (256 % TOKEN_ALPHABET.length);

/** Kubernetes bootstrap token format, also used for the trustd machine token: `[a-z0-9]{6}.[a-z0-9]{16}`. */
export const BOOTSTRAP_TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

function randomString(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < UNBIASED_LIMIT && out.length < length) out += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
    }
  }
  return out;
}

/** A new token `[a-z0-9]{6}.[a-z0-9]{16}` (Kubernetes bootstrap token, trustd machine token). */
export function generateBootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

export function isBootstrapToken(token: unknown): token is string {
  return typeof token === "string" && BOOTSTRAP_TOKEN_PATTERN.test(token);
}

/** `bytes` random bytes (default 32), standard base64. */
export function generateRandomSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 65536) {
    throw new PkiError("invalid-argument", `bytes: must be an integer from 1 to 65536, got ${bytes}`);
  }
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64");
}
