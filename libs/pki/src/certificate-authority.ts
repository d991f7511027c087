import { x509 } from "./crypto-provider.ts";
import { bytesEqual } from "./der.ts";
import { distinguishedName } from "./distinguished-name.ts";
import {
  exportPrivateKeyPem,
  generateCryptoKeyPair,
  type KeyAlgorithm,
  type LoadedPrivateKey,
  loadPrivateKey,
  signingAlgorithm,
} from "./key-pair.ts";
import { parseCertificate } from "./parse-certificate.ts";
import { encodePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";
import { randomSerialNumber } from "./serial-number.ts";
import { validityWindow } from "./validity-window.ts";

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

const CA_KEY_USAGE =
  x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;

/** A self-signed CA: basicConstraints CA:true (critical), keyUsage keyCertSign+cRLSign+digitalSignature, SKI. */
export async function generateCA(options: GenerateCAOptions): Promise<CertificateAndKey> {
  const algorithm = options.algorithm ?? "ecdsa-p256";
  const name = distinguishedName(options.commonName, options.organization ? [options.organization] : []);
  const window = validityWindow({
    now: options.now,
    validityDays: options.validityDays ?? DEFAULT_CA_VALIDITY_DAYS,
    backdateSeconds: options.backdateSeconds,
  });
  const keys = await generateCryptoKeyPair(algorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name,
    ...window,
    signingAlgorithm: signingAlgorithm(algorithm),
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    crt: encodePem("CERTIFICATE", certificate.rawData),
    key: await exportPrivateKeyPem(keys.privateKey),
  };
}

/** Throws "key-mismatch" unless `key` is the private half of the certificate's public key. */
export function assertKeyMatchesCertificate(
  certificate: x509.X509Certificate,
  key: LoadedPrivateKey,
  what: string,
): void {
  if (!bytesEqual(new Uint8Array(certificate.publicKey.rawData), key.spki)) {
    throw new PkiError(
      "key-mismatch",
      `${what}: the private key does not match the certificate's public key`,
    );
  }
}

/** Throws "not-a-ca" unless the certificate may sign certificates (basicConstraints CA, keyCertSign). */
export function assertIsCA(certificate: x509.X509Certificate, what: string): void {
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new PkiError(
      "not-a-ca",
      `${what}: certificate "${certificate.subject}" is not a CA (basicConstraints CA:false or absent)`,
    );
  }
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.keyCertSign)) {
    throw new PkiError(
      "not-a-ca",
      `${what}: CA certificate "${certificate.subject}" lacks the keyCertSign key usage`,
    );
  }
}

export interface LoadedCertificateAuthority {
  certificate: x509.X509Certificate;
  key: LoadedPrivateKey;
}

/** Parses and checks a CA: a CA certificate, and the private key that matches it. */
export async function loadCertificateAuthority(
  ca: CertificateAndKey,
  what = "ca",
): Promise<LoadedCertificateAuthority> {
  if (typeof ca !== "object" || ca === null) {
    throw new PkiError("invalid-argument", `${what}: expected { crt, key } PEM strings`);
  }
  const certificate = parseCertificate(ca.crt, `${what}.crt`);
  assertIsCA(certificate, `${what}.crt`);
  const key = await loadPrivateKey(ca.key, `${what}.key`);
  assertKeyMatchesCertificate(certificate, key, what);
  return { certificate, key };
}
