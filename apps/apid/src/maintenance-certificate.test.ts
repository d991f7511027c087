import { expect, test } from "bun:test";
import { inspectCertificate } from "@bronze/pki";
import { createMaintenanceCertificate } from "./maintenance-certificate.ts";

test("a short-lived serverAuth certificate whose fingerprint is its DER's SHA-256", async () => {
  const c = await createMaintenanceCertificate("fresh-node");
  const info = inspectCertificate(c.crt);
  expect(info.commonName).toBe("fresh-node");
  expect(info.extendedKeyUsages).toEqual(["serverAuth"]);
  expect(info.notAfter.getTime() - Date.now()).toBeLessThan(2 * 24 * 3600 * 1000);
  const der = Buffer.from(c.crt.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  expect(c.fingerprint).toBe(new Bun.CryptoHasher("sha256").update(der).digest("hex"));
  expect((await createMaintenanceCertificate("fresh-node")).fingerprint).not.toBe(c.fingerprint);
});
