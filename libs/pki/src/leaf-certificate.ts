import type { LoadedCertificateAuthority } from "./certificate-authority.ts";
import { encodeCertificate } from "./certificate-encoder.ts";
import { type CertificateUsage, extendedKeyUsages, leafKeyUsage } from "./certificate-usage.ts";
import { DerError } from "./der.ts";
import { distinguishedName } from "./distinguished-name.ts";
import type { KeyAlgorithm } from "./key-pair.ts";
import { PkiError } from "./pki-error.ts";
import { keyIdentifier, readPublicKeyInfo } from "./public-key-info.ts";
import { randomSerialNumber } from "./serial-number.ts";
import { type SubjectAltNames, subjectAltNameExtension } from "./subject-alt-names.ts";
import type { ValidityWindow } from "./validity-window.ts";
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  extendedKeyUsageExtension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from "./x509-extensions.ts";
import { encodeName } from "./x509-name.ts";
import { OID } from "./x509-oids.ts";

export interface LeafCertificateRequest {
  ca: LoadedCertificateAuthority;
  /** DER SubjectPublicKeyInfo of the subject's key (WebCrypto's exportKey("spki"), or a CSR's). */
  subjectPublicKeyInfo: Uint8Array;
  commonName: string;
  organizations: readonly string[];
  usage: CertificateUsage;
  sans: SubjectAltNames;
  window: ValidityWindow;
}

function subjectAlgorithm(spki: Uint8Array): KeyAlgorithm {
  let info: ReturnType<typeof readPublicKeyInfo>;
  try {
    info = readPublicKeyInfo(spki);
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    throw new PkiError("invalid-key", `subject public key: ${error.message}`, { cause: error });
  }
  if (info.algorithm) return info.algorithm;
  const curve = info.algorithmOid === OID.ecPublicKey ? ` on curve ${info.parameterOid}` : "";
  throw new PkiError(
    "unsupported-algorithm",
    `subject public key algorithm ${info.algorithmOid}${curve} is not supported (ECDSA P-256 or Ed25519)`,
  );
}

/** Signs an end-entity certificate (CA:false) for the subject's public key with the CA's key; DER. */
export async function signLeafCertificate(request: LeafCertificateRequest): Promise<Uint8Array<ArrayBuffer>> {
  const spki = request.subjectPublicKeyInfo;
  const extensions = [
    basicConstraintsExtension(false),
    keyUsageExtension(leafKeyUsage(subjectAlgorithm(spki))),
    extendedKeyUsageExtension(extendedKeyUsages(request.usage)),
    subjectKeyIdentifierExtension(await keyIdentifier(spki)),
    authorityKeyIdentifierExtension(request.ca.keyIdentifier),
  ];
  const san = subjectAltNameExtension(request.sans);
  if (san) extensions.push(san);
  return encodeCertificate(
    {
      serialNumber: randomSerialNumber(),
      issuer: request.ca.certificate.subjectName,
      subject: encodeName(distinguishedName(request.commonName, request.organizations)),
      ...request.window,
      subjectPublicKeyInfo: spki,
      extensions,
    },
    { privateKey: request.ca.key.privateKey, algorithm: request.ca.key.algorithm },
  );
}
