// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) as WebCrypto exports it: which of our algorithms it is, its key bits,
// and the key identifier derived from them.
import { contentOf, DER_TAG, DerError, decodeOid, readChildren, readTlv } from "./der.ts";
import type { KeyAlgorithm } from "./key-pair.ts";
import { OID } from "./x509-oids.ts";

export interface PublicKeyInfo {
  /** The algorithm OID, e.g. 1.2.840.10045.2.1 (EC) or 1.3.101.112 (Ed25519). */
  algorithmOid: string;
  /** The parameter OID when there is one (the curve of an EC key). */
  parameterOid: string | undefined;
  /** Ours, or undefined for a key we do not issue for (RSA, another curve...). */
  algorithm: KeyAlgorithm | undefined;
  /** The subjectPublicKey BIT STRING's bits, without the unused-bits byte. */
  publicKey: Uint8Array;
}

/** Reads a DER SubjectPublicKeyInfo; throws DerError when it is not one. */
export function readPublicKeyInfo(spki: Uint8Array): PublicKeyInfo {
  const top = readTlv(spki, 0);
  if (top.tag !== DER_TAG.sequence || top.end !== spki.length)
    throw new DerError("SubjectPublicKeyInfo is not a SEQUENCE");
  const [algorithmIdentifier, bits, ...rest] = readChildren(spki, top);
  if (algorithmIdentifier?.tag !== DER_TAG.sequence || bits?.tag !== DER_TAG.bitString || rest.length > 0) {
    throw new DerError("SubjectPublicKeyInfo is not SEQUENCE { AlgorithmIdentifier, BIT STRING }");
  }
  const [algorithm, parameters] = readChildren(spki, algorithmIdentifier);
  if (algorithm?.tag !== DER_TAG.oid) throw new DerError("SubjectPublicKeyInfo: algorithm is not an OID");
  if (bits.end === bits.start || spki[bits.start] !== 0)
    throw new DerError("SubjectPublicKeyInfo: key is not whole bytes");
  const algorithmOid = decodeOid(contentOf(spki, algorithm));
  const parameterOid = parameters?.tag === DER_TAG.oid ? decodeOid(contentOf(spki, parameters)) : undefined;
  let ours: KeyAlgorithm | undefined;
  if (algorithmOid === OID.ed25519 && parameters === undefined) ours = "ed25519";
  if (algorithmOid === OID.ecPublicKey && parameterOid === OID.p256) ours = "ecdsa-p256";
  return { algorithmOid, parameterOid, algorithm: ours, publicKey: spki.subarray(bits.start + 1, bits.end) };
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits (what Go, openssl and x509 compute). */
export async function keyIdentifier(spki: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-1", readPublicKeyInfo(spki).publicKey as Uint8Array<ArrayBuffer>),
  );
}
