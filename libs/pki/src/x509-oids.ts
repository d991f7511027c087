// The object identifiers and flag values of what we read and write, so that no module needs @peculiar/x509
// for a constant.

export const OID = {
  // Name attributes (RFC 5280 §4.1.2.4)
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  // Key and signature algorithms (RFC 5480, RFC 5758, RFC 8410)
  ecPublicKey: "1.2.840.10045.2.1",
  p256: "1.2.840.10045.3.1.7",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ed25519: "1.3.101.112",
  // Certificate extensions (RFC 5280 §4.2.1)
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  // PKCS#9 extensionRequest, the CSR attribute that carries requested extensions (RFC 2985)
  extensionRequest: "1.2.840.113549.1.9.14",
} as const;

/** KeyUsage named bits as flags (bit n = 2^n), the values @peculiar/x509's KeyUsageFlags uses too. */
export const KEY_USAGE = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

/** Extended key usage OIDs (RFC 5280 §4.2.1.12), keyed by the names inspectCertificate reports. */
export const EXTENDED_KEY_USAGE = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

export type ExtendedKeyUsageOid = (typeof EXTENDED_KEY_USAGE)[keyof typeof EXTENDED_KEY_USAGE];
