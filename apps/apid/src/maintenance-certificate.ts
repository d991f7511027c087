import { generateCA, issueCertificate, readCertificateFacts } from "@bronze/pki";
import type { CertificateAndKeyPem } from "./pki-files.ts";

export interface MaintenanceCertificate extends CertificateAndKeyPem {
  /** SHA-256 of the certificate's DER, lowercase hex: what `osctl --cert-fingerprint` pins. */
  readonly fingerprint: string;
}

/**
 * A throwaway server certificate for maintenance mode: issued by a one-off CA whose key is dropped at
 * once, so nothing but the fingerprint can vouch for it (clients pin it).
 */
export async function createMaintenanceCertificate(hostname: string): Promise<MaintenanceCertificate> {
  const ca = await generateCA({ commonName: `bronze maintenance ${hostname}`, validityDays: 2 });
  const leaf = await issueCertificate({ ca, commonName: hostname, usage: "server", validityDays: 1 });
  return { ...leaf, fingerprint: readCertificateFacts(leaf.crt).fingerprintSha256 };
}
