// The role vocabulary is @bronze/api's (roles.ts); @bronze/api imports nothing of @bronze/pki.
import { isRole, ROLES } from "@bronze/api";
import type { CertificateAndKey } from "./certificate-authority.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { PkiError } from "./pki-error.ts";

export interface ClientCertificateOptions {
  /** One of @bronze/api's ROLES (never its maintenance marker); becomes the certificate's O=. */
  role: string;
  /** Default: the role without its `os:` prefix (`admin` for `os:admin`). */
  commonName?: string;
  /** Default 365. */
  validityDays?: number;
  now?: Date;
}

/** An API client certificate (clientAuth only, O=role) and its new ECDSA P-256 key, signed by the OS CA. */
export async function issueClientCertificate(
  ca: CertificateAndKey,
  options: ClientCertificateOptions,
): Promise<CertificateAndKey> {
  if (!isRole(options.role)) {
    throw new PkiError(
      "invalid-argument",
      `role: ${JSON.stringify(options.role)} is not a role; expected one of ${ROLES.join(", ")}`,
    );
  }
  return issueCertificate({
    ca,
    commonName: options.commonName ?? options.role.replace(/^os:/, ""),
    organizations: [options.role],
    usage: "client",
    validityDays: options.validityDays ?? 365,
    now: options.now,
  });
}
