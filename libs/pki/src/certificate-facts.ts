// The facts of a certificate that the boot path and every API call need (who it names, until when,
// for what), read with the lib's own DER reader. @peculiar/x509 (inspect-certificate.ts) costs
// 75–195 ms to load cold, more under QEMU: seconds of a node's boot when machined or apid reached
// for it to learn two dates or a role.
import { readCertificate } from "./certificate-reader.ts";
import { DerError } from "./der.ts";
import { sha256Fingerprint } from "./inspect-certificate.ts";
import { decodeSinglePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";
import { readExtendedKeyUsage } from "./x509-extensions.ts";
import { formatName, nameValues } from "./x509-name.ts";
import { EXTENDED_KEY_USAGE, OID } from "./x509-oids.ts";

export interface CertificateFacts {
  /** RFC 4514-style subject, e.g. `O=os:admin, CN=admin` (as inspectCertificate gives it). */
  subject: string;
  commonName: string;
  /** Subject O= values; for API client certificates, the role. */
  organizations: string[];
  /** Lowercase hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** `serverAuth`, `clientAuth`, ... (dotted OID when unnamed). */
  extendedKeyUsages: string[];
  /** SHA-256 of the DER certificate, lowercase hex without colons. */
  fingerprintSha256: string;
}

const EXTENDED_KEY_USAGE_NAMES = new Map<string, string>(
  Object.entries(EXTENDED_KEY_USAGE).map(([name, oid]) => [oid, name]),
);

/**
 * The facts of one certificate, PEM ("CERTIFICATE") or DER. Throws PkiError "invalid-pem" or
 * "invalid-certificate"; `what` names it in the message.
 */
export function readCertificateFacts(
  certificate: string | Uint8Array,
  what = "certificate",
): CertificateFacts {
  const der =
    typeof certificate === "string" ? decodeSinglePem(certificate, ["CERTIFICATE"], what).der : certificate;
  try {
    const structure = readCertificate(der);
    const eku = structure.extensions.find((extension) => extension.oid === OID.extKeyUsage);
    return {
      subject: formatName(structure.subject),
      commonName: nameValues(structure.subject, OID.commonName)[0] ?? "",
      organizations: nameValues(structure.subject, OID.organization),
      serialNumber: Buffer.from(structure.serialNumber).toString("hex"),
      notBefore: structure.notBefore,
      notAfter: structure.notAfter,
      extendedKeyUsages: (eku ? readExtendedKeyUsage(eku.value) : []).map(
        (oid) => EXTENDED_KEY_USAGE_NAMES.get(oid) ?? oid,
      ),
      fingerprintSha256: sha256Fingerprint(der),
    };
  } catch (error) {
    if (!(error instanceof DerError)) throw error;
    throw new PkiError("invalid-certificate", `${what}: not a valid X.509 certificate (${error.message})`, {
      cause: error,
    });
  }
}
