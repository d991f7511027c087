import { afterAll, expect, test } from "bun:test";
import { createPrivateKey, sign, verify, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "@bronze/config-schema";
import { decodePemBase64, inspectCertificate, verifyCertificate } from "@bronze/pki";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseAllDocuments } from "yaml";
import { ConfigWorkerError } from "../../config/config-worker-client.ts";
import { FakeClock } from "../../testing/fake-clock.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { DEFAULT_CLIENT_CRT_TTL_MS } from "./client-configuration.ts";

const testdata = join(import.meta.dir, "../../../../../libs/config-schema/testdata");
const worker = readFileSync(join(testdata, "worker.yaml"), "utf8");
const controlplane = readFileSync(join(testdata, "controlplane.yaml"), "utf8");
const [machineDoc] = parseAllDocuments(controlplane) as ReturnType<typeof parseAllDocuments> & unknown[];
const osCaCrt = decodePemBase64(String(machineDoc?.getIn(["machine", "ca", "crt"])));
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

// The testdata CA is recent: the fake wall clock starts now, not at its 2025 default.
const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
const f = makeFixture({ clock });
afterAll(() => f.cleanup());
f.store.save(controlplane);
const now = new Date(clock.now());

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("expected a failure");
}

test("an admin gets a certificate for the role asked, signed by the OS CA of the config in force", async () => {
  for (const role of ["os:admin", "os:operator", "os:reader"]) {
    const res = await f.client("os:admin").generateClientConfiguration({
      roles: [role],
      crtTtl: durationFromMs(24 * 3600_000),
    });
    expect(dec(res.ca)).toBe(osCaCrt);
    const crt = dec(res.crt);
    await verifyCertificate(crt, dec(res.ca), now);
    const info = inspectCertificate(crt);
    expect(info.organizations).toEqual([role]);
    expect(info.extendedKeyUsages).toEqual(["clientAuth"]);
    expect(info.notAfter.getTime() - now.getTime()).toBe(24 * 3600_000);
    expect(dec(res.key)).toContain("-----BEGIN PRIVATE KEY-----");
    // The key is the certificate's: a signature made with it verifies with the certificate's key.
    const data = Buffer.from("proof");
    const signature = sign("sha256", data, createPrivateKey(dec(res.key)));
    expect(verify("sha256", data, new X509Certificate(crt).publicKey, signature)).toBe(true);
  }
});

test("without crt_ttl the certificate lasts a year", async () => {
  const res = await f.client("os:admin").generateClientConfiguration({ roles: ["os:reader"] });
  const info = inspectCertificate(dec(res.crt));
  expect(info.notAfter.getTime() - now.getTime()).toBe(DEFAULT_CLIENT_CRT_TTL_MS);
});

test("only admins may mint certificates", async () => {
  for (const role of ["os:operator", "os:reader", "os:impersonator"] as const) {
    const e = await failure(f.client(role).generateClientConfiguration({ roles: ["os:reader"] }));
    expect(e.code).toBe(Code.PermissionDenied);
  }
});

test("roles: exactly one of admin, operator, reader; a bad one is named", async () => {
  const admin = f.client("os:admin");
  const cases: [string[], string][] = [
    [["os:root"], '"os:root" is not a role; expected one of os:admin, os:operator, os:reader'],
    [["os:impersonator"], '"os:impersonator" is not handed out to clients'],
    [["os:reader", "os:bogus"], '"os:bogus" is not a role'],
    [[], "roles: none given"],
    [
      ["os:reader", "os:admin"],
      "roles: 2 given (os:reader, os:admin); a client certificate carries exactly one role",
    ],
  ];
  for (const [roles, message] of cases) {
    const e = await failure(admin.generateClientConfiguration({ roles }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toContain("GenerateClientConfiguration: ");
    expect(e.rawMessage).toContain(message);
  }
});

test("crt_ttl: one minute to ten years", async () => {
  const admin = f.client("os:admin");
  for (const ms of [59_000, 0, 3651 * 86_400_000]) {
    const e = await failure(
      admin.generateClientConfiguration({ roles: ["os:reader"], crtTtl: durationFromMs(ms) }),
    );
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.rawMessage).toContain(`crt_ttl: ${ms / 1000}s is out of bounds; expected 1 minute to 10 years`);
  }
  for (const ms of [60_000, 3650 * 86_400_000]) {
    const res = await admin.generateClientConfiguration({ roles: ["os:reader"], crtTtl: durationFromMs(ms) });
    expect(inspectCertificate(dec(res.crt)).notAfter.getTime() - now.getTime()).toBe(ms);
  }
});

test("a worker has no CA key, and a node without config has no CA: FailedPrecondition saying so", async () => {
  const w = makeFixture();
  try {
    const none = await failure(w.client("os:admin").generateClientConfiguration({ roles: ["os:reader"] }));
    expect(none.code).toBe(Code.FailedPrecondition);
    expect(none.rawMessage).toContain("no machine config (maintenance mode)");
    w.store.save(worker);
    const e = await failure(w.client("os:admin").generateClientConfiguration({ roles: ["os:reader"] }));
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.rawMessage).toContain(
      "this worker node's config has no OS CA key (machine.ca.key): only control-plane nodes can issue client certificates",
    );
  } finally {
    await w.cleanup();
  }
});

test("the config in force is read in the config worker: one that fails is FailedPrecondition saying so", async () => {
  const timeout = new ConfigWorkerError("Timeout", "validating the config took longer than 10s (the limit)");
  const refuse = () => Promise.reject(timeout);
  const w = makeFixture({}, { check: { validate: refuse, diff: refuse, redact: refuse } });
  try {
    w.store.save(controlplane);
    const e = await failure(w.client("os:admin").generateClientConfiguration({ roles: ["os:reader"] }));
    expect(e.code).toBe(Code.FailedPrecondition);
    expect(e.rawMessage).toBe(
      "GenerateClientConfiguration: cannot read the config in force: validating the config took longer than 10s (the limit)",
    );
  } finally {
    await w.cleanup();
  }
});

test("with the parsed config in force at hand, the worker is not asked: a busy node still issues", async () => {
  const timeout = new ConfigWorkerError("Timeout", "validating the config took longer than 10s (the limit)");
  const refuse = () => Promise.reject(timeout);
  const parsed = validateConfig(controlplane, { mode: "container" }).config;
  expect(parsed?.machine.ca?.key).toBeDefined();
  const w = makeFixture(
    { clock, configInForce: () => parsed },
    { check: { validate: refuse, diff: refuse, redact: refuse } },
  );
  try {
    w.store.save(controlplane);
    const res = await w.client("os:admin").generateClientConfiguration({ roles: ["os:reader"] });
    expect(inspectCertificate(dec(res.crt)).organizations).toEqual(["os:reader"]);
  } finally {
    await w.cleanup();
  }
});
