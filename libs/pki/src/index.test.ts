import { describe, expect, test } from "bun:test";
import * as pki from "./index.ts";

describe("public API", () => {
  test("exports the functions and classes osctl, trustd, apid and machined are written against", () => {
    const functions = [
      "generateKeyPair",
      "generateCA",
      "issueCertificate",
      "createCSR",
      "signCSR",
      "inspectCertificate",
      "verifyCertificate",
      "generateBootstrapToken",
      "generateRandomSecret",
      "generateSecretsBundle",
      "stringifySecretsBundle",
      "parseSecretsBundle",
      "issueClientCertificate",
      "encodePemBase64",
      "decodePemBase64",
    ] as const;
    const exported = new Map<string, unknown>(Object.entries(pki));
    for (const name of functions) expect(typeof exported.get(name)).toBe("function");
    expect(new pki.PkiError("expired", "x")).toBeInstanceOf(Error);
    // The role vocabulary has one home, @bronze/api.
    expect(exported.has("ROLES")).toBe(false);
    expect(exported.has("isRole")).toBe(false);
  });

  test("the path osctl gen config takes: bundle, admin certificate, osconfig-style base64, verification", async () => {
    const bundle = await pki.generateSecretsBundle();
    const admin = await pki.issueClientCertificate(bundle.certs.os, { role: "os:admin" });
    const crt = pki.decodePemBase64(pki.encodePemBase64(admin.crt));
    await pki.verifyCertificate(crt, bundle.certs.os.crt);
    expect(pki.inspectCertificate(crt).organizations).toEqual(["os:admin"]);
    const parsed = await pki.parseSecretsBundle(pki.stringifySecretsBundle(bundle));
    await pki.verifyCertificate(crt, parsed.certs.os.crt);
  });
});
