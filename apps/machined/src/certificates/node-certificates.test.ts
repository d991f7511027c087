import { expect, test } from "bun:test";
import { generateCA, inspectCertificate, verifyCertificate } from "@bronze/pki";
import { issueControlPlaneCertificates, renewalDelayMs } from "./node-certificates.ts";

const file = (files: readonly { name: string; data: string; mode: number }[], name: string) => {
  const found = files.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
};

test("a control plane's apid, impersonator and trustd files, signed by the OS CA", async () => {
  const now = new Date("2026-11-27T00:00:00Z");
  const ca = await generateCA({ commonName: "bronze", organization: "bronze", algorithm: "ed25519", now });
  const certs = await issueControlPlaneCertificates({
    ca,
    identity: { hostname: "cp-1", addresses: ["10.0.0.10"], certSANs: ["cp.bronze.example", "192.0.2.7"] },
    token: "q3k7vz.8f2mxw0c1pl4hb9d",
    now,
  });
  expect(certs.apid.map((f) => f.name)).toEqual([
    "ca.crt",
    "server.crt",
    "server.key",
    "impersonator.crt",
    "impersonator.key",
  ]);
  expect(certs.apid.map((f) => f.mode)).toEqual([0o644, 0o644, 0o600, 0o644, 0o600]);
  const server = inspectCertificate(file(certs.apid, "server.crt").data);
  expect(server.commonName).toBe("cp-1");
  expect(server.extendedKeyUsages).toEqual(["serverAuth"]);
  expect(server.dnsNames.sort()).toEqual(["cp-1", "cp.bronze.example", "localhost"]);
  expect(server.ipAddresses.sort()).toEqual(["10.0.0.10", "127.0.0.1", "192.0.2.7", "::1"]);
  expect(server.notAfter.getTime() - now.getTime()).toBe(365 * 86_400_000);
  const impersonator = inspectCertificate(file(certs.apid, "impersonator.crt").data);
  expect(impersonator.organizations).toEqual(["os:impersonator"]);
  expect(impersonator.extendedKeyUsages).toEqual(["clientAuth"]);
  for (const name of ["server.crt", "impersonator.crt"]) {
    await expect(verifyCertificate(file(certs.apid, name).data, ca.crt, now)).resolves.toBeUndefined();
  }
  const trustd = certs.trustd ?? [];
  expect(trustd.map((f) => f.name)).toEqual(["ca.crt", "ca.key", "server.crt", "server.key", "token"]);
  expect(file(trustd, "ca.key").data).toBe(ca.key);
  expect(file(trustd, "ca.key").mode).toBe(0o600);
  expect(file(trustd, "token").data).toBe("q3k7vz.8f2mxw0c1pl4hb9d");
  expect(file(trustd, "server.crt").data).toBe(file(certs.apid, "server.crt").data);
  // renewal at two thirds of the lifetime
  const delay = renewalDelayMs(certs, now.getTime());
  const lifetime = certs.notAfter.getTime() - certs.notBefore.getTime();
  expect(Math.abs(delay - ((lifetime * 2) / 3 - (now.getTime() - certs.notBefore.getTime())))).toBeLessThan(
    2,
  );
  expect(renewalDelayMs(certs, certs.notAfter.getTime())).toBe(0);
});
