// A PKCS#10 certification request (RFC 2986) in DER; requested extensions go in an extensionRequest attribute.
import { derContextConstructed, derInteger, derOid, derSequence, derSetOf } from "./der-writer.ts";
import { type Extension, encodeExtensions } from "./x509-extensions.ts";
import { OID } from "./x509-oids.ts";
import { type Signer, signStructure } from "./x509-signature.ts";

export interface CertificationRequestFields {
  /** DER Name of the subject. */
  subject: Uint8Array;
  /** DER SubjectPublicKeyInfo of the key the request is signed with. */
  subjectPublicKeyInfo: Uint8Array;
  /** Requested extensions; none means an empty attribute set. */
  extensions: readonly Extension[];
}

/** CertificationRequestInfo ::= SEQUENCE { version 0, subject, subjectPKInfo, attributes [0] IMPLICIT SET OF }. */
export function encodeCertificationRequestInfo(fields: CertificationRequestFields): Uint8Array<ArrayBuffer> {
  const attributes =
    fields.extensions.length > 0
      ? [derSequence(derOid(OID.extensionRequest), derSetOf(encodeExtensions(fields.extensions)))]
      : [];
  return derSequence(
    derInteger(0),
    fields.subject,
    fields.subjectPublicKeyInfo,
    derContextConstructed(0, ...attributes),
  );
}

/** The signed request, DER. `signer` must hold the private half of `subjectPublicKeyInfo`. */
export async function encodeCertificationRequest(
  fields: CertificationRequestFields,
  signer: Signer,
): Promise<Uint8Array<ArrayBuffer>> {
  return signStructure(encodeCertificationRequestInfo(fields), signer);
}
