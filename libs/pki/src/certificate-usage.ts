import type { KeyAlgorithm } from "./key-pair.ts";
import { PkiError } from "./pki-error.ts";
import { EXTENDED_KEY_USAGE, type ExtendedKeyUsageOid, KEY_USAGE } from "./x509-oids.ts";

export type CertificateUsage = "client" | "server" | "both";

const USAGES: readonly CertificateUsage[] = ["client", "server", "both"];

/** The extended key usage OIDs of a leaf certificate for this usage (serverAuth before clientAuth). */
export function extendedKeyUsages(usage: CertificateUsage): ExtendedKeyUsageOid[] {
  if (!USAGES.includes(usage)) {
    throw new PkiError(
      "invalid-argument",
      `usage: ${JSON.stringify(usage)} is not one of ${USAGES.join(", ")}`,
    );
  }
  const usages: ExtendedKeyUsageOid[] = [];
  if (usage !== "client") usages.push(EXTENDED_KEY_USAGE.serverAuth);
  if (usage !== "server") usages.push(EXTENDED_KEY_USAGE.clientAuth);
  return usages;
}

/** Key usage of a leaf: digitalSignature, plus keyEncipherment for ECDSA keys (harmless, some old clients want it). */
export function leafKeyUsage(subjectKey: KeyAlgorithm | undefined): number {
  return subjectKey === "ed25519"
    ? KEY_USAGE.digitalSignature
    : KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment;
}
