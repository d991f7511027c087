import type { LoadedCertificateAuthority } from "./certificate-authority.ts";
import { type CertificateUsage, extendedKeyUsages, leafKeyUsage } from "./certificate-usage.ts";
import { x509 } from "./crypto-provider.ts";
import { distinguishedName } from "./distinguished-name.ts";
import { keyAlgorithmOf, signingAlgorithm } from "./key-pair.ts";
import { PkiError } from "./pki-error.ts";
import { randomSerialNumber } from "./serial-number.ts";
import { type SubjectAltNames, subjectAltNameExtension } from "./subject-alt-names.ts";
import type { ValidityWindow } from "./validity-window.ts";

export interface LeafCertificateRequest {
  ca: LoadedCertificateAuthority;
  subjectPublicKey: CryptoKey | x509.PublicKey;
  commonName: string;
  organizations: readonly string[];
  usage: CertificateUsage;
  sans: SubjectAltNames;
  window: ValidityWindow;
}

/** The authority key identifier of certificates issued by this CA: its SKI, or one computed from its key. */
async function authorityKeyIdentifier(
  ca: x509.X509Certificate,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return x509.AuthorityKeyIdentifierExtension.create(ca.publicKey);
}

/** Signs an end-entity certificate (CA:false) for `subjectPublicKey` with the CA's key. */
export async function signLeafCertificate(request: LeafCertificateRequest): Promise<x509.X509Certificate> {
  const subjectKey =
    request.subjectPublicKey instanceof x509.PublicKey
      ? request.subjectPublicKey
      : await x509.PublicKey.create(request.subjectPublicKey);
  const subjectAlgorithm = keyAlgorithmOf(subjectKey.algorithm);
  if (!subjectAlgorithm) {
    throw new PkiError(
      "unsupported-algorithm",
      `subject public key algorithm ${subjectKey.algorithm.name} is not supported (ECDSA P-256 or Ed25519)`,
    );
  }
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(leafKeyUsage(subjectAlgorithm), true),
    new x509.ExtendedKeyUsageExtension(extendedKeyUsages(request.usage), false),
    await x509.SubjectKeyIdentifierExtension.create(subjectKey),
    await authorityKeyIdentifier(request.ca.certificate),
  ];
  const san = subjectAltNameExtension(request.sans);
  if (san) extensions.push(san);
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: distinguishedName(request.commonName, request.organizations),
    issuer: request.ca.certificate.subjectName,
    ...request.window,
    publicKey: subjectKey,
    signingKey: request.ca.key.privateKey,
    signingAlgorithm: signingAlgorithm(request.ca.key.algorithm),
    extensions,
  });
}
