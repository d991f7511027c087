// Reads the structure of a DER X.509 certificate (RFC 5280 §4.1) without @peculiar/x509: the raw subject and
// issuer Names, the validity dates, the SubjectPublicKeyInfo and the extensions. Enough to issue from a CA
// certificate and for certificate-facts.ts; the full display and signature checks are inspect-certificate.ts
// and verify-certificate.ts.
import {
  contentOf,
  DER_TAG,
  DerError,
  decodeOid,
  encodingOf,
  readChildren,
  readTlv,
  type Tlv,
} from "./der.ts";
import type { Extension } from "./x509-extensions.ts";

export interface CertificateStructure {
  /** The TBSCertificate, DER (what the signature covers). */
  tbs: Uint8Array;
  /** Serial number INTEGER contents (big-endian two's complement). */
  serialNumber: Uint8Array;
  /** DER Name of the issuer. */
  issuer: Uint8Array;
  /** DER Name of the subject. */
  subject: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  subjectPublicKeyInfo: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

const CONTEXT_0 = 0xa0;
const CONTEXT_3 = 0xa3;

function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv?.tag !== tag) throw new DerError(`${what} is missing or has the wrong type`);
  return tlv;
}

/** A Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ (YY < 50 is 20YY) or GeneralizedTime YYYYMMDDHHMMSSZ. */
function readTime(der: Uint8Array, tlv: Tlv | undefined, what: string): Date {
  const utc = tlv?.tag === DER_TAG.utcTime;
  if (!tlv || (!utc && tlv.tag !== DER_TAG.generalizedTime)) throw new DerError(`${what} is not a Time`);
  const text = new TextDecoder().decode(contentOf(der, tlv));
  const match = (
    utc ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/
  ).exec(text);
  if (!match) throw new DerError(`${what}: ${JSON.stringify(text)} is not a DER time`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = utc ? (year < 50 ? 2000 + year : 1900 + year) : year;
  return new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
}

function readExtension(der: Uint8Array, extension: Tlv): Extension {
  const fields = readChildren(der, expectTag(extension, DER_TAG.sequence, "extension"));
  const oid = decodeOid(contentOf(der, expectTag(fields[0], DER_TAG.oid, "extension OID")));
  let index = 1;
  let critical = false;
  if (fields[1]?.tag === DER_TAG.boolean) {
    const flag = contentOf(der, fields[1]);
    if (flag.length !== 1) throw new DerError(`extension ${oid}: bad critical flag`);
    critical = flag[0] !== 0;
    index = 2;
  }
  const value = contentOf(der, expectTag(fields[index], DER_TAG.octetString, `extension ${oid} value`));
  if (fields.length !== index + 1) throw new DerError(`extension ${oid} has extra fields`);
  return { oid, critical, value };
}

/** Throws DerError when `der` is not a certificate. Returned byte fields are views into `der`. */
export function readCertificate(der: Uint8Array): CertificateStructure {
  const top = readTlv(der, 0);
  if (top.tag !== DER_TAG.sequence || top.end !== der.length)
    throw new DerError("certificate is not one DER SEQUENCE");
  const [tbs, signatureAlgorithm, signature, ...extra] = readChildren(der, top);
  expectTag(tbs, DER_TAG.sequence, "tbsCertificate");
  expectTag(signatureAlgorithm, DER_TAG.sequence, "signatureAlgorithm");
  expectTag(signature, DER_TAG.bitString, "signatureValue");
  if (extra.length > 0) throw new DerError("certificate has fields after its signature");

  const fields = readChildren(der, tbs as Tlv);
  let i = fields[0]?.tag === CONTEXT_0 ? 1 : 0; // version, absent for v1
  const serialNumber = expectTag(fields[i++], DER_TAG.integer, "serialNumber");
  expectTag(fields[i++], DER_TAG.sequence, "signature");
  const issuer = expectTag(fields[i++], DER_TAG.sequence, "issuer");
  const validity = readChildren(der, expectTag(fields[i++], DER_TAG.sequence, "validity"));
  if (validity.length !== 2) throw new DerError("validity: expected notBefore and notAfter");
  const notBefore = readTime(der, validity[0], "notBefore");
  const notAfter = readTime(der, validity[1], "notAfter");
  const subject = expectTag(fields[i++], DER_TAG.sequence, "subject");
  const subjectPublicKeyInfo = expectTag(fields[i++], DER_TAG.sequence, "subjectPublicKeyInfo");
  while (fields[i] !== undefined && (fields[i]?.tag === 0x81 || fields[i]?.tag === 0x82)) i++; // unique IDs
  const extensions: Extension[] = [];
  const wrapper = fields[i];
  if (wrapper !== undefined) {
    expectTag(wrapper, CONTEXT_3, "extensions");
    const list = readChildren(der, wrapper);
    if (list.length !== 1) throw new DerError("extensions: expected one SEQUENCE");
    for (const extension of readChildren(der, expectTag(list[0], DER_TAG.sequence, "extensions"))) {
      extensions.push(readExtension(der, extension));
    }
    i++;
  }
  if (i !== fields.length) throw new DerError("tbsCertificate has unexpected fields");
  return {
    tbs: encodingOf(der, tbs as Tlv),
    serialNumber: contentOf(der, serialNumber),
    issuer: encodingOf(der, issuer),
    subject: encodingOf(der, subject),
    subjectPublicKeyInfo: encodingOf(der, subjectPublicKeyInfo),
    notBefore,
    notAfter,
    extensions,
  };
}

/** The value of the extension with this OID, or undefined. */
export function findExtension(certificate: CertificateStructure, oid: string): Extension | undefined {
  return certificate.extensions.find((extension) => extension.oid === oid);
}
