// Signing a DER structure the X.509 way: the AlgorithmIdentifier of our two signature algorithms, WebCrypto's
// raw ECDSA r||s turned into a DER Ecdsa-Sig-Value, and SEQUENCE { tbs, algorithm, BIT STRING signature } as
// Certificate and CertificationRequest both are.
import { derBitString, derInteger, derOid, derSequence } from "./der-writer.ts";
import { type KeyAlgorithm, signingAlgorithm } from "./key-pair.ts";
import { OID } from "./x509-oids.ts";

/** A private key and its algorithm, to sign with. */
export interface Signer {
  privateKey: CryptoKey;
  algorithm: KeyAlgorithm;
}

/** ecdsa-with-SHA256 (parameters absent, RFC 5758 §3.2) or Ed25519 (RFC 8410 §3). */
export function signatureAlgorithmIdentifier(algorithm: KeyAlgorithm): Uint8Array<ArrayBuffer> {
  return derSequence(derOid(algorithm === "ecdsa-p256" ? OID.ecdsaWithSha256 : OID.ed25519));
}

/** WebCrypto's IEEE P1363 ECDSA signature (r || s, equal halves) as Ecdsa-Sig-Value ::= SEQUENCE { r, s }. */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.length === 0 || raw.length % 2 !== 0)
    throw new RangeError(`ECDSA signature of odd length ${raw.length}`);
  const half = raw.length / 2;
  return derSequence(derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half)));
}

/** The signature of `data` in its X.509 form: Ecdsa-Sig-Value DER for ECDSA, the 64 raw bytes for Ed25519. */
export async function signatureOf(data: Uint8Array<ArrayBuffer>, signer: Signer): Promise<Uint8Array> {
  const raw = new Uint8Array(
    await crypto.subtle.sign(signingAlgorithm(signer.algorithm), signer.privateKey, data),
  );
  return signer.algorithm === "ecdsa-p256" ? ecdsaSignatureToDer(raw) : raw;
}

/** SEQUENCE { toBeSigned, AlgorithmIdentifier, BIT STRING signature } (Certificate, CertificationRequest). */
export async function signStructure(
  toBeSigned: Uint8Array<ArrayBuffer>,
  signer: Signer,
): Promise<Uint8Array<ArrayBuffer>> {
  return derSequence(
    toBeSigned,
    signatureAlgorithmIdentifier(signer.algorithm),
    derBitString(await signatureOf(toBeSigned, signer)),
  );
}
