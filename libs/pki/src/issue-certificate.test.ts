import { beforeAll, describe, expect, test } from "bun:test";
import { extensionText, openssl, opensslText, opensslVerify } from "../test/openssl.ts";
import { type CertificateAndKey, generateCA } from "./certificate-authority.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { PkiError } from "./pki-error.ts";

const DAY = 86_400_000;
let ca: CertificateAndKey;
let edCa: CertificateAndKey;

beforeAll(async () => {
  [ca, edCa] = await Promise.all([
    generateCA({ commonName: "bronze" }),
    generateCA({ commonName: "bronze-ed", algorithm: "ed25519" }),
  ]);
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof PkiError ? error.code : `not a PkiError: ${error}`;
  }
  return undefined;
}

describe("issueCertificate", () => {
  const cases = [
    {
      usage: "client",
      eku: "TLS Web Client Authentication",
      names: ["clientAuth"],
      client: true,
      server: false,
    },
    {
      usage: "server",
      eku: "TLS Web Server Authentication",
      names: ["serverAuth"],
      client: false,
      server: true,
    },
    {
      usage: "both",
      eku: "TLS Web Server Authentication, TLS Web Client Authentication",
      names: ["serverAuth", "clientAuth"],
      client: true,
      server: true,
    },
  ] as const;
  for (const c of cases) {
    test(`${c.usage} certificate: openssl verifies it, for the right purposes only`, async () => {
      const leaf = await issueCertificate({
        ca,
        commonName: "node-1",
        organizations: ["os:admin"],
        usage: c.usage,
      });
      const plain = await opensslVerify(ca.crt, leaf.crt);
      expect(plain.stdout.trim()).toBe("cert.pem: OK");
      const asClient = await opensslVerify(ca.crt, leaf.crt, { purpose: "sslclient" });
      const asServer = await opensslVerify(ca.crt, leaf.crt, { purpose: "sslserver" });
      expect(asClient.code === 0).toBe(c.client);
      expect(asServer.code === 0).toBe(c.server);
      if (!c.client) expect(asClient.stdout + asClient.stderr).toContain("unsuitable certificate purpose");

      const text = await opensslText(leaf.crt);
      expect(text).toContain("Subject: O = os:admin, CN = node-1");
      expect(extensionText(text, "X509v3 Extended Key Usage")?.value).toBe(c.eku);
      expect(extensionText(text, "X509v3 Basic Constraints")).toEqual({ critical: true, value: "CA:FALSE" });
      expect(extensionText(text, "X509v3 Key Usage")).toEqual({
        critical: true,
        value: "Digital Signature, Key Encipherment",
      });
      const info = inspectCertificate(leaf.crt);
      expect(info.extendedKeyUsages).toEqual([...c.names]);
      expect(info.isCA).toBe(false);
      expect(info.organizations).toEqual(["os:admin"]);
      expect(info.issuer).toBe("CN=bronze");
    });
  }

  test("authority key identifier is the CA's subject key identifier; serial is positive and random", async () => {
    const [a, b] = await Promise.all([
      issueCertificate({ ca, commonName: "a", usage: "client" }),
      issueCertificate({ ca, commonName: "b", usage: "client" }),
    ]);
    const caSki = extensionText(await opensslText(ca.crt), "X509v3 Subject Key Identifier")?.value;
    const aki = extensionText(await opensslText(a.crt), "X509v3 Authority Key Identifier")?.value;
    expect(aki?.replace(/^keyid:/, "")).toBe(caSki as string);
    const serial = await openssl(["x509", "-noout", "-serial", "-in", "c.pem"], { "c.pem": a.crt });
    expect(serial.stdout.trim().toLowerCase()).toBe(`serial=${inspectCertificate(a.crt).serialNumber}`);
    expect(inspectCertificate(a.crt).serialNumber).not.toBe(inspectCertificate(b.crt).serialNumber);
  });

  test("DNS and IP SANs, normalised and seen by openssl", async () => {
    const leaf = await issueCertificate({
      ca,
      commonName: "api",
      usage: "server",
      dnsNames: ["Node-1.Example", "localhost"],
      ipAddresses: ["10.0.0.10", "fd00::0:1", "127.0.0.1"],
    });
    expect(extensionText(await opensslText(leaf.crt), "X509v3 Subject Alternative Name")?.value).toBe(
      "DNS:node-1.example, DNS:localhost, IP Address:10.0.0.10, IP Address:FD00:0:0:0:0:0:0:1, IP Address:127.0.0.1",
    );
    const info = inspectCertificate(leaf.crt);
    expect(info.dnsNames).toEqual(["node-1.example", "localhost"]);
    expect(info.ipAddresses).toEqual(["10.0.0.10", "fd00::1", "127.0.0.1"]);
    const check = await openssl(
      ["x509", "-noout", "-checkip", "10.0.0.10", "-checkhost", "node-1.example", "-in", "c.pem"],
      {
        "c.pem": leaf.crt,
      },
    );
    expect(check.stdout).toContain("does match certificate");
    expect(check.stdout).not.toContain("does NOT match");
  });

  test("validity: one year by default from a minute before `now`, or validityDays", async () => {
    const now = new Date("2030-06-01T12:00:00Z");
    const leaf = inspectCertificate(
      (await issueCertificate({ ca, commonName: "x", usage: "client", now })).crt,
    );
    expect(leaf.notBefore.toISOString()).toBe("2030-06-01T11:59:00.000Z");
    expect(leaf.notAfter.getTime() - now.getTime()).toBe(365 * DAY);
    const week = inspectCertificate(
      (
        await issueCertificate({
          ca,
          commonName: "x",
          usage: "client",
          now,
          validityDays: 7,
          backdateSeconds: 0,
        })
      ).crt,
    );
    expect(week.notBefore.getTime()).toBe(now.getTime());
    expect(week.notAfter.getTime() - now.getTime()).toBe(7 * DAY);
  });

  test("mixed algorithms: Ed25519 leaf from a P-256 CA and P-256 leaf from an Ed25519 CA", async () => {
    const edLeaf = await issueCertificate({ ca, commonName: "ed", usage: "both", algorithm: "ed25519" });
    const ecLeaf = await issueCertificate({ ca: edCa, commonName: "ec", usage: "both" });
    expect((await opensslVerify(ca.crt, edLeaf.crt)).code).toBe(0);
    expect((await opensslVerify(edCa.crt, ecLeaf.crt)).code).toBe(0);
    expect(inspectCertificate(edLeaf.crt).publicKeyAlgorithm).toBe("ed25519");
    expect(inspectCertificate(edLeaf.crt).keyUsages).toEqual(["digitalSignature"]);
    expect(inspectCertificate(ecLeaf.crt).publicKeyAlgorithm).toBe("ecdsa-p256");
    const keyCheck = await openssl(["pkey", "-in", "k.pem", "-noout", "-text"], { "k.pem": edLeaf.key });
    expect(keyCheck.stdout).toContain("ED25519");
  });

  test("the returned key is the certificate's key (openssl compares the public halves)", async () => {
    const leaf = await issueCertificate({ ca, commonName: "x", usage: "client" });
    const fromKey = await openssl(["pkey", "-in", "k.pem", "-pubout"], { "k.pem": leaf.key });
    const fromCert = await openssl(["x509", "-in", "c.pem", "-noout", "-pubkey"], { "c.pem": leaf.crt });
    expect(fromKey.stdout).toBe(fromCert.stdout);
  });

  test("bad input is rejected before any work, naming the field", async () => {
    expect(
      await codeOf(issueCertificate({ ca, commonName: "x", usage: "client", ipAddresses: ["1.2.3.999"] })),
    ).toBe("invalid-argument");
    await expect(
      issueCertificate({ ca, commonName: "x", usage: "client", dnsNames: ["a b"] }),
    ).rejects.toThrow("dnsNames[0]");
    expect(await codeOf(issueCertificate({ ca, commonName: "", usage: "client" }))).toBe("invalid-argument");
    expect(await codeOf(issueCertificate({ ca, commonName: "x", usage: "nope" as never }))).toBe(
      "invalid-argument",
    );
    expect(await codeOf(issueCertificate({ ca, commonName: "x", usage: "client", validityDays: 0 }))).toBe(
      "invalid-argument",
    );
    expect(
      await codeOf(
        issueCertificate({ ca: { crt: ca.crt, key: edCa.key }, commonName: "x", usage: "client" }),
      ),
    ).toBe("key-mismatch");
  });
});
