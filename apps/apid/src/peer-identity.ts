import { isRole, MAINTENANCE_ROLE, type Role } from "@bronze/api";
import { type CertificateFacts, readCertificateFacts } from "@bronze/pki";

/** What the audit log names a certificate by (its subject CN and serial number, lowercase hex). */
export interface PeerCertificateName {
  readonly commonName: string;
  readonly serialNumber: string;
}

/** Who a client certificate (already verified against the OS CA by the TLS handshake) says the caller is. */
export type PeerIdentity =
  | ({ readonly role: Role; readonly subject: string } & Partial<PeerCertificateName>)
  | ({ readonly problem: string; readonly subject: string } & Partial<PeerCertificateName>);

/**
 * The role of a client certificate: its one Organization that is a role. The certificate must carry the
 * clientAuth extended key usage. The chain and the validity dates are the TLS handshake's to check.
 */
export function identifyPeer(der: Uint8Array): PeerIdentity {
  // the lib's own DER reader: @peculiar/x509 took 75–195 ms to load on a node's first call
  let info: CertificateFacts;
  try {
    info = readCertificateFacts(der, "DER");
  } catch (error) {
    return { problem: `unreadable client certificate: ${(error as Error).message}`, subject: "" };
  }
  const subject = info.subject;
  const name = { commonName: info.commonName, serialNumber: info.serialNumber };
  if (!info.extendedKeyUsages.includes("clientAuth")) {
    return { problem: `client certificate "${subject}" lacks the clientAuth key usage`, subject, ...name };
  }
  if (info.organizations.includes(MAINTENANCE_ROLE)) {
    return {
      problem: `client certificate "${subject}": ${MAINTENANCE_ROLE} is never a client certificate's role`,
      subject,
      ...name,
    };
  }
  const roles = info.organizations.filter(isRole);
  const [role] = roles;
  if (role === undefined || roles.length !== 1) {
    const found = info.organizations.length === 0 ? "none" : info.organizations.join(", ");
    return {
      problem: `client certificate "${subject}" must name exactly one role as its Organization (found: ${found})`,
      subject,
      ...name,
    };
  }
  return { role, subject, ...name };
}

/** Identities of recently seen certificates, by SHA-256 fingerprint (a handshake per call is common). */
export class PeerIdentityCache {
  readonly #entries = new Map<string, PeerIdentity>();
  constructor(readonly capacity = 1024) {}

  identify(fingerprint: string, der: Uint8Array): PeerIdentity {
    const known = this.#entries.get(fingerprint);
    if (known !== undefined) return known;
    const identity = identifyPeer(der);
    if (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(fingerprint, identity);
    return identity;
  }

  get size(): number {
    return this.#entries.size;
  }
}
