import { bytesEqual, concatBytes, DER_TAG, DerError, encodeTlv, readChildren, readTlv } from "./der.ts";
import { decodeSinglePem, encodePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";

export type KeyAlgorithm = "ecdsa-p256" | "ed25519";

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["ecdsa-p256", "ed25519"];

export interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** A private key imported into WebCrypto, with its public half. */
export interface LoadedPrivateKey {
  algorithm: KeyAlgorithm;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** DER SubjectPublicKeyInfo of the public half. */
  spki: Uint8Array;
}

// DER contents of the OIDs we recognise.
const OID_EC_PUBLIC_KEY = Uint8Array.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]); // 1.2.840.10045.2.1
const OID_P256 = Uint8Array.from([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]); // 1.2.840.10045.3.1.7
const OID_ED25519 = Uint8Array.from([0x2b, 0x65, 0x70]); // 1.3.101.112

/** PEM labels accepted for private keys: PKCS#8, SEC1 (EC), and Talos' label for Ed25519 PKCS#8. */
export const PRIVATE_KEY_LABELS = ["PRIVATE KEY", "EC PRIVATE KEY", "ED25519 PRIVATE KEY"] as const;

export function assertKeyAlgorithm(algorithm: unknown): asserts algorithm is KeyAlgorithm {
  if (!KEY_ALGORITHMS.includes(algorithm as KeyAlgorithm)) {
    throw new PkiError(
      "unsupported-algorithm",
      `unsupported key algorithm ${JSON.stringify(algorithm)}: expected one of ${KEY_ALGORITHMS.join(", ")}`,
    );
  }
}

/** WebCrypto parameters to generate or import a key of this type. */
export type KeyParams = { name: "ECDSA"; namedCurve: "P-256" } | { name: "Ed25519" };
/** WebCrypto signature parameters. */
export type SignatureParams = { name: "ECDSA"; hash: "SHA-256" } | { name: "Ed25519" };

export function keyImportParams(algorithm: KeyAlgorithm): KeyParams {
  return algorithm === "ecdsa-p256" ? { name: "ECDSA", namedCurve: "P-256" } : { name: "Ed25519" };
}

/** The signature algorithm a key of this type signs certificates with. */
export function signingAlgorithm(algorithm: KeyAlgorithm): SignatureParams {
  return algorithm === "ecdsa-p256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
}

/** Our name for a WebCrypto/x509 key algorithm, or undefined when we do not support it. */
export function keyAlgorithmOf(algorithm: { name: string; namedCurve?: string }): KeyAlgorithm | undefined {
  if (algorithm.name === "ECDSA" && algorithm.namedCurve === "P-256") return "ecdsa-p256";
  if (algorithm.name === "Ed25519") return "ed25519";
  return undefined;
}

export async function generateCryptoKeyPair(algorithm: KeyAlgorithm = "ecdsa-p256"): Promise<CryptoKeyPair> {
  assertKeyAlgorithm(algorithm);
  return (await crypto.subtle.generateKey(keyImportParams(algorithm), true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return encodePem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", key));
}

export async function exportPublicKeyPem(key: CryptoKey): Promise<string> {
  return encodePem("PUBLIC KEY", await crypto.subtle.exportKey("spki", key));
}

/** A new key pair: PKCS#8 private key and SPKI public key, both PEM. ECDSA P-256 by default. */
export async function generateKeyPair(algorithm: KeyAlgorithm = "ecdsa-p256"): Promise<KeyPair> {
  const keys = await generateCryptoKeyPair(algorithm);
  const [privateKeyPem, publicKeyPem] = await Promise.all([
    exportPrivateKeyPem(keys.privateKey),
    exportPublicKeyPem(keys.publicKey),
  ]);
  return { privateKeyPem, publicKeyPem };
}

function oidContent(bytes: Uint8Array, tlv: Tlv | undefined): Uint8Array | undefined {
  if (tlv === undefined || tlv.tag !== DER_TAG.oid) return undefined;
  return bytes.subarray(tlv.start, tlv.end);
}

type Tlv = ReturnType<typeof readTlv>;

/** Which of our algorithms a PKCS#8 PrivateKeyInfo holds. */
function pkcs8Algorithm(der: Uint8Array, what: string): KeyAlgorithm {
  let algorithmOid: Uint8Array | undefined;
  let parameterOid: Uint8Array | undefined;
  try {
    const top = readTlv(der, 0);
    if (top.tag !== DER_TAG.sequence || top.end !== der.length) throw new DerError("not a DER SEQUENCE");
    const [version, algorithmIdentifier, privateKey] = readChildren(der, top);
    if (version?.tag !== DER_TAG.integer || algorithmIdentifier?.tag !== DER_TAG.sequence) {
      throw new DerError("not a PKCS#8 PrivateKeyInfo");
    }
    if (privateKey?.tag !== DER_TAG.octetString) throw new DerError("PKCS#8 private key is missing");
    const [algorithm, parameters] = readChildren(der, algorithmIdentifier);
    algorithmOid = oidContent(der, algorithm);
    parameterOid = oidContent(der, parameters);
  } catch (error) {
    if (error instanceof DerError) throw new PkiError("invalid-key", `${what}: ${error.message}`);
    throw error;
  }
  if (algorithmOid && bytesEqual(algorithmOid, OID_ED25519)) return "ed25519";
  if (algorithmOid && bytesEqual(algorithmOid, OID_EC_PUBLIC_KEY)) {
    if (parameterOid && bytesEqual(parameterOid, OID_P256)) return "ecdsa-p256";
    throw new PkiError("unsupported-algorithm", `${what}: EC key on a curve other than P-256`);
  }
  throw new PkiError("unsupported-algorithm", `${what}: key algorithm is neither ECDSA P-256 nor Ed25519`);
}

/** Wraps a SEC1 ECPrivateKey ("EC PRIVATE KEY", as Go and Talos write) into PKCS#8. */
function sec1ToPkcs8(sec1: Uint8Array, what: string): Uint8Array<ArrayBuffer> {
  try {
    const top = readTlv(sec1, 0);
    if (top.tag !== DER_TAG.sequence || top.end !== sec1.length) throw new DerError("not a DER SEQUENCE");
    const parameters = readChildren(sec1, top).find((child) => child.tag === 0xa0);
    if (parameters) {
      const curve = oidContent(sec1, readTlv(sec1, parameters.start, parameters.end));
      if (!curve || !bytesEqual(curve, OID_P256)) {
        throw new PkiError("unsupported-algorithm", `${what}: EC key on a curve other than P-256`);
      }
    }
  } catch (error) {
    if (error instanceof DerError) throw new PkiError("invalid-key", `${what}: ${error.message}`);
    throw error;
  }
  const algorithmIdentifier = encodeTlv(
    DER_TAG.sequence,
    concatBytes(encodeTlv(DER_TAG.oid, OID_EC_PUBLIC_KEY), encodeTlv(DER_TAG.oid, OID_P256)),
  );
  return encodeTlv(
    DER_TAG.sequence,
    concatBytes(
      encodeTlv(DER_TAG.integer, Uint8Array.from([0])),
      algorithmIdentifier,
      encodeTlv(DER_TAG.octetString, sec1),
    ),
  );
}

/** Derives the public CryptoKey of a private key (through JWK, the only portable WebCrypto way). */
async function publicKeyOf(privateKey: CryptoKey, algorithm: KeyAlgorithm): Promise<CryptoKey> {
  const { d: _d, key_ops: _ops, ...publicJwk } = await crypto.subtle.exportKey("jwk", privateKey);
  return crypto.subtle.importKey("jwk", publicJwk, keyImportParams(algorithm), true, ["verify"]);
}

/**
 * Imports a PEM private key (PKCS#8; SEC1 "EC PRIVATE KEY" and Talos' "ED25519 PRIVATE KEY" are accepted too).
 * `what` names the key in error messages.
 */
export async function loadPrivateKey(pem: string, what = "private key"): Promise<LoadedPrivateKey> {
  const block = decodeSinglePem(pem, PRIVATE_KEY_LABELS, what);
  const pkcs8 = block.label === "EC PRIVATE KEY" ? sec1ToPkcs8(block.der, what) : block.der;
  const algorithm = pkcs8Algorithm(pkcs8, what);
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, keyImportParams(algorithm), true, ["sign"]);
  } catch (error) {
    throw new PkiError(
      "invalid-key",
      `${what}: cannot import ${algorithm} key: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const publicKey = await publicKeyOf(privateKey, algorithm);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  return { algorithm, privateKey, publicKey, spki };
}
