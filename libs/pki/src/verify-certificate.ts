import type * as X509 from "@peculiar/x509";
import { assertIsCA, type CaFacts } from "./certificate-authority.ts";
import { bytesEqual } from "./der.ts";
import { parseCertificates } from "./parse-certificate.ts";
import { PkiError } from "./pki-error.ts";
import { loadX509 } from "./x509-loader.ts";

function caFacts(certificate: X509.X509Certificate): CaFacts {
  const x509 = loadX509();
  return {
    subject: certificate.subject,
    isCA: certificate.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
    keyUsage: certificate.getExtension(x509.KeyUsagesExtension)?.usages,
  };
}

function sameName(a: X509.Name, b: X509.Name): boolean {
  return bytesEqual(new Uint8Array(a.toArrayBuffer()), new Uint8Array(b.toArrayBuffer()));
}

async function signedBy(certificate: X509.X509Certificate, issuer: X509.X509Certificate): Promise<boolean> {
  try {
    return await certificate.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false; // e.g. an Ed25519 signature checked with an ECDSA key
  }
}

function assertValidAt(certificate: X509.X509Certificate, what: string, now: Date): void {
  if (now.getTime() < certificate.notBefore.getTime()) {
    throw new PkiError(
      "not-yet-valid",
      `${what} "${certificate.subject}" is not valid before ${certificate.notBefore.toISOString()} (now ${now.toISOString()})`,
    );
  }
  if (now.getTime() > certificate.notAfter.getTime()) {
    throw new PkiError(
      "expired",
      `${what} "${certificate.subject}" expired at ${certificate.notAfter.toISOString()} (now ${now.toISOString()})`,
    );
  }
}

/**
 * Verifies `certPem` (a certificate, optionally followed by its intermediate CAs) against the trusted CA
 * certificate(s) in `caPem`: each signature, each issuer's CA flag and keyCertSign usage, and the validity of
 * every certificate involved at `now`. Throws PkiError: "unknown-issuer", "bad-signature", "not-a-ca",
 * "expired", "not-yet-valid", or "invalid-pem"/"invalid-certificate" for unreadable input.
 * Usage (clientAuth/serverAuth) is the caller's to check, with inspectCertificate.
 */
export async function verifyCertificate(
  certPem: string,
  caPem: string,
  now: Date = new Date(),
): Promise<void> {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new PkiError("invalid-argument", "now: not a valid Date");
  }
  const chain = parseCertificates(certPem, "certPem");
  const anchors = parseCertificates(caPem, "caPem");

  for (let i = 0; i + 1 < chain.length; i++) {
    const certificate = chain[i] as X509.X509Certificate;
    const issuer = chain[i + 1] as X509.X509Certificate;
    if (!sameName(certificate.issuerName, issuer.subjectName)) {
      throw new PkiError(
        "unknown-issuer",
        `certPem: certificate ${i + 1} is issued by "${certificate.issuer}", but the next certificate is "${issuer.subject}"`,
      );
    }
    assertIsCA(caFacts(issuer), `certPem (certificate ${i + 2})`);
    if (!(await signedBy(certificate, issuer))) {
      throw new PkiError(
        "bad-signature",
        `certPem: certificate ${i + 1} is not signed by "${issuer.subject}"`,
      );
    }
  }

  const last = chain[chain.length - 1] as X509.X509Certificate;
  const candidates = anchors.filter((anchor) => sameName(last.issuerName, anchor.subjectName));
  if (candidates.length === 0) {
    throw new PkiError(
      "unknown-issuer",
      `certificate "${last.subject}" is issued by "${last.issuer}", which is not among the trusted CAs (${anchors
        .map((anchor) => `"${anchor.subject}"`)
        .join(", ")})`,
    );
  }
  let anchor: X509.X509Certificate | undefined;
  for (const candidate of candidates) {
    if (await signedBy(last, candidate)) {
      anchor = candidate;
      break;
    }
  }
  if (!anchor) {
    throw new PkiError(
      "bad-signature",
      `certificate "${last.subject}" names "${last.issuer}" as its issuer, but its signature does not verify with that CA's key (issued by another CA?)`,
    );
  }
  assertIsCA(caFacts(anchor), "caPem");

  chain.forEach((certificate, i) => {
    assertValidAt(certificate, i === 0 ? "certificate" : `intermediate CA ${i}`, now);
  });
  assertValidAt(anchor, "CA certificate", now);
}
