import { beforeAll, describe, expect, test } from "bun:test";
import { MAINTENANCE_ROLE, ROLES } from "@bronze/api";
import { extensionText, opensslText, opensslVerify } from "../test/openssl.ts";
import { type CertificateAndKey, generateCA } from "./certificate-authority.ts";
import { issueClientCertificate } from "./client-certificate.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { PkiError } from "./pki-error.ts";

let ca: CertificateAndKey;
beforeAll(async () => {
  ca = await generateCA({ commonName: "bronze" });
});

describe("issueClientCertificate", () => {
  test("every role: O=role, clientAuth only, one year, verified by openssl as a TLS client only", async () => {
    const now = new Date();
    for (const role of ROLES) {
      const cert = await issueClientCertificate(ca, { role, now });
      const text = await opensslText(cert.crt);
      expect(text).toContain(`Subject: O = ${role}, CN = ${role.slice(3)}`);
      expect(extensionText(text, "X509v3 Extended Key Usage")?.value).toBe("TLS Web Client Authentication");
      expect((await opensslVerify(ca.crt, cert.crt, { purpose: "sslclient" })).code).toBe(0);
      expect((await opensslVerify(ca.crt, cert.crt, { purpose: "sslserver" })).code).not.toBe(0);
      const info = inspectCertificate(cert.crt);
      expect(info.organizations).toEqual([role]);
      expect(info.extendedKeyUsages).toEqual(["clientAuth"]);
      expect(info.notAfter.getTime() - Math.floor(now.getTime() / 1000) * 1000).toBe(365 * 86_400_000);
    }
  });

  test("commonName and validity can be chosen", async () => {
    const cert = await issueClientCertificate(ca, {
      role: "os:reader",
      commonName: "ci-bot",
      validityDays: 7,
    });
    const info = inspectCertificate(cert.crt);
    expect(info.commonName).toBe("ci-bot");
    expect(Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000)).toBe(7);
  });

  test("an unknown role is refused", async () => {
    const attempt = issueClientCertificate(ca, { role: "os:amdin" });
    await expect(attempt).rejects.toBeInstanceOf(PkiError);
    await expect(issueClientCertificate(ca, { role: "root" })).rejects.toThrow(
      'role: "root" is not a role; expected one of os:admin, os:operator, os:reader, os:impersonator',
    );
  });

  test("the maintenance marker is never a certificate's role", async () => {
    await expect(issueClientCertificate(ca, { role: MAINTENANCE_ROLE })).rejects.toThrow(
      'role: "os:maintenance" is not a role',
    );
  });
});
