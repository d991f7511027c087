// The compiled osctl as users run it (scripts/build.ts): its lazily built command tree, its
// deferred built-ins and what it refuses to read from the directory it runs in.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTestIo, osctl } from "./testing/test-io.ts";

const dir = mkdtempSync(join(tmpdir(), "osctl-compiled-"));
const binary = join(dir, "osctl");
const io = createTestIo();

beforeAll(() => {
  const build = Bun.spawnSync(["bun", resolve(import.meta.dir, "../scripts/build.ts"), binary], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr}`);
}, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  io.cleanup();
});

function run(args: string[], cwd = dir) {
  const proc = Bun.spawnSync([binary, ...args], { cwd, stdout: "pipe", stderr: "pipe", env: { HOME: dir } });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

test("the binary's help is the in-process one, for the root and for a command", async () => {
  for (const args of [["--help"], ["etcd", "snapshot", "--help"], ["-n", "10.5.0.2", "logs", "--help"]]) {
    const compiled = run(args);
    const inProcess = await osctl(io, ...args);
    expect({ args, code: compiled.code, out: compiled.stdout }).toEqual({
      args,
      code: 0,
      out: inProcess.stdout,
    });
  }
});

test("commands run with commander's built-ins deferred; usage errors are exit 2", () => {
  const secrets = run(["gen", "secrets", "-o", join(dir, "secrets.yaml")]);
  expect(secrets.code).toBe(0);
  expect(Bun.file(join(dir, "secrets.yaml")).size).toBeGreaterThan(1000);
  const unknown = run(["frobnicate"]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("unknown command 'frobnicate'");
});

test("a bunfig.toml or .env in the working directory does not reach osctl", () => {
  const hostile = mkdtempSync(join(dir, "hostile-"));
  writeFileSync(join(hostile, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
  writeFileSync(join(hostile, "preload.ts"), 'console.log("PRELOAD RAN");\n');
  writeFileSync(join(hostile, ".env"), "OSCONFIG=/from/dotenv\n");
  const res = run(["config", "info"], hostile);
  expect(res.stdout + res.stderr).not.toContain("PRELOAD RAN");
  expect(res.stdout + res.stderr).not.toContain("/from/dotenv");
  expect(res.stderr).toContain(join(dir, ".osctl/config"));
});
