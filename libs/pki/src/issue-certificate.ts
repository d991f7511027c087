import { type CertificateAndKey, loadCertificateAuthority } from "./certificate-authority.ts";
import { type CertificateUsage, extendedKeyUsages } from "./certificate-usage.ts";
import { distinguishedName } from "./distinguished-name.ts";
import { exportPrivateKeyPem, generateCryptoKeyPair, type KeyAlgorithm } from "./key-pair.ts";
import { signLeafCertificate } from "./leaf-certificate.ts";
import { encodePem } from "./pem.ts";
import { normalizeSubjectAltNames } from "./subject-alt-names.ts";
import { validityWindow } from "./validity-window.ts";

export const DEFAULT_LEAF_VALIDITY_DAYS = 365;

export interface IssueCertificateOptions {
  ca: CertificateAndKey;
  commonName: string;
  /** Subject O= values; for API client certificates the role, e.g. `os:admin`. */
  organizations?: string[];
  usage: CertificateUsage;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Default 365. */
  validityDays?: number;
  /** Algorithm of the new key; default ECDSA P-256. */
  algorithm?: KeyAlgorithm;
  now?: Date;
  /** How far notBefore is set before `now` (default 60 s). */
  backdateSeconds?: number;
}

/** A new key pair and a certificate for it signed by `ca`. */
export async function issueCertificate(options: IssueCertificateOptions): Promise<CertificateAndKey> {
  const organizations = options.organizations ?? [];
  distinguishedName(options.commonName, organizations); // validate before any work
  extendedKeyUsages(options.usage);
  const sans = normalizeSubjectAltNames(options.dnsNames, options.ipAddresses);
  const window = validityWindow({
    now: options.now,
    validityDays: options.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS,
    backdateSeconds: options.backdateSeconds,
  });
  const [ca, keys] = await Promise.all([
    loadCertificateAuthority(options.ca),
    generateCryptoKeyPair(options.algorithm ?? "ecdsa-p256"),
  ]);
  const [spki, key] = await Promise.all([
    crypto.subtle.exportKey("spki", keys.publicKey),
    exportPrivateKeyPem(keys.privateKey),
  ]);
  const certificate = await signLeafCertificate({
    ca,
    subjectPublicKeyInfo: new Uint8Array(spki),
    commonName: options.commonName,
    organizations,
    usage: options.usage,
    sans,
    window,
  });
  return { crt: encodePem("CERTIFICATE", certificate), key };
}
