// An X.509 v3 certificate (RFC 5280 §4.1) in DER, from already-encoded names, key and extensions.
import { derContextConstructed, derInteger, derSequence, derTime } from "./der-writer.ts";
import type { KeyAlgorithm } from "./key-pair.ts";
import { type Extension, encodeExtensions } from "./x509-extensions.ts";
import { type Signer, signatureAlgorithmIdentifier, signStructure } from "./x509-signature.ts";

export interface CertificateFields {
  /** Positive serial number, lowercase hex (as randomSerialNumber returns). */
  serialNumber: string;
  /** DER Name of the issuer (the CA's subject, byte for byte). */
  issuer: Uint8Array;
  /** DER Name of the subject. */
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo, e.g. WebCrypto's exportKey("spki"). */
  subjectPublicKeyInfo: Uint8Array;
  extensions: readonly Extension[];
}

const VERSION_3 = derContextConstructed(0, derInteger(2));

function serialBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]+$/i.test(hex) || hex.length > 40)
    throw new RangeError(`serial number ${JSON.stringify(hex)} is not 1-20 bytes of hex`);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
}

/** TBSCertificate: v3, serial, signature algorithm, issuer, validity, subject, key, extensions. */
export function encodeTbsCertificate(
  fields: CertificateFields,
  signatureAlgorithm: KeyAlgorithm,
): Uint8Array<ArrayBuffer> {
  const parts = [
    VERSION_3,
    derInteger(serialBytes(fields.serialNumber)),
    signatureAlgorithmIdentifier(signatureAlgorithm),
    fields.issuer,
    derSequence(derTime(fields.notBefore), derTime(fields.notAfter)),
    fields.subject,
    fields.subjectPublicKeyInfo,
  ];
  if (fields.extensions.length > 0) parts.push(derContextConstructed(3, encodeExtensions(fields.extensions)));
  return derSequence(...parts);
}

/** The signed certificate, DER. */
export async function encodeCertificate(
  fields: CertificateFields,
  signer: Signer,
): Promise<Uint8Array<ArrayBuffer>> {
  return signStructure(encodeTbsCertificate(fields, signer.algorithm), signer);
}
