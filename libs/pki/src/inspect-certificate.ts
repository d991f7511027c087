import { createHash } from "node:crypto";
import type * as X509 from "@peculiar/x509";
import { keyAlgorithmOf } from "./key-pair.ts";
import { parseCertificate } from "./parse-certificate.ts";
import { readSubjectAltNames } from "./subject-alt-names.ts";
import { loadX509 } from "./x509-loader.ts";
import { EXTENDED_KEY_USAGE, KEY_USAGE, OID } from "./x509-oids.ts";

export interface CertificateInfo {
  /** RFC 4514-style subject, e.g. `O=os:admin, CN=admin`. */
  subject: string;
  commonName: string;
  /** Subject O= values; for API client certificates, the role. */
  organizations: string[];
  issuer: string;
  /** Lowercase hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  /** e.g. `digitalSignature`, `keyCertSign`, `cRLSign`. */
  keyUsages: string[];
  /** `serverAuth`, `clientAuth`, ... (dotted OID when unnamed). */
  extendedKeyUsages: string[];
  dnsNames: string[];
  ipAddresses: string[];
  /** SHA-256 of the DER certificate, lowercase hex without colons. */
  fingerprintSha256: string;
  /** `ecdsa-p256`, `ed25519`, or the WebCrypto name of another algorithm (e.g. `RSASSA-PKCS1-v1_5`). */
  publicKeyAlgorithm: string;
}

const KEY_USAGE_NAMES = Object.entries(KEY_USAGE);

const EXTENDED_KEY_USAGE_NAMES = new Map<string, string>(
  Object.entries(EXTENDED_KEY_USAGE).map(([name, oid]) => [oid, name]),
);

export function keyUsageNames(flags: number): string[] {
  return KEY_USAGE_NAMES.filter(([, flag]) => flags & flag).map(([name]) => name);
}

/** SHA-256 fingerprint of DER bytes: lowercase hex, no colons. */
export function sha256Fingerprint(der: ArrayBuffer | Uint8Array): string {
  return createHash("sha256")
    .update(der instanceof Uint8Array ? der : new Uint8Array(der))
    .digest("hex");
}

/**
 * Reads the fields Bronze cares about from a PEM certificate (throws PkiError "invalid-pem"/"invalid-certificate").
 * Parsed with @peculiar/x509, loaded on first use.
 */
export function inspectCertificate(pem: string): CertificateInfo {
  const certificate = parseCertificate(pem);
  return describeCertificate(certificate);
}

export function describeCertificate(certificate: X509.X509Certificate): CertificateInfo {
  const x509 = loadX509();
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  const extendedKeyUsage = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  const sans = readSubjectAltNames(certificate.getExtension(OID.subjectAltName));
  const algorithm = certificate.publicKey.algorithm;
  return {
    subject: certificate.subject,
    commonName: certificate.subjectName.getField("CN")[0] ?? "",
    organizations: certificate.subjectName.getField("O"),
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber.toLowerCase(),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    isCA: certificate.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
    keyUsages: keyUsage ? keyUsageNames(keyUsage.usages) : [],
    extendedKeyUsages: (extendedKeyUsage?.usages ?? []).map((usage) => {
      const oid = String(usage);
      return EXTENDED_KEY_USAGE_NAMES.get(oid) ?? oid;
    }),
    dnsNames: sans.dnsNames,
    ipAddresses: sans.ipAddresses,
    fingerprintSha256: sha256Fingerprint(certificate.rawData),
    publicKeyAlgorithm: keyAlgorithmOf(algorithm) ?? algorithm.name,
  };
}
