import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspectCertificate, verifyCertificate } from "@bronze/pki";
import { parse } from "yaml";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";

let server: FakeApid;
const io = createTestIo();
let admin = "";
let reader = "";

beforeAll(async () => {
  server = await startFakeApid({
    version: () => ({ version: { tag: "v-test" } }),
    reboot: () => ({}),
  });
  admin = join(io.dir, "admin");
  writeFileSync(admin, server.osconfig("os:admin", [server.endpoint]));
  reader = join(io.dir, "reader");
  writeFileSync(reader, server.osconfig("os:reader", [server.endpoint]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

interface Written {
  context: string;
  contexts: Record<string, { endpoints: string[]; nodes: string[]; ca: string; crt: string; key: string }>;
}
const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

test("config new writes an osconfig with one context for the role, signed by the node's CA", async () => {
  const out = join(io.dir, "reader-config");
  const before = Date.now();
  const res = await osctl(
    io,
    "--osconfig",
    admin,
    "config",
    "new",
    out,
    "--roles",
    "os:reader",
    "--crt-ttl",
    "24h",
  );
  // the certificate was issued between `before` and now
  const after = Date.now();
  expect(res).toMatchObject({ code: 0, stderr: "" });
  expect(res.stdout).toBe(`created ${out} (context "test-reader", role os:reader)\n`);
  expect(statSync(out).mode & 0o777).toBe(0o600);
  const written = parse(readFileSync(out, "utf8")) as Written;
  expect(written.context).toBe("test-reader");
  expect(Object.keys(written.contexts)).toEqual(["test-reader"]);
  const ctx = written.contexts["test-reader"];
  expect(ctx?.endpoints).toEqual([server.endpoint]);
  expect(ctx?.nodes).toEqual([]);
  expect(pem(ctx?.ca ?? "")).toBe(server.ca);
  const crt = pem(ctx?.crt ?? "");
  await verifyCertificate(crt, server.ca);
  const info = inspectCertificate(crt);
  expect(info.organizations).toEqual(["os:reader"]);
  // 24 hours from its issue (X.509 times are whole seconds: up to 1 s earlier)
  expect(info.notAfter.getTime()).toBeGreaterThan(before + 24 * 3_600_000 - 5_000);
  expect(info.notAfter.getTime()).toBeLessThanOrEqual(after + 24 * 3_600_000);
  expect(server.calls.at(-1)).toEqual({
    method: "GenerateClientConfiguration",
    node: null,
    role: "os:admin",
  });

  // The new config works, with the reader's rights only.
  const version = await osctl(io, "--osconfig", out, "version");
  expect(version.code).toBe(0);
  expect(server.calls.at(-1)).toEqual({ method: "Version", node: null, role: "os:reader" });
  const reboot = await osctl(io, "--osconfig", out, "reboot");
  expect(reboot.code).toBe(1);
  expect(reboot.stderr).toContain("permission denied");
});

test("the default role is os:admin; nodes from -n are asked and copied", async () => {
  const out = join(io.dir, "admin-config");
  const res = await osctl(io, "--osconfig", admin, "-n", "10.0.0.7", "config", "new", out);
  expect(res.code).toBe(0);
  const written = parse(readFileSync(out, "utf8")) as Written;
  expect(written.context).toBe("test-admin");
  expect(written.contexts["test-admin"]?.nodes).toEqual(["10.0.0.7"]);
  expect(inspectCertificate(pem(written.contexts["test-admin"]?.crt ?? "")).organizations).toEqual([
    "os:admin",
  ]);
  expect(server.calls.at(-1)).toEqual({
    method: "GenerateClientConfiguration",
    node: "10.0.0.7",
    role: "os:admin",
  });
});

test("a reader may not mint certificates: permission denied, nothing written", async () => {
  const out = join(io.dir, "from-reader");
  const res = await osctl(io, "--osconfig", reader, "config", "new", out, "--roles", "os:reader");
  expect(res.code).toBe(1);
  expect(res.stderr).toContain(
    `${server.endpoint}: permission denied: os:reader may not call GenerateClientConfiguration`,
  );
  expect(existsSync(out)).toBe(false);
});

test("an existing file is kept unless --force, and nothing is asked of the node", async () => {
  const out = join(io.dir, "existing");
  writeFileSync(out, "keep me\n");
  const calls = server.calls.length;
  const res = await osctl(io, "--osconfig", admin, "config", "new", out);
  expect(res.code).toBe(1);
  expect(res.stderr).toContain(`refusing to overwrite ${out}: it exists (use --force)`);
  expect(readFileSync(out, "utf8")).toBe("keep me\n");
  expect(server.calls.length).toBe(calls);
  expect((await osctl(io, "--osconfig", admin, "config", "new", out, "--force")).code).toBe(0);
  expect((parse(readFileSync(out, "utf8")) as Written).context).toBe("test-admin");
});

test("usage errors: two roles, several nodes, a bad --crt-ttl", async () => {
  const out = join(io.dir, "never");
  const two = await osctl(io, "--osconfig", admin, "config", "new", out, "--roles", "os:reader,os:admin");
  expect(two.code).toBe(2);
  expect(two.stderr).toContain(
    "--roles: a client certificate carries exactly one role (got os:reader, os:admin)",
  );
  const nodes = await osctl(io, "--osconfig", admin, "-n", "a,b", "config", "new", out);
  expect(nodes.code).toBe(2);
  expect(nodes.stderr).toContain("config new asks one node for the certificate");
  const ttl = await osctl(io, "--osconfig", admin, "config", "new", out, "--crt-ttl", "soon");
  expect(ttl.code).toBe(2);
  expect(ttl.stderr).toContain('--crt-ttl: "soon" is not a duration');
  expect(existsSync(out)).toBe(false);
});
