import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createTestIo, osctl, type TestIo } from "../testing/test-io.ts";

let io: TestIo;
let cfg: string;
beforeAll(async () => {
  io = createTestIo({ now: new Date() });
  cfg = join(io.dir, "merged");
  await osctl(io, "gen", "config", "alpha", "https://10.0.0.10:6443", "-o", "alpha");
  await osctl(io, "gen", "config", "beta", "https://10.0.0.20:6443", "-o", "beta");
});
afterAll(() => io.cleanup());

test("merge, contexts, switch, endpoint, node, info and remove work on one file", async () => {
  expect((await osctl(io, "--osconfig", cfg, "config", "merge", "alpha/osconfig")).code).toBe(0);
  const second = await osctl(io, "--osconfig", cfg, "config", "merge", "beta/osconfig");
  expect(second.stdout).toContain('current: "beta"');
  const again = await osctl(io, "--osconfig", cfg, "config", "merge", "alpha/osconfig");
  expect(again.stdout).toContain('renamed context "alpha" to "alpha-1"');

  const list = await osctl(io, "--osconfig", cfg, "config", "contexts", "-o", "json");
  expect(JSON.parse(list.stdout).map((c: { name: string; current: boolean }) => [c.name, c.current])).toEqual(
    [
      ["alpha", false],
      ["beta", false],
      ["alpha-1", true],
    ],
  );

  expect((await osctl(io, "--osconfig", cfg, "config", "context", "beta")).code).toBe(0);
  await osctl(io, "--osconfig", cfg, "config", "endpoint", "192.0.2.1", "192.0.2.2");
  await osctl(io, "--osconfig", cfg, "config", "node", "192.0.2.10");
  const table = await osctl(io, "--osconfig", cfg, "config", "contexts");
  expect(table.stdout).toMatch(/^\*\s+beta\s+192\.0\.2\.1,192\.0\.2\.2\s+192\.0\.2\.10$/m);

  const info = JSON.parse((await osctl(io, "--osconfig", cfg, "config", "info", "-o", "json")).stdout);
  expect(info).toMatchObject({ context: "beta", roles: ["os:admin"], nodes: ["192.0.2.10"] });
  expect(info.expiresIn).toMatch(/^36[45]d$/);

  // --context reads another context without switching
  const other = JSON.parse(
    (await osctl(io, "--osconfig", cfg, "--context", "alpha", "config", "info", "-o", "json")).stdout,
  );
  expect(other.context).toBe("alpha");

  expect((await osctl(io, "--osconfig", cfg, "config", "remove", "alpha-1")).code).toBe(0);
  const after = JSON.parse((await osctl(io, "--osconfig", cfg, "config", "contexts", "-o", "json")).stdout);
  expect(after.map((c: { name: string }) => c.name)).toEqual(["alpha", "beta"]);
});

test("OSCONFIG selects the file when --osconfig is absent", async () => {
  io.env.OSCONFIG = cfg;
  const res = await osctl(io, "config", "contexts", "-o", "yaml");
  io.env.OSCONFIG = undefined;
  expect(res.code).toBe(0);
  expect(res.stdout).toContain("name: beta");
});

test("errors name the file and the context", async () => {
  const unknown = await osctl(io, "--osconfig", cfg, "config", "context", "gamma");
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('context "gamma" not found (known: alpha, beta)');
  const missing = await osctl(io, "--osconfig", join(io.dir, "none"), "config", "info");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("does not exist");
});
