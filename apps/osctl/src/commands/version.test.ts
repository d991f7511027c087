import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BRONZE_VERSION } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { type FakeApid, startFakeApid } from "../testing/fake-apid-fixture.ts";
import { createTestIo, osctl } from "../testing/test-io.ts";

let server: FakeApid;
const io = createTestIo();
let cfg = "";

beforeAll(async () => {
  server = await startFakeApid({
    version: (_req, ctx) => {
      const node = ctx.requestHeader.get("x-bronze-node") ?? "";
      if (node === "10.0.0.99") throw new ConnectError("node 10.0.0.99 is unreachable", Code.Unavailable);
      return {
        version: { tag: `tag-of-${node || "endpoint"}`, os: "linux", arch: "amd64" },
        platform: "qemu",
      };
    },
  });
  cfg = join(io.dir, "osconfig");
  writeFileSync(cfg, server.osconfig("os:reader", [server.endpoint], ["10.0.0.11"]));
});
afterAll(async () => {
  await server.close();
  io.cleanup();
});

test("version across two nodes: one call per node with the node header, each printed with its name", async () => {
  server.calls.length = 0;
  const res = await osctl(io, "--osconfig", cfg, "version", "-n", "10.0.0.11,10.0.0.12");
  expect(res.stderr).toBe("");
  expect(res.code).toBe(0);
  expect(server.calls.map((c) => c.node).sort()).toEqual(["10.0.0.11", "10.0.0.12"]);
  expect(server.calls.every((c) => c.role === "os:reader")).toBe(true);
  expect(res.stdout).toContain(`Client:\n\tTag:         ${BRONZE_VERSION}`);
  expect(res.stdout).toContain("NODE:        10.0.0.11\n\tTag:         tag-of-10.0.0.11");
  expect(res.stdout).toContain("NODE:        10.0.0.12\n\tTag:         tag-of-10.0.0.12");
});

test("the context's nodes are the default; JSON lists {node, ...}", async () => {
  const res = await osctl(io, "--osconfig", cfg, "version", "-o", "json");
  expect(res.code).toBe(0);
  const data = JSON.parse(res.stdout);
  expect(data.client.tag).toBe(BRONZE_VERSION);
  expect(data.nodes).toHaveLength(1);
  expect(data.nodes[0]).toMatchObject({
    node: "10.0.0.11",
    platform: "qemu",
    version: { tag: "tag-of-10.0.0.11" },
  });
});

test("one node failing: the other is printed, the failure named with the node, exit 1", async () => {
  const res = await osctl(io, "--osconfig", cfg, "-n", "10.0.0.99,10.0.0.12", "version");
  expect(res.code).toBe(1);
  expect(res.stdout).toContain("tag-of-10.0.0.12");
  expect(res.stdout).not.toContain("10.0.0.99");
  expect(res.stderr).toBe("error: 10.0.0.99: unavailable: node 10.0.0.99 is unreachable\n");
});

test("no nodes anywhere: no header, the endpoint's node answers under the endpoint's name", async () => {
  const bare = join(io.dir, "bare");
  writeFileSync(bare, server.osconfig("os:admin", [server.endpoint]));
  server.calls.length = 0;
  const res = await osctl(io, "--osconfig", bare, "version", "-o", "yaml");
  expect(res.code).toBe(0);
  expect(server.calls).toEqual([{ method: "Version", node: null, role: "os:admin" }]);
  expect(res.stdout).toContain(`node: ${server.endpoint}`);
  expect(res.stdout).toContain("tag: tag-of-endpoint");
});

test("-e overrides the context's endpoint; a refused connection names the endpoint", async () => {
  const res = await osctl(io, "--osconfig", cfg, "-e", "127.0.0.1:1", "version");
  expect(res.code).toBe(1);
  expect(res.stderr).toBe(
    "error: 10.0.0.11: cannot connect to 127.0.0.1:1: connection refused (is apid running there?)\n",
  );
});

test("a server certificate from another CA is named as such", async () => {
  const other = await startFakeApid({});
  try {
    const wrong = join(io.dir, "wrong-ca");
    writeFileSync(wrong, other.osconfig("os:admin", [server.endpoint]));
    const res = await osctl(io, "--osconfig", wrong, "version");
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `TLS: the server certificate of ${server.endpoint} is not signed by the context's CA`,
    );
  } finally {
    await other.close();
  }
});

test("no endpoint is a clear usage error", async () => {
  const none = join(io.dir, "none");
  writeFileSync(none, server.osconfig("os:admin", []));
  const res = await osctl(io, "--osconfig", none, "version");
  expect(res.code).toBe(2);
  expect(res.stderr).toContain("no endpoint: give one with -e");
});
