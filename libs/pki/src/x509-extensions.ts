// The certificate extensions we write (RFC 5280 §4.2.1), encoded in DER, and the few we read back from a CA
// certificate (basicConstraints, keyUsage, subjectKeyIdentifier). subjectAltName is in subject-alt-names.ts.
import { contentOf, DER_TAG, DerError, decodeOid, readChildren, readTlv } from "./der.ts";
import {
  derBoolean,
  derContextPrimitive,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
} from "./der-writer.ts";
import { OID } from "./x509-oids.ts";

/** An extension: its OID, criticality, and the DER of its value (what extnValue's OCTET STRING holds). */
export interface Extension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE (omitted when false), extnValue }. */
export function encodeExtension(extension: Extension): Uint8Array<ArrayBuffer> {
  return extension.critical
    ? derSequence(derOid(extension.oid), derBoolean(true), derOctetString(extension.value))
    : derSequence(derOid(extension.oid), derOctetString(extension.value));
}

/** Extensions ::= SEQUENCE OF Extension. */
export function encodeExtensions(extensions: readonly Extension[]): Uint8Array<ArrayBuffer> {
  return derSequence(...extensions.map(encodeExtension));
}

/** basicConstraints (always critical here): `cA` TRUE for a CA, an empty SEQUENCE for an end entity. */
export function basicConstraintsExtension(ca: boolean, pathLength?: number): Extension {
  const fields: Uint8Array[] = [];
  if (ca) fields.push(derBoolean(true));
  if (ca && pathLength !== undefined) fields.push(derInteger(pathLength));
  return { oid: OID.basicConstraints, critical: true, value: derSequence(...fields) };
}

/** keyUsage (critical) from KEY_USAGE flags. */
export function keyUsageExtension(flags: number): Extension {
  return { oid: OID.keyUsage, critical: true, value: derNamedBits(flags) };
}

/** extKeyUsage (not critical): a SEQUENCE of key purpose OIDs. */
export function extendedKeyUsageExtension(oids: readonly string[]): Extension {
  return { oid: OID.extKeyUsage, critical: false, value: derSequence(...oids.map((oid) => derOid(oid))) };
}

export function subjectKeyIdentifierExtension(keyIdentifier: Uint8Array): Extension {
  return { oid: OID.subjectKeyIdentifier, critical: false, value: derOctetString(keyIdentifier) };
}

/** authorityKeyIdentifier with only `[0] keyIdentifier` (the issuer's subject key identifier). */
export function authorityKeyIdentifierExtension(keyIdentifier: Uint8Array): Extension {
  return {
    oid: OID.authorityKeyIdentifier,
    critical: false,
    value: derSequence(derContextPrimitive(0, keyIdentifier)),
  };
}

// --- reading ---

/** The `cA` flag of a basicConstraints value. */
export function readBasicConstraints(value: Uint8Array): { ca: boolean } {
  const top = readTlv(value, 0);
  if (top.tag !== DER_TAG.sequence) throw new DerError("basicConstraints is not a SEQUENCE");
  const first = readChildren(value, top)[0];
  if (first?.tag !== DER_TAG.boolean) return { ca: false };
  const content = contentOf(value, first);
  if (content.length !== 1) throw new DerError("basicConstraints: bad BOOLEAN");
  return { ca: content[0] !== 0 };
}

/** KEY_USAGE flags of a keyUsage value (named bit n -> 2^n). */
export function readKeyUsage(value: Uint8Array): number {
  const top = readTlv(value, 0);
  if (top.tag !== DER_TAG.bitString || top.end === top.start)
    throw new DerError("keyUsage is not a BIT STRING");
  let flags = 0;
  for (let i = top.start + 1; i < top.end; i++) {
    const byte = value[i] as number;
    for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) flags += 2 ** ((i - top.start - 1) * 8 + bit);
  }
  return flags;
}

/** The OIDs of an extKeyUsage value (a SEQUENCE OF KeyPurposeId). */
export function readExtendedKeyUsage(value: Uint8Array): string[] {
  const top = readTlv(value, 0);
  if (top.tag !== DER_TAG.sequence) throw new DerError("extKeyUsage is not a SEQUENCE");
  return readChildren(value, top).map((purpose) => {
    if (purpose.tag !== DER_TAG.oid) throw new DerError("extKeyUsage: a purpose is not an OID");
    return decodeOid(contentOf(value, purpose));
  });
}

/** The key identifier of a subjectKeyIdentifier value. */
export function readSubjectKeyIdentifier(value: Uint8Array): Uint8Array {
  const top = readTlv(value, 0);
  if (top.tag !== DER_TAG.octetString) throw new DerError("subjectKeyIdentifier is not an OCTET STRING");
  return contentOf(value, top);
}
