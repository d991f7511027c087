import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspectCertificate } from "@bronze/pki";
import { createTestIo, openssl, osctl, type TestIo } from "../testing/test-io.ts";

let io: TestIo;
beforeAll(() => {
  io = createTestIo();
});
afterAll(() => io.cleanup());

test("ca, key, csr and crt mint a client certificate that openssl verifies", async () => {
  expect((await osctl(io, "gen", "ca", "--organization", "os-ca", "--hours", "48")).code).toBe(0);
  expect((await osctl(io, "gen", "key", "--name", "ops", "--algorithm", "ed25519")).code).toBe(0);
  const csr = await osctl(io, "gen", "csr", "--key", "ops.key", "--ip", "10.0.0.5", "--roles", "os:operator");
  expect(csr.code).toBe(0);
  const crt = await osctl(
    io,
    "gen",
    "crt",
    "--ca",
    "os-ca",
    "--csr",
    "ops.csr",
    "--name",
    "ops",
    "--hours",
    "12",
  );
  expect(crt.stderr).toBe("");
  expect(crt.code).toBe(0);

  const info = inspectCertificate(readFileSync(join(io.dir, "ops.crt"), "utf8"));
  expect(info.organizations).toEqual(["os:operator"]);
  expect(info.ipAddresses).toEqual(["10.0.0.5"]);
  expect(info.extendedKeyUsages).toEqual(["clientAuth"]);
  expect((info.notAfter.getTime() - info.notBefore.getTime()) / 3_600_000).toBeCloseTo(12, 0);
  const ca = inspectCertificate(readFileSync(join(io.dir, "os-ca.crt"), "utf8"));
  expect(ca.isCA).toBe(true);
  const v = openssl("verify", "-CAfile", join(io.dir, "os-ca.crt"), join(io.dir, "ops.crt"));
  expect(v.output).toContain("ops.crt: OK");
});

test("errors name the flag: unreadable key, garbage CSR, bad algorithm", async () => {
  const noKey = await osctl(io, "gen", "csr", "--key", "missing.key");
  expect(noKey.code).toBe(1);
  expect(noKey.stderr).toContain("--key: cannot read missing.key");
  Bun.write(join(io.dir, "junk.csr"), "not a csr");
  const junk = await osctl(io, "gen", "crt", "--ca", "os-ca", "--csr", "junk.csr", "--name", "j");
  expect(junk.code).toBe(1);
  expect(junk.stderr).toContain("--csr junk.csr");
  const alg = await osctl(io, "gen", "key", "--name", "k", "--algorithm", "rsa");
  expect(alg.code).toBe(2);
  expect(alg.stderr).toContain('--algorithm: unknown algorithm "rsa"');
  const again = await osctl(io, "gen", "key", "--name", "ops");
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("refusing to overwrite");
});
