import { beforeAll, describe, expect, test } from "bun:test";
import { extensionText, opensslText, opensslVerify, opensslWithOutputs } from "../test/openssl.ts";
import { type CertificateAndKey, generateCA } from "./certificate-authority.ts";
import { createCSR } from "./csr.ts";
import { inspectCertificate } from "./inspect-certificate.ts";
import { generateKeyPair } from "./key-pair.ts";
import { decodeSinglePem, encodePem } from "./pem.ts";
import { PkiError } from "./pki-error.ts";
import { signCSR } from "./sign-csr.ts";

let ca: CertificateAndKey;
let keyPem: string;

beforeAll(async () => {
  ca = await generateCA({ commonName: "bronze" });
  keyPem = (await generateKeyPair()).privateKeyPem;
});

async function errorOf(promise: Promise<unknown>): Promise<PkiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PkiError) return error;
    throw error;
  }
  throw new Error("expected a PkiError, got success");
}

/** A CSR made by openssl itself. */
async function opensslCsr(keyArgs: string[], subject: string, addext: string[] = []): Promise<string> {
  const args = [
    "req",
    "-new",
    "-nodes",
    ...keyArgs,
    "-keyout",
    "key.pem",
    "-out",
    "csr.pem",
    "-subj",
    subject,
  ];
  for (const ext of addext) args.push("-addext", ext);
  const result = await opensslWithOutputs(args, {}, ["csr.pem"]);
  expect(result.code).toBe(0);
  return result.outputs["csr.pem"] as string;
}

describe("signCSR", () => {
  test("keeps CN, O and SANs of the request; openssl verifies the certificate", async () => {
    const csrPem = await createCSR({
      privateKeyPem: keyPem,
      commonName: "node-1",
      organizations: ["os:reader"],
      dnsNames: ["node-1"],
      ipAddresses: ["10.0.0.2"],
    });
    const crt = await signCSR({ ca, csrPem, usage: "client" });
    expect((await opensslVerify(ca.crt, crt, { purpose: "sslclient" })).code).toBe(0);
    const info = inspectCertificate(crt);
    expect(info.commonName).toBe("node-1");
    expect(info.organizations).toEqual(["os:reader"]);
    expect(info.dnsNames).toEqual(["node-1"]);
    expect(info.ipAddresses).toEqual(["10.0.0.2"]);
    expect(info.extendedKeyUsages).toEqual(["clientAuth"]);
  });

  test("trustd mode: strips O (no role smuggling) and issues serverAuth only", async () => {
    const csrPem = await createCSR({
      privateKeyPem: keyPem,
      commonName: "cp-2",
      organizations: ["os:admin"],
    });
    const crt = await signCSR({ ca, csrPem, usage: "server", stripOrganizations: true, validityDays: 30 });
    const text = await opensslText(crt);
    expect(text).toContain("Subject: CN = cp-2");
    expect(text).not.toContain("os:admin");
    expect(extensionText(text, "X509v3 Extended Key Usage")?.value).toBe("TLS Web Server Authentication");
    expect((await opensslVerify(ca.crt, crt, { purpose: "sslserver" })).code).toBe(0);
    expect((await opensslVerify(ca.crt, crt, { purpose: "sslclient" })).code).not.toBe(0);
    const info = inspectCertificate(crt);
    expect(info.organizations).toEqual([]);
    expect(Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000)).toBe(30);
  });

  test("allowedSans: accepted when every SAN is allowed (IPs compared canonically)", async () => {
    const csrPem = await createCSR({
      privateKeyPem: keyPem,
      commonName: "cp-1",
      dnsNames: ["cp-1.local"],
      ipAddresses: ["fd00:0::5", "10.0.0.5"],
    });
    const crt = await signCSR({
      ca,
      csrPem,
      usage: "server",
      allowedSans: ["10.0.0.5", "FD00::5", "CP-1.local", "x"],
    });
    expect(inspectCertificate(crt).ipAddresses).toEqual(["fd00::5", "10.0.0.5"]);
  });

  test("allowedSans: a SAN outside the list is refused with san-not-allowed naming it", async () => {
    const csrPem = await createCSR({
      privateKeyPem: keyPem,
      commonName: "cp-1",
      dnsNames: ["cp-1.local", "evil.example"],
      ipAddresses: ["10.0.0.5", "10.9.9.9"],
    });
    const error = await errorOf(
      signCSR({ ca, csrPem, usage: "server", allowedSans: ["cp-1.local", "10.0.0.5"] }),
    );
    expect(error.code).toBe("san-not-allowed");
    expect(error.message).toContain('"evil.example"');
    expect(error.message).toContain('"10.9.9.9"');
    expect(error.message).not.toContain('"cp-1.local"');
    const none = await errorOf(signCSR({ ca, csrPem, usage: "server", allowedSans: [] }));
    expect(none.code).toBe("san-not-allowed");
  });

  test("a request whose signature does not verify is invalid-csr", async () => {
    const csrPem = await createCSR({ privateKeyPem: keyPem, commonName: "aaaa-node" });
    const der = decodeSinglePem(csrPem, ["CERTIFICATE REQUEST"], "csr").der;
    const at = Buffer.from(der).indexOf("aaaa-node");
    expect(at).toBeGreaterThan(0);
    der[at] = "b".charCodeAt(0); // now says "baaa-node": the signature no longer matches
    const error = await errorOf(
      signCSR({ ca, csrPem: encodePem("CERTIFICATE REQUEST", der), usage: "server" }),
    );
    expect(error.code).toBe("invalid-csr");
    expect(error.message).toContain("signature does not verify");
  });

  test("signs openssl-made requests (P-256 and Ed25519) but never copies their extensions, e.g. CA:TRUE", async () => {
    const p256 = await opensslCsr(
      ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
      "/O=os:operator/CN=op",
      ["subjectAltName=DNS:op.local,IP:192.168.1.4", "basicConstraints=critical,CA:TRUE"],
    );
    const ed = await opensslCsr(["-newkey", "ed25519"], "/CN=ed-node");
    for (const csrPem of [p256, ed]) {
      const crt = await signCSR({ ca, csrPem, usage: "both" });
      expect((await opensslVerify(ca.crt, crt)).code).toBe(0);
      expect(inspectCertificate(crt).isCA).toBe(false);
    }
    const info = inspectCertificate(await signCSR({ ca, csrPem: p256, usage: "client" }));
    expect(info.organizations).toEqual(["os:operator"]);
    expect(info.dnsNames).toEqual(["op.local"]);
    expect(info.ipAddresses).toEqual(["192.168.1.4"]);
  });

  test("refuses garbage, requests without a CN and SANs other than DNS/IP", async () => {
    expect((await errorOf(signCSR({ ca, csrPem: "garbage", usage: "server" }))).code).toBe("invalid-csr");
    const notCsr = encodePem("CERTIFICATE REQUEST", Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00));
    expect((await errorOf(signCSR({ ca, csrPem: notCsr, usage: "server" }))).code).toBe("invalid-csr");
    const noCn = await opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/O=x");
    expect((await errorOf(signCSR({ ca, csrPem: noCn, usage: "server" }))).message).toContain(
      "exactly one non-empty CN",
    );
    const email = await opensslCsr(["-newkey", "ed25519"], "/CN=m", ["subjectAltName=email:a@b.c"]);
    const error = await errorOf(signCSR({ ca, csrPem: email, usage: "server" }));
    expect(error.code).toBe("invalid-csr");
    expect(error.message).toContain("email:a@b.c");
  });

  test("bad options are invalid-argument", async () => {
    const csrPem = await createCSR({ privateKeyPem: keyPem, commonName: "x" });
    expect((await errorOf(signCSR({ ca, csrPem, usage: "nope" as never }))).code).toBe("invalid-argument");
    expect((await errorOf(signCSR({ ca, csrPem, usage: "server", allowedSans: ["not a name"] }))).code).toBe(
      "invalid-argument",
    );
  });

  test("a request for a key we do not issue for (RSA) is unsupported-algorithm", async () => {
    const rsa = await opensslCsr(["-newkey", "rsa:1024"], "/CN=rsa-node");
    const error = await errorOf(signCSR({ ca, csrPem: rsa, usage: "server" }));
    expect(error.code).toBe("unsupported-algorithm");
    expect(error.message).toContain("1.2.840.113549.1.1.1");
  });
});

describe("signCSR for trustd: the request's subject ignored, the caller's address always a SAN", () => {
  test("commonName replaces the subject (CN and O); a request without SANs still gets requiredSans", async () => {
    const csrPem = await createCSR({
      privateKeyPem: keyPem,
      commonName: "cp.cluster.example",
      organizations: ["os:admin"],
    });
    const crt = await signCSR({
      ca,
      csrPem,
      usage: "server",
      commonName: "10.0.0.7",
      requiredSans: ["10.0.0.7"],
      allowedSans: ["10.0.0.7"],
    });
    const info = inspectCertificate(crt);
    expect(info.commonName).toBe("10.0.0.7");
    expect(info.organizations).toEqual([]);
    expect(info.dnsNames).toEqual([]);
    expect(info.ipAddresses).toEqual(["10.0.0.7"]);
    expect(extensionText(await opensslText(crt), "X509v3 Subject Alternative Name")?.value).toBe(
      "IP Address:10.0.0.7",
    );
  });

  test("required names come first, requested ones after, without duplicates", async () => {
    const csrPem = await createCSR({
      privateKeyPem: keyPem,
      commonName: "w",
      ipAddresses: ["127.0.0.1", "10.0.0.7"],
      dnsNames: ["localhost"],
    });
    const crt = await signCSR({ ca, csrPem, usage: "server", commonName: "x", requiredSans: ["10.0.0.7"] });
    expect(inspectCertificate(crt).ipAddresses).toEqual(["10.0.0.7", "127.0.0.1"]);
    expect(inspectCertificate(crt).dnsNames).toEqual(["localhost"]);
  });

  test("a request with no CN at all is fine when the CN is given", async () => {
    const csrPem = await opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/O=x");
    const crt = await signCSR({
      ca,
      csrPem,
      usage: "server",
      commonName: "10.0.0.8",
      requiredSans: ["10.0.0.8"],
    });
    expect(inspectCertificate(crt).commonName).toBe("10.0.0.8");
    await expect(signCSR({ ca, csrPem, usage: "server" })).rejects.toThrow("exactly one non-empty CN");
  });
});
