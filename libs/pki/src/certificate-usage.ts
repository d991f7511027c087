import { x509 } from "./crypto-provider.ts";
import type { KeyAlgorithm } from "./key-pair.ts";
import { PkiError } from "./pki-error.ts";

export type CertificateUsage = "client" | "server" | "both";

const USAGES: readonly CertificateUsage[] = ["client", "server", "both"];

/** The extended key usages of a leaf certificate for this usage. */
export function extendedKeyUsages(usage: CertificateUsage): x509.ExtendedKeyUsage[] {
  if (!USAGES.includes(usage)) {
    throw new PkiError(
      "invalid-argument",
      `usage: ${JSON.stringify(usage)} is not one of ${USAGES.join(", ")}`,
    );
  }
  const usages: x509.ExtendedKeyUsage[] = [];
  if (usage !== "client") usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (usage !== "server") usages.push(x509.ExtendedKeyUsage.clientAuth);
  return usages;
}

/** Key usage of a leaf: digitalSignature, plus keyEncipherment for ECDSA keys (harmless, some old clients want it). */
export function leafKeyUsage(subjectKey: KeyAlgorithm | undefined): x509.KeyUsageFlags {
  return subjectKey === "ed25519"
    ? x509.KeyUsageFlags.digitalSignature
    : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
}
