import { beforeAll, describe, expect, test } from "bun:test";
import { opensslVerify, opensslWithOutputs } from "../test/openssl.ts";
import { type CertificateAndKey, generateCA } from "./certificate-authority.ts";
import { issueCertificate } from "./issue-certificate.ts";
import { PkiError } from "./pki-error.ts";
import { verifyCertificate } from "./verify-certificate.ts";

const DAY = 86_400_000;
let ca: CertificateAndKey;
let sameNameCa: CertificateAndKey;
let otherCa: CertificateAndKey;
let leaf: CertificateAndKey;

beforeAll(async () => {
  [ca, sameNameCa, otherCa] = await Promise.all([
    generateCA({ commonName: "bronze" }),
    generateCA({ commonName: "bronze", algorithm: "ed25519" }),
    generateCA({ commonName: "kubernetes" }),
  ]);
  leaf = await issueCertificate({ ca, commonName: "admin", organizations: ["os:admin"], usage: "client" });
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

describe("verifyCertificate", () => {
  test("accepts a certificate issued by the CA (as openssl does)", async () => {
    await verifyCertificate(leaf.crt, ca.crt);
    expect((await opensslVerify(ca.crt, leaf.crt)).code).toBe(0);
  });

  test("a certificate from another CA with the same name: bad-signature (openssl refuses it too)", async () => {
    const error = await errorOf(verifyCertificate(leaf.crt, sameNameCa.crt));
    expect(error.code).toBe("bad-signature");
    expect(error.message).toContain("another CA");
    const openssl = await opensslVerify(sameNameCa.crt, leaf.crt);
    expect(openssl.code).not.toBe(0); // openssl finds no issuer whose key identifier matches
  });

  test("a certificate from a differently named CA: unknown-issuer", async () => {
    const error = await errorOf(verifyCertificate(leaf.crt, otherCa.crt));
    expect(error.code).toBe("unknown-issuer");
    expect(error.message).toContain('"CN=bronze"');
    expect((await opensslVerify(otherCa.crt, leaf.crt)).code).not.toBe(0);
  });

  test("expired: issued with `now` two years ago for one year (openssl agrees)", async () => {
    const oldCa = await generateCA({ commonName: "bronze", now: new Date(Date.now() - 1000 * DAY) });
    const old = await issueCertificate({
      ca: oldCa,
      commonName: "old",
      usage: "client",
      now: new Date(Date.now() - 730 * DAY),
    });
    const error = await errorOf(verifyCertificate(old.crt, oldCa.crt));
    expect(error.code).toBe("expired");
    expect(error.message).toContain('certificate "CN=old" expired at');
    const openssl = await opensslVerify(oldCa.crt, old.crt);
    expect(openssl.stdout + openssl.stderr).toContain("certificate has expired");
    // ...but it was valid back then
    await verifyCertificate(old.crt, oldCa.crt, new Date(Date.now() - 500 * DAY));
  });

  test("not-yet-valid before notBefore (the one-minute backdate included)", async () => {
    const now = new Date("2032-01-01T00:00:00Z");
    const future = await issueCertificate({ ca, commonName: "f", usage: "server", now });
    await verifyCertificate(future.crt, ca.crt, new Date(now.getTime() - 30_000)); // within the backdate
    const error = await errorOf(verifyCertificate(future.crt, ca.crt, new Date(now.getTime() - 61_000)));
    expect(error.code).toBe("not-yet-valid");
    expect(
      (await opensslVerify(ca.crt, future.crt, { atTime: new Date(now.getTime() - 3600_000) })).code,
    ).not.toBe(0);
  });

  test("an expired CA makes its certificates fail with expired, naming the CA", async () => {
    const now = Date.now();
    const shortCa = await generateCA({
      commonName: "short",
      validityDays: 10,
      now: new Date(now - 20 * DAY),
    });
    const child = await issueCertificate({
      ca: shortCa,
      commonName: "c",
      usage: "client",
      now: new Date(now - 15 * DAY),
    });
    const error = await errorOf(verifyCertificate(child.crt, shortCa.crt));
    expect(error.code).toBe("expired");
    expect(error.message).toContain('CA certificate "CN=short" expired');
  });

  test("an issuer that is not a CA: not-a-ca (openssl refuses too)", async () => {
    // An openssl "CA" with CA:FALSE signing a certificate with openssl.
    const made = await opensslWithOutputs(
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "fake.key",
        "-out",
        "fake.crt",
        "-subj",
        "/CN=fake",
        "-days",
        "5",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
      ],
      {},
      ["fake.crt", "fake.key"],
    );
    expect(made.code).toBe(0);
    const fakeCa = made.outputs["fake.crt"] as string;
    const signed = await opensslWithOutputs(
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "l.key",
        "-out",
        "l.crt",
        "-subj",
        "/CN=victim",
        "-days",
        "5",
        "-CA",
        "fake.crt",
        "-CAkey",
        "fake.key",
      ],
      { "fake.crt": fakeCa, "fake.key": made.outputs["fake.key"] as string },
      ["l.crt"],
    );
    expect(signed.code).toBe(0);
    const error = await errorOf(verifyCertificate(signed.outputs["l.crt"] as string, fakeCa));
    expect(error.code).toBe("not-a-ca");
    expect((await opensslVerify(fakeCa, signed.outputs["l.crt"] as string)).code).not.toBe(0);
  });

  test("a chain through an intermediate CA (made by openssl), and several trusted CAs", async () => {
    const intermediate = await opensslWithOutputs(
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "i.key",
        "-out",
        "i.crt",
        "-subj",
        "/CN=intermediate",
        "-days",
        "30",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      { "ca.crt": ca.crt, "ca.key": ca.key },
      ["i.crt", "i.key"],
    );
    expect(intermediate.code).toBe(0);
    const intermediateCa = {
      crt: intermediate.outputs["i.crt"] as string,
      key: intermediate.outputs["i.key"] as string,
    };
    const child = await issueCertificate({ ca: intermediateCa, commonName: "deep", usage: "server" });

    await verifyCertificate(child.crt + intermediateCa.crt, ca.crt);
    await verifyCertificate(child.crt + intermediateCa.crt, otherCa.crt + sameNameCa.crt + ca.crt);
    expect((await opensslVerify(ca.crt, child.crt, { untrustedPem: intermediateCa.crt })).code).toBe(0);
    expect((await errorOf(verifyCertificate(child.crt, ca.crt))).code).toBe("unknown-issuer");
    expect((await errorOf(verifyCertificate(child.crt + intermediateCa.crt, sameNameCa.crt))).code).toBe(
      "bad-signature",
    );
    // A leaf posing as an intermediate
    expect((await errorOf(verifyCertificate(child.crt + leaf.crt, ca.crt))).code).toBe("unknown-issuer");
  });

  test("unreadable input and a bad date are typed errors", async () => {
    expect((await errorOf(verifyCertificate("x", ca.crt))).code).toBe("invalid-pem");
    expect((await errorOf(verifyCertificate(leaf.crt, leaf.key))).code).toBe("invalid-pem");
    expect((await errorOf(verifyCertificate(leaf.crt, ca.crt, new Date("x")))).code).toBe("invalid-argument");
  });
});
