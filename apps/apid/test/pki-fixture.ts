// Real certificates for apid tests: an OS CA, apid's server certificate for 127.0.0.1, client
// certificates of every role, and the bad ones (another CA, expired, serverAuth-only).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CertificateAndKey, generateCA, issueCertificate, issueClientCertificate } from "@bronze/pki";

export interface PkiFixture {
  ca: CertificateAndKey;
  server: CertificateAndKey;
  /**
   * The worker's: CN "localhost" and only the IP SAN 127.0.0.1 (what trustd signed before it ignored
   * the CSR's subject): a client calling it "localhost" must refuse it.
   */
  workerServer: CertificateAndKey;
  admin: CertificateAndKey;
  operator: CertificateAndKey;
  reader: CertificateAndKey;
  impersonator: CertificateAndKey;
  otherCa: CertificateAndKey;
  fromOtherCa: CertificateAndKey;
  expired: CertificateAndKey;
  serverAuthOnly: CertificateAndKey;
}

export async function makePki(): Promise<PkiFixture> {
  const ca = await generateCA({ commonName: "bronze os", organization: "bronze" });
  const otherCa = await generateCA({ commonName: "bronze os", organization: "bronze" });
  const longAgo = new Date(Date.now() - 10 * 24 * 3600 * 1000);
  const [server, workerServer, admin, operator, reader, impersonator, fromOtherCa, expired, serverAuthOnly] =
    await Promise.all([
      issueCertificate({
        ca,
        commonName: "node",
        usage: "server",
        ipAddresses: ["127.0.0.1"],
        dnsNames: ["localhost"],
      }),
      issueCertificate({ ca, commonName: "localhost", usage: "server", ipAddresses: ["127.0.0.1"] }),
      issueClientCertificate(ca, { role: "os:admin" }),
      issueClientCertificate(ca, { role: "os:operator" }),
      issueClientCertificate(ca, { role: "os:reader" }),
      issueClientCertificate(ca, { role: "os:impersonator" }),
      issueClientCertificate(otherCa, { role: "os:admin" }),
      issueClientCertificate(ca, { role: "os:admin", validityDays: 1, now: longAgo }),
      issueCertificate({ ca, commonName: "admin", organizations: ["os:admin"], usage: "server" }),
    ]);
  return {
    ca,
    server,
    workerServer,
    admin,
    operator,
    reader,
    impersonator,
    otherCa,
    fromOtherCa,
    expired,
    serverAuthOnly,
  };
}

/** Writes apid's --pki-dir: ca.crt, server.crt/key and, when given, impersonator.crt/key. */
export function writePkiDir(
  dir: string,
  pki: { ca: CertificateAndKey; server: CertificateAndKey; impersonator?: CertificateAndKey },
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ca.crt"), pki.ca.crt);
  writeFileSync(join(dir, "server.crt"), pki.server.crt);
  writeFileSync(join(dir, "server.key"), pki.server.key);
  if (pki.impersonator) {
    writeFileSync(join(dir, "impersonator.crt"), pki.impersonator.crt);
    writeFileSync(join(dir, "impersonator.key"), pki.impersonator.key);
  }
}
