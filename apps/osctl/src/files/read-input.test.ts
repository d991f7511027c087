import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestIo, type TestIo } from "../testing/test-io.ts";
import { readInput } from "./read-input.ts";

let io: TestIo;
afterEach(() => io.cleanup());

test("inline text is taken as is", async () => {
  io = createTestIo();
  expect(await readInput("machine: {}", io, "--patch")).toEqual({
    source: "--patch (inline)",
    text: "machine: {}",
  });
});

test("@path reads the file relative to the working directory", async () => {
  io = createTestIo();
  writeFileSync(join(io.dir, "p.yaml"), "cluster: {}");
  expect(await readInput("@p.yaml", io, "--patch")).toEqual({ source: "p.yaml", text: "cluster: {}" });
});

test("- and @- read standard input", async () => {
  io = createTestIo({ stdin: "from stdin" });
  expect((await readInput("-", io, "--patch")).text).toBe("from stdin");
  expect((await readInput("@-", io, "--patch")).source).toBe("stdin");
});

test("a missing file names the flag and the path", async () => {
  io = createTestIo();
  await expect(readInput("@nope.yaml", io, "--patch")).rejects.toThrow(
    "--patch: cannot read nope.yaml: no such file",
  );
});
