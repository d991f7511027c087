// The compiled osctl is what users run: build it once and drive the real binary, including the
// lazily loaded command entry points and their error paths (exit codes cross bundle boundaries).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let dir = "";
let binary = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "osctl-compiled-"));
  binary = join(dir, "osctl");
  const build = Bun.spawnSync(["bun", join(import.meta.dir, "build.ts"), binary], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const proc = Bun.spawnSync([binary, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

test("--help lists the commands", () => {
  const res = run("--help");
  expect(res.code).toBe(0);
  for (const command of ["gen", "validate", "machineconfig", "config"]) expect(res.stdout).toContain(command);
});

test("gen config, validate and config info work from the binary", () => {
  expect(run("gen", "config", "bin", "https://10.0.0.10:6443", "-o", "out").code).toBe(0);
  expect(existsSync(join(dir, "out/osconfig"))).toBe(true);
  const valid = run("validate", "--config", "out/controlplane.yaml", "--mode", "metal");
  expect(valid.stdout).toBe("out/controlplane.yaml: valid for metal mode\n");
  const info = run("--osconfig", "out/osconfig", "config", "info", "-o", "json");
  expect(JSON.parse(info.stdout).roles).toEqual(["os:admin"]);
});

test("errors keep their exit codes and messages in the binary", () => {
  const again = run("gen", "config", "bin", "https://10.0.0.10:6443", "-o", "out");
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("refusing to overwrite");
  writeFileSync(
    join(dir, "bad.yaml"),
    readFileSync(join(dir, "out/worker.yaml"), "utf8").replace("type: worker", "type: 7"),
  );
  const invalid = run("validate", "--config", "bad.yaml", "--mode", "metal");
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toMatch(/bad\.yaml:\d+:\d+: error: machine\.type/);
  expect(run("validate", "--config", "bad.yaml").code).toBe(2);
});
