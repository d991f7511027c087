import { encodeCertificationRequest } from "./csr-encoder.ts";
import { distinguishedName } from "./distinguished-name.ts";
import { loadPrivateKey } from "./key-pair.ts";
import { encodePem } from "./pem.ts";
import { normalizeSubjectAltNames, subjectAltNameExtension } from "./subject-alt-names.ts";
import { encodeName } from "./x509-name.ts";

export interface CreateCSROptions {
  privateKeyPem: string;
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** A PKCS#10 certificate signing request (PEM "CERTIFICATE REQUEST"), SANs in an extensionRequest. */
export async function createCSR(options: CreateCSROptions): Promise<string> {
  const subject = encodeName(distinguishedName(options.commonName, options.organizations ?? []));
  const san = subjectAltNameExtension(normalizeSubjectAltNames(options.dnsNames, options.ipAddresses));
  const key = await loadPrivateKey(options.privateKeyPem, "privateKeyPem");
  const csr = await encodeCertificationRequest(
    { subject, subjectPublicKeyInfo: key.spki, extensions: san ? [san] : [] },
    { privateKey: key.privateKey, algorithm: key.algorithm },
  );
  return encodePem("CERTIFICATE REQUEST", csr);
}
