import { encodeCertificate } from "./certificate-encoder.ts";
import { findExtension, readCertificate } from "./certificate-reader.ts";
import { bytesEqual, DerError } from "./der.ts";
import { distinguishedName } from "./distinguished-name.ts";
import {
  exportPrivateKeyPem,
  generateCryptoKeyPair,
  type KeyAlgorithm,
  type LoadedPrivateKey,
  loadPrivateKey,
} from "./key-pair.ts";
import { decodeSinglePem, encodePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";
import { keyIdentifier } from "./public-key-info.ts";
import { randomSerialNumber } from "./serial-number.ts";
import { validityWindow } from "./validity-window.ts";
import {
  basicConstraintsExtension,
  keyUsageExtension,
  readBasicConstraints,
  readKeyUsage,
  readSubjectKeyIdentifier,
  subjectKeyIdentifierExtension,
} from "./x509-extensions.ts";
import { encodeName, formatName } from "./x509-name.ts";
import { KEY_USAGE, OID } from "./x509-oids.ts";

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  crt: string;
  key: string;
}

export const DEFAULT_CA_VALIDITY_DAYS = 3650;

export interface GenerateCAOptions {
  commonName: string;
  organization?: string;
  algorithm?: KeyAlgorithm;
  /** Default 3650 (10 years). */
  validityDays?: number;
  now?: Date;
  /** How far notBefore is set before `now` (default 60 s). */
  backdateSeconds?: number;
}

const CA_KEY_USAGE = KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign | KEY_USAGE.digitalSignature;

/** A self-signed CA: basicConstraints CA:true (critical), keyUsage keyCertSign+cRLSign+digitalSignature, SKI. */
export async function generateCA(options: GenerateCAOptions): Promise<CertificateAndKey> {
  const algorithm = options.algorithm ?? "ecdsa-p256";
  const name = encodeName(
    distinguishedName(options.commonName, options.organization ? [options.organization] : []),
  );
  const window = validityWindow({
    now: options.now,
    validityDays: options.validityDays ?? DEFAULT_CA_VALIDITY_DAYS,
    backdateSeconds: options.backdateSeconds,
  });
  const keys = await generateCryptoKeyPair(algorithm);
  const [spki, key] = await Promise.all([
    crypto.subtle.exportKey("spki", keys.publicKey),
    exportPrivateKeyPem(keys.privateKey),
  ]);
  const subjectPublicKeyInfo = new Uint8Array(spki);
  const certificate = await encodeCertificate(
    {
      serialNumber: randomSerialNumber(),
      issuer: name,
      subject: name,
      ...window,
      subjectPublicKeyInfo,
      extensions: [
        basicConstraintsExtension(true),
        keyUsageExtension(CA_KEY_USAGE),
        subjectKeyIdentifierExtension(await keyIdentifier(subjectPublicKeyInfo)),
      ],
    },
    { privateKey: keys.privateKey, algorithm },
  );
  return { crt: encodePem("CERTIFICATE", certificate), key };
}

/** What the CA checks need to know of a certificate (ours, or an @peculiar/x509 one in verify-certificate.ts). */
export interface CaFacts {
  /** Text form, e.g. `CN=bronze`. */
  subject: string;
  /** basicConstraints cA. */
  isCA: boolean;
  /** KEY_USAGE flags, or undefined when the certificate has no keyUsage extension. */
  keyUsage: number | undefined;
}

/** A certificate read for issuing: the CA facts, its DER subject and public key, its key identifier. */
export interface CaCertificate extends CaFacts {
  /** DER Name: the issuer of every certificate this CA signs, byte for byte. */
  subjectName: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  subjectPublicKeyInfo: Uint8Array;
  /** The subjectKeyIdentifier, when the certificate has one. */
  subjectKeyIdentifier: Uint8Array | undefined;
}

/** Reads exactly one PEM "CERTIFICATE" for its CA facts (no x509). Throws "invalid-pem"/"invalid-certificate". */
export function readCaCertificate(pem: string, what = "certificate"): CaCertificate {
  const { der } = decodeSinglePem(pem, ["CERTIFICATE"], what);
  try {
    const certificate = readCertificate(der);
    const basicConstraints = findExtension(certificate, OID.basicConstraints);
    const keyUsage = findExtension(certificate, OID.keyUsage);
    const ski = findExtension(certificate, OID.subjectKeyIdentifier);
    return {
      subject: formatName(certificate.subject),
      isCA: basicConstraints ? readBasicConstraints(basicConstraints.value).ca : false,
      keyUsage: keyUsage ? readKeyUsage(keyUsage.value) : undefined,
      subjectName: certificate.subject,
      subjectPublicKeyInfo: certificate.subjectPublicKeyInfo,
      subjectKeyIdentifier: ski ? readSubjectKeyIdentifier(ski.value) : undefined,
    };
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    throw new PkiError("invalid-certificate", `${what}: not a valid X.509 certificate (${error.message})`, {
      cause: error,
    });
  }
}

/** Throws "key-mismatch" unless `key` is the private half of the certificate's public key. */
export function assertKeyMatchesCertificate(
  certificate: { subjectPublicKeyInfo: Uint8Array },
  key: LoadedPrivateKey,
  what: string,
): void {
  if (!bytesEqual(certificate.subjectPublicKeyInfo, key.spki)) {
    throw new PkiError(
      "key-mismatch",
      `${what}: the private key does not match the certificate's public key`,
    );
  }
}

/** Throws "not-a-ca" unless the certificate may sign certificates (basicConstraints CA, keyCertSign). */
export function assertIsCA(certificate: CaFacts, what: string): void {
  if (!certificate.isCA) {
    throw new PkiError(
      "not-a-ca",
      `${what}: certificate "${certificate.subject}" is not a CA (basicConstraints CA:false or absent)`,
    );
  }
  if (certificate.keyUsage !== undefined && !(certificate.keyUsage & KEY_USAGE.keyCertSign)) {
    throw new PkiError(
      "not-a-ca",
      `${what}: CA certificate "${certificate.subject}" lacks the keyCertSign key usage`,
    );
  }
}

export interface LoadedCertificateAuthority {
  certificate: CaCertificate;
  key: LoadedPrivateKey;
  /** The authority key identifier of what it issues: its SKI, or one computed from its public key. */
  keyIdentifier: Uint8Array;
}

/** Parses and checks a CA: a CA certificate, and the private key that matches it. */
export async function loadCertificateAuthority(
  ca: CertificateAndKey,
  what = "ca",
): Promise<LoadedCertificateAuthority> {
  if (typeof ca !== "object" || ca === null) {
    throw new PkiError("invalid-argument", `${what}: expected { crt, key } PEM strings`);
  }
  const certificate = readCaCertificate(ca.crt, `${what}.crt`);
  assertIsCA(certificate, `${what}.crt`);
  const key = await loadPrivateKey(ca.key, `${what}.key`);
  assertKeyMatchesCertificate(certificate, key, what);
  return {
    certificate,
    key,
    keyIdentifier:
      certificate.subjectKeyIdentifier ?? (await keyIdentifier(certificate.subjectPublicKeyInfo)),
  };
}
