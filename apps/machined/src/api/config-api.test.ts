// Security review C2 and M3 against the real machine API server (HTTP/2 on a unix socket, gRPC
// transport): hostile configs sent to ApplyConfiguration, and GetConfiguration as a reader.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { MachineService, ROLE_HEADER, type Role } from "@bronze/api";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type ApiServer, startApiServer } from "./api-server.ts";
import { type Fixture, makeFixture } from "./testing/api-fixture.ts";

const testdata = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const worker = readFileSync(join(testdata, "worker.yaml"), "utf8");
const enc = (s: string) => new TextEncoder().encode(s);

let f: Fixture;
let server: ApiServer;
let socketPath: string;

beforeAll(async () => {
  f = makeFixture();
  socketPath = join(f.dir, "run", "machine.sock");
  server = await startApiServer({ socketPath, context: f.ctx, closeGraceMs: 500 });
});

afterAll(async () => {
  await server?.close();
  await f?.cleanup();
});

/** One HTTP/2 session per client, as apid keeps one to machined for all its callers. */
function client(role: Role) {
  const setRole: Interceptor = (next) => (req) => {
    req.header.set(ROLE_HEADER, role);
    return next(req);
  };
  const socket = { createConnection: () => connect(socketPath) };
  return createClient(
    MachineService,
    createGrpcTransport({ baseUrl: "http://localhost", nodeOptions: socket, interceptors: [setRole] }),
  );
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => Promise.reject(new Error("expected a failure")),
    (e: unknown) => ConnectError.from(e),
  );

test("4,000 empty machine.files entries: a bounded error, and the session survives it", async () => {
  const admin = client("os:admin");
  const text = worker.replace(/^machine:\n/m, `machine:\n  files: [${Array(4000).fill("{}").join(",")}]\n`);
  const err = await failure(admin.applyConfiguration({ data: enc(text), dryRun: true }));
  expect(err.code).toBe(Code.InvalidArgument);
  expect(err.rawMessage).toContain("machine.files[0].content: required field is missing");
  expect(err.rawMessage).toContain("… and 15900 more errors not shown");
  expect(err.rawMessage.split("\n")).toHaveLength(102);
  // The same HTTP/2 session still serves other calls (a huge grpc-message used to tear it down).
  expect((await admin.version({})).version).toBeDefined();
});

test("100k empty documents and a 2 MB config are refused before parsing", async () => {
  const admin = client("os:admin");
  const docs = await failure(
    admin.applyConfiguration({ data: enc(`${worker}${"---\n".repeat(100_000)}`), dryRun: true }),
  );
  expect(docs.code).toBe(Code.InvalidArgument);
  expect(docs.rawMessage).toContain(
    "the config has 100,001 YAML documents; the limit is 64 [too_many_documents]",
  );
  const big = await failure(
    admin.applyConfiguration({ data: enc(`${worker}#${"x".repeat(2 * 1024 * 1024)}\n`), dryRun: true }),
  );
  expect(big.rawMessage).toContain("[config_too_large]");
  expect(big.rawMessage).not.toContain("xxxx");
});

test("a valid config with 6,000 comment lines gets its dry-run diff", async () => {
  f.store.save(worker);
  const text = `${worker}${"# comment\n".repeat(6000)}`;
  const reply = await client("os:admin").applyConfiguration({ data: enc(text), dryRun: true });
  expect(reply.dryRun).toBe(true);
  expect(reply.diff.split("\n").filter((l) => l === "+# comment")).toHaveLength(6000);
});

test("GetConfiguration redacts by schema path for readers and operators", async () => {
  f.store.save(
    `${worker.replace(
      "  type: worker\n",
      [
        "  type: worker",
        "  env:",
        "    HTTPS_PROXY: http://svc:Pr0xyPassw0rd@proxy.example:3128 # the proxy",
        "  files:",
        '    - content: \'{"auths": {"r.example": {"auth": "dXNlcjpSZWdQYXNz"}}}\'',
        "      permissions: 0o600",
        "      path: /var/cri/auth.json",
        "      op: create",
        "",
      ].join("\n"),
    )}---
apiVersion: v1alpha1
kind: ExtensionServiceConfig
name: backup
configFiles:
  - content: "secret_key = S3cretKeyValue"
    mountPath: /etc/backup.conf
environment:
  - S3_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENG
`,
  );
  for (const role of ["os:reader", "os:operator"] as const) {
    const reply = await client(role).getConfiguration({});
    expect(reply.redacted).toBe(true);
    const text = new TextDecoder().decode(reply.data);
    for (const secret of [
      "Pr0xyPassw0rd",
      "dXNlcjpSZWdQYXNz",
      "S3cretKeyValue",
      "wJalrXUtnFEMIK7MDENG",
      "q3k7vz",
    ])
      expect(text).not.toContain(secret);
    expect(text).not.toContain("# the proxy");
    expect(text).toContain("S3_SECRET_ACCESS_KEY=******");
    expect(text).toContain("path: /var/cri/auth.json");
  }
  const admin = new TextDecoder().decode((await client("os:admin").getConfiguration({})).data);
  expect(admin).toContain("Pr0xyPassw0rd");
});
