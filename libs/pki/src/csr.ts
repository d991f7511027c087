import { x509 } from "./crypto-provider.ts";
import { distinguishedName } from "./distinguished-name.ts";
import { loadPrivateKey, signingAlgorithm } from "./key-pair.ts";
import { encodePem } from "./pem.ts";
import { normalizeSubjectAltNames, subjectAltNameExtension } from "./subject-alt-names.ts";

export interface CreateCSROptions {
  privateKeyPem: string;
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** A PKCS#10 certificate signing request (PEM "CERTIFICATE REQUEST"), SANs in an extensionRequest. */
export async function createCSR(options: CreateCSROptions): Promise<string> {
  const name = distinguishedName(options.commonName, options.organizations ?? []);
  const san = subjectAltNameExtension(normalizeSubjectAltNames(options.dnsNames, options.ipAddresses));
  const key = await loadPrivateKey(options.privateKeyPem, "privateKeyPem");
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: { privateKey: key.privateKey, publicKey: key.publicKey },
    signingAlgorithm: signingAlgorithm(key.algorithm),
    extensions: san ? [san] : [],
  });
  return encodePem("CERTIFICATE REQUEST", csr.rawData);
}
