import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateCA, issueCertificate, issueClientCertificate } from "@bronze/pki";
import { parse, stringify } from "yaml";
import { isCliError } from "../cli-error.ts";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";
import { DEFAULT_CALL_TIMEOUT_MS, openNodeSession, withNodeSession } from "./node-client.ts";

let server: FakeApid;
const io = createTestIo();
beforeAll(async () => {
  server = await startFakeApid({
    hostname: (_req, ctx) => ({ hostname: `host-${ctx.requestHeader.get("x-bronze-node") ?? "self"}` }),
  });
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

async function error(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (isCliError(e)) return e.message;
    throw e;
  }
  throw new Error("expected an error");
}

test("a session from the context: endpoint, nodes, default timeout, real mTLS calls", async () => {
  const path = join(io.dir, "cfg");
  writeFileSync(path, server.osconfig("os:operator", [server.endpoint, "10.9.9.9"], ["n1"]));
  await withNodeSession({ osconfig: path }, io, {}, async (session) => {
    expect(session.endpoint).toBe(server.endpoint);
    expect(session.nodes).toEqual(["n1"]);
    expect(session.timeoutMs).toBe(DEFAULT_CALL_TIMEOUT_MS);
    const res = await session.client.hostname({}, { headers: { "x-bronze-node": "n1" } });
    expect(res.hostname).toBe("host-n1");
  });
  expect(server.calls.at(-1)).toEqual({ method: "Hostname", node: "n1", role: "os:operator" });
});

test("flags win over the context; --timeout over the command's default", async () => {
  const path = join(io.dir, "cfg2");
  writeFileSync(path, server.osconfig("os:admin", ["10.9.9.9"], ["n1"]));
  const session = await openNodeSession(
    { osconfig: path, endpoints: [server.endpoint], nodes: ["a", "b"], timeout: 1234 },
    io,
    { defaultTimeoutMs: 99 },
  );
  expect([session.endpoint, session.nodes, session.timeoutMs]).toEqual([server.endpoint, ["a", "b"], 1234]);
  session.close();
});

test("a broken certificate in the osconfig names the file, context and field", async () => {
  const path = join(io.dir, "broken");
  writeFileSync(
    path,
    `context: c\ncontexts:\n  c:\n    endpoints: [${server.endpoint}]\n    ca: bm90IHBlbQ==\n    crt: x\n    key: y\n`,
  );
  expect(await error(openNodeSession({ osconfig: path }, io))).toBe(
    `${path}: context "c": ca is not base64 of a PEM document`,
  );
});

test("--insecure needs exactly one node", async () => {
  expect(await error(openNodeSession({ nodes: ["a", "b"] }, io, { insecureFingerprint: "00" }))).toContain(
    "--insecure talks to exactly one node",
  );
  expect(await error(openNodeSession({}, io, { insecureFingerprint: "00" }))).toContain("exactly one node");
});

/** The fixture's admin osconfig with another client certificate (and optionally another CA). */
function osconfigWith(name: string, crt: { crt: string; key: string }, ca?: string): string {
  const config = parse(server.osconfig("os:admin", [server.endpoint], ["10.5.0.2", "10.5.0.3"]));
  const b64 = (pem: string) => Buffer.from(pem).toString("base64");
  Object.assign(config.contexts.test, { crt: b64(crt.crt), key: b64(crt.key) }, ca ? { ca: b64(ca) } : {});
  const path = join(io.dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

test("a client certificate the (fake) apid refuses at the TLS handshake: each node's error says what and where, exit 1", async () => {
  const other = await generateCA({ commonName: "other", organization: "other-cluster" });
  const expired = await issueClientCertificate(server.caAndKey, {
    role: "os:admin",
    validityDays: 1,
    now: new Date("2026-01-01T00:00:00Z"),
  });
  const refused = `TLS handshake with ${server.endpoint} failed: apid closed the connection right after the handshake: it rejected the client certificate`;
  const cases = [
    {
      name: "expired",
      crt: expired,
      why: `${refused}: the client certificate expired at 2026-01-02T00:00:00Z`,
    },
    {
      name: "foreign",
      crt: await issueClientCertificate(other, { role: "os:admin" }),
      why: `${refused}: the client certificate is not signed by the context's CA (its issuer is O=other-cluster, CN=other)`,
    },
    {
      // The server's certificate checked against another CA: the call's own error says so.
      name: "server of another CA",
      crt: server.clients["os:admin"],
      ca: other.crt,
      why: `TLS: the server certificate of ${server.endpoint} is not signed by the context's CA (SELF_SIGNED_CERT_IN_CHAIN)`,
    },
  ];
  for (const c of cases) {
    const res = await osctl(io, "--osconfig", osconfigWith(c.name, c.crt, c.ca), "version");
    expect({
      name: c.name,
      code: res.code,
      stderr: res.stderr,
      server: res.stdout.includes("Server"),
    }).toEqual({
      name: c.name,
      code: 1,
      stderr: `error: 10.5.0.2: ${c.why}\nerror: 10.5.0.3: ${c.why}\n`,
      server: false,
    });
  }
});

test("nothing listening at the endpoint: connection refused, named", async () => {
  const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const endpoint = `127.0.0.1:${closed.port}`;
  closed.stop(true);
  const path = join(io.dir, "refused");
  writeFileSync(path, server.osconfig("os:admin", [endpoint]));
  const res = await osctl(io, "--osconfig", path, "version");
  expect({ code: res.code, stderr: res.stderr }).toEqual({
    code: 1,
    stderr: `error: ${endpoint}: cannot connect to ${endpoint}: connection refused (is apid running there?)\n`,
  });
});

test("a server certificate naming the endpoint only in its CN is refused (never matched by CN)", async () => {
  // Signed by the context's CA, as trustd signed any CN for a token holder; no SAN names "localhost".
  const impostor = await issueCertificate({
    ca: server.caAndKey,
    commonName: "localhost",
    usage: "server",
    ipAddresses: ["10.9.9.9"],
  });
  const fake = await startFakeApid(
    { version: () => ({ version: { tag: "impostor" } }) },
    { requireClientCert: false, serverCert: impostor },
  );
  try {
    const endpoint = `localhost:${fake.port}`;
    const res = await osctl(
      io,
      "--osconfig",
      osconfigWith("cn-only", server.clients["os:admin"]),
      "-e",
      endpoint,
      "version",
    );
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain("impostor");
    expect(res.stderr).toContain(
      `error: 10.5.0.2: TLS: the server certificate of ${endpoint} does not name that address (the server certificate does not name localhost among its subject alternative names (it names: IP Address:10.9.9.9); its common name is never accepted)`,
    );
    expect(fake.calls).toEqual([]);
  } finally {
    await fake.close();
  }
});
