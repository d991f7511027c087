import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { isCliError } from "../cli-error.ts";
import { type ApiServerFixture, startApiServerFixture } from "../testing/api-server-fixture.ts";
import { createTestIo } from "../testing/test-io.ts";
import { DEFAULT_CALL_TIMEOUT_MS, openNodeSession, withNodeSession } from "./node-client.ts";

let server: ApiServerFixture;
const io = createTestIo();
beforeAll(async () => {
  server = await startApiServerFixture({
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
