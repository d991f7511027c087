import type * as X509 from "@peculiar/x509";
import { type CertificateAndKey, loadCertificateAuthority } from "./certificate-authority.ts";
import { type CertificateUsage, extendedKeyUsages } from "./certificate-usage.ts";
import { DEFAULT_LEAF_VALIDITY_DAYS } from "./issue-certificate.ts";
import { signLeafCertificate } from "./leaf-certificate.ts";
import { decodeSinglePem, encodePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";
import {
  normalizeDnsName,
  normalizeIpAddress,
  normalizeSan,
  readSubjectAltNames,
  type SubjectAltNames,
} from "./subject-alt-names.ts";
import { validityWindow } from "./validity-window.ts";
import { loadX509 } from "./x509-loader.ts";
import { OID } from "./x509-oids.ts";

export interface SignCSROptions {
  ca: CertificateAndKey;
  csrPem: string;
  /** The usage of the issued certificate, whatever the CSR asks for (trustd passes "server"). */
  usage: CertificateUsage;
  /** Default 365. */
  validityDays?: number;
  /** Drop the requested O= values (so a CSR cannot ask for a role). */
  stripOrganizations?: boolean;
  /**
   * The subject's CN, whatever the request says: its subject is then ignored entirely (no O= either,
   * and a request without a CN is fine). trustd sets it so that no request chooses a name a client
   * could match.
   */
  commonName?: string;
  /** When set, every requested DNS/IP SAN must be in this list, else "san-not-allowed". */
  allowedSans?: string[];
  /**
   * Names the certificate carries whether the request asks for them or not (trustd: the caller's
   * address), so it always has a subjectAltName extension.
   */
  requiredSans?: readonly string[];
  now?: Date;
  /** How far notBefore is set before `now` (default 60 s). */
  backdateSeconds?: number;
}

function invalidCsr(message: string, cause?: unknown): PkiError {
  return new PkiError("invalid-csr", `csrPem: ${message}`, { cause });
}

function parseCsr(csrPem: string): X509.Pkcs10CertificateRequest {
  let der: Uint8Array;
  try {
    der = decodeSinglePem(csrPem, ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"], "csrPem").der;
  } catch (error) {
    throw new PkiError("invalid-csr", (error as Error).message, { cause: error });
  }
  try {
    return new (loadX509().Pkcs10CertificateRequest)(der);
  } catch (error) {
    throw invalidCsr(`not a valid PKCS#10 request (${(error as Error).message})`, error);
  }
}

function requestedSans(csr: X509.Pkcs10CertificateRequest): SubjectAltNames {
  const sans = readSubjectAltNames(csr.getExtension(OID.subjectAltName));
  if (sans.others.length > 0) {
    throw invalidCsr(`unsupported subject alternative names (only DNS and IP): ${sans.others.join(", ")}`);
  }
  try {
    return {
      dnsNames: [...new Set(sans.dnsNames.map((name) => normalizeDnsName(name, "CSR DNS SAN")))],
      ipAddresses: [...new Set(sans.ipAddresses.map((ip) => normalizeIpAddress(ip, "CSR IP SAN")))],
    };
  } catch (error) {
    throw invalidCsr((error as Error).message, error);
  }
}

function assertSansAllowed(sans: SubjectAltNames, allowedSans: readonly string[]): void {
  if (!Array.isArray(allowedSans))
    throw new PkiError("invalid-argument", "allowedSans: must be an array of strings");
  const allowed = new Set(allowedSans.map((san, i) => normalizeSan(san, `allowedSans[${i}]`).value));
  const refused = [...sans.dnsNames, ...sans.ipAddresses].filter((san) => !allowed.has(san));
  if (refused.length > 0) {
    const list = refused.map((san) => `"${san}"`).join(", ");
    throw new PkiError(
      "san-not-allowed",
      `CSR requests subject alternative name${refused.length > 1 ? "s" : ""} ${list} not in the allowed list`,
    );
  }
}

function requestedCommonName(csr: X509.Pkcs10CertificateRequest): string {
  const commonNames = csr.subjectName.getField("CN");
  const commonName = commonNames[0];
  if (commonNames.length !== 1 || commonName === undefined || commonName.trim() === "") {
    throw invalidCsr(`subject must have exactly one non-empty CN (subject is "${csr.subject}")`);
  }
  return commonName;
}

/** The required names first, then the requested ones, without duplicates. */
function withRequiredSans(sans: SubjectAltNames, required: readonly string[]): SubjectAltNames {
  if (!Array.isArray(required))
    throw new PkiError("invalid-argument", "requiredSans: must be an array of strings");
  const names = required.map((san, i) => normalizeSan(san, `requiredSans[${i}]`));
  const of = (kind: "ip" | "dns") => names.filter((n) => n.kind === kind).map((n) => n.value);
  return {
    dnsNames: [...new Set([...of("dns"), ...sans.dnsNames])],
    ipAddresses: [...new Set([...of("ip"), ...sans.ipAddresses])],
  };
}

/**
 * Verifies a CSR and signs it with `ca`. Only the subject CN and O (unless stripped or `commonName` is
 * given) and the DNS/IP SANs are taken from the request (`requiredSans` are added); usage, validity and every other extension are decided here. The request is parsed and
 * its signature checked with @peculiar/x509 (loaded on first use); the certificate is certificate-encoder.ts's.
 */
export async function signCSR(options: SignCSROptions): Promise<string> {
  extendedKeyUsages(options.usage);
  const window = validityWindow({
    now: options.now,
    validityDays: options.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS,
    backdateSeconds: options.backdateSeconds,
  });
  const csr = parseCsr(options.csrPem);
  let signatureValid: boolean;
  try {
    signatureValid = await csr.verify();
  } catch (error) {
    throw invalidCsr(`cannot verify the signature (${(error as Error).message})`, error);
  }
  if (!signatureValid) throw invalidCsr("signature does not verify against the request's public key");

  const commonName = options.commonName ?? requestedCommonName(csr);
  if (commonName.trim() === "") throw new PkiError("invalid-argument", "commonName: empty");
  const organizations =
    options.stripOrganizations || options.commonName !== undefined ? [] : csr.subjectName.getField("O");
  const requested = requestedSans(csr);
  if (options.allowedSans !== undefined) assertSansAllowed(requested, options.allowedSans);
  const sans = withRequiredSans(requested, options.requiredSans ?? []);

  const ca = await loadCertificateAuthority(options.ca);
  const certificate = await signLeafCertificate({
    ca,
    subjectPublicKeyInfo: new Uint8Array(csr.publicKey.rawData),
    commonName,
    organizations,
    usage: options.usage,
    sans,
    window,
  });
  return encodePem("CERTIFICATE", certificate);
}
