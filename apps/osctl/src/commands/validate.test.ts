import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestIo, osctl, type TestIo } from "../testing/test-io.ts";

let io: TestIo;
beforeAll(async () => {
  io = createTestIo();
  await osctl(io, "gen", "config", "v", "https://10.0.0.10:6443");
});
afterAll(() => io.cleanup());

test("a valid config: exit 0 and one line", async () => {
  const res = await osctl(io, "validate", "--config", "controlplane.yaml", "--mode", "metal");
  expect(res.code).toBe(0);
  expect(res.stdout).toBe("controlplane.yaml: valid for metal mode\n");
});

test("an invalid config: exit 1 and every error with file:line:column and field path", async () => {
  const text = readFileSync(join(io.dir, "worker.yaml"), "utf8")
    .replace("type: worker", "type: workr")
    .replace("dnsDomain: cluster.local", "dnsDomain: cluster.local\n    bogusField: 1");
  writeFileSync(join(io.dir, "broken.yaml"), text);
  const res = await osctl(io, "validate", "--config", "broken.yaml", "--mode", "metal");
  expect(res.code).toBe(1);
  const typeLine = text.split("\n").findIndex((l) => l.includes("type: workr")) + 1;
  expect(res.stderr).toMatch(new RegExp(`broken\\.yaml:${typeLine}:\\d+: error: machine\\.type`));
  expect(res.stderr).toContain("cluster.network");
  expect(res.stderr).toContain("bogusField");
  expect(res.stderr).toMatch(/2 errors/);
});

test("-o json reports the same errors as data", async () => {
  const res = await osctl(io, "validate", "--config", "broken.yaml", "--mode", "metal", "-o", "json");
  expect(res.code).toBe(1);
  const report = JSON.parse(res.stdout);
  expect(report.valid).toBe(false);
  expect(report.errors.length).toBe(2);
  expect(report.errors[0]).toMatchObject({ path: "machine.type", severity: "error" });
  expect(typeof report.errors[0].line).toBe("number");
});

test("--strict turns warnings into errors", async () => {
  const text = readFileSync(join(io.dir, "controlplane.yaml"), "utf8").replace("wipe: false", "wipe: true");
  writeFileSync(join(io.dir, "wipe.yaml"), text);
  const lax = await osctl(io, "validate", "--config", "wipe.yaml", "--mode", "metal");
  expect(lax.code).toBe(0);
  expect(lax.stderr).toContain("machine.install.wipe");
  const strict = await osctl(io, "validate", "--config", "wipe.yaml", "--mode", "metal", "--strict");
  expect(strict.code).toBe(1);
  expect(strict.stderr).toContain("machine.install.wipe");
});

test("usage errors exit 2: missing --mode, unknown mode, missing file is exit 1", async () => {
  expect((await osctl(io, "validate", "--config", "controlplane.yaml")).code).toBe(2);
  const bad = await osctl(io, "validate", "--config", "controlplane.yaml", "--mode", "cloud");
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--mode: unknown mode "cloud"');
  const missing = await osctl(io, "validate", "--config", "nope.yaml", "--mode", "metal");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("--config: cannot read nope.yaml");
});
