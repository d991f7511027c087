import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { createTestIo, osctl, type TestIo } from "../testing/test-io.ts";

let io: TestIo;
beforeAll(async () => {
  io = createTestIo();
  await osctl(io, "gen", "config", "m", "https://10.0.0.10:6443");
});
afterAll(() => io.cleanup());

test("strategic then JSON patches apply in order and print the result", async () => {
  writeFileSync(join(io.dir, "a.yaml"), "machine:\n  network:\n    hostname: node-a\n");
  writeFileSync(
    join(io.dir, "b.json"),
    '[{"op":"replace","path":"/machine/network/hostname","value":"node-b"}]',
  );
  const res = await osctl(
    io,
    "machineconfig",
    "patch",
    "worker.yaml",
    "--patch",
    "@a.yaml",
    "--patch",
    "@b.json",
  );
  expect(res.stderr).toBe("");
  expect(res.code).toBe(0);
  expect(parse(res.stdout).machine.network.hostname).toBe("node-b");
});

test("-o writes the result to a file, through the mc alias", async () => {
  const res = await osctl(
    io,
    "mc",
    "patch",
    "worker.yaml",
    "-p",
    "machine:\n  env:\n    A: b\n",
    "-o",
    "out.yaml",
  );
  expect(res.code).toBe(0);
  expect(parse(readFileSync(join(io.dir, "out.yaml"), "utf8")).machine.env).toEqual({ A: "b" });
});

test("a patch producing an invalid config fails with the field path and leaves the output untouched", async () => {
  const before = readFileSync(join(io.dir, "out.yaml"), "utf8");
  const res = await osctl(
    io,
    "mc",
    "patch",
    "worker.yaml",
    "-p",
    "machine:\n  type: database\n",
    "-o",
    "out.yaml",
  );
  expect(res.code).toBe(1);
  expect(res.stderr).toContain("machine.type");
  expect(readFileSync(join(io.dir, "out.yaml"), "utf8")).toBe(before);
});

test("a JSON patch op that cannot apply is an error naming the patch", async () => {
  const res = await osctl(io, "mc", "patch", "worker.yaml", "-p", '[{"op":"remove","path":"/machine/nope"}]');
  expect(res.code).toBe(1);
  expect(res.stderr).toContain("patching worker.yaml");
  expect(res.stderr).toContain("/machine/nope");
});

test("no patch at all is a usage error", async () => {
  expect((await osctl(io, "mc", "patch", "worker.yaml")).code).toBe(2);
});
