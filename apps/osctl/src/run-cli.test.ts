import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { BRONZE_VERSION } from "@bronze/api";
import { createTestIo, osctl } from "./testing/test-io.ts";

const io = createTestIo();
afterAll(() => io.cleanup());

test("--help on every command exits 0 and describes it", async () => {
  const commands = [
    [],
    ["gen"],
    ["gen", "config"],
    ["gen", "secrets"],
    ["gen", "ca"],
    ["gen", "key"],
    ["gen", "csr"],
    ["gen", "crt"],
    ["validate"],
    ["machineconfig"],
    ["machineconfig", "patch"],
    ["config"],
    ["config", "contexts"],
    ["config", "context"],
    ["config", "endpoint"],
    ["config", "node"],
    ["config", "merge"],
    ["config", "remove"],
    ["config", "info"],
    ["config", "new"],
    ["version"],
    ["services"],
    ["service"],
    ["health"],
    ["logs"],
    ["dmesg"],
    ["events"],
    ["containers"],
    ["processes"],
    ["memory"],
    ["mounts"],
    ["stats"],
    ["ls"],
    ["read"],
    ["cp"],
    ["get"],
    ["get", "config"],
    ["apply-config"],
    ["reboot"],
    ["shutdown"],
  ];
  for (const command of commands) {
    const res = await osctl(io, ...command, "--help");
    expect({ command, code: res.code }).toEqual({ command, code: 0 });
    expect(res.stdout).toContain(`Usage: osctl ${command.join(" ")}`.trim());
  }
});

test("ps is containers' alias", async () => {
  const res = await osctl(io, "ps", "--help");
  expect(res.code).toBe(0);
  expect(res.stdout).toContain("Usage: osctl containers|ps [options]");
  expect(res.stdout).toContain("-k, --kubernetes");
});

test("--version prints the release", async () => {
  const res = await osctl(io, "--version");
  expect(res.code).toBe(0);
  expect(res.stdout.trim()).toBe(BRONZE_VERSION);
});

test("unknown commands and options are usage errors (exit 2) on stderr", async () => {
  const cmd = await osctl(io, "frobnicate");
  expect(cmd.code).toBe(2);
  expect(cmd.stderr).toContain("unknown command 'frobnicate'");
  const opt = await osctl(io, "gen", "secrets", "--bogus");
  expect(opt.code).toBe(2);
  expect(opt.stderr).toContain("unknown option '--bogus'");
});

test("the real binary entry point sets the process exit code", () => {
  const main = join(import.meta.dir, "main.ts");
  const ok = Bun.spawnSync(["bun", main, "--version"], { stdout: "pipe" });
  expect(ok.exitCode).toBe(0);
  const usage = Bun.spawnSync(["bun", main, "validate"], { stderr: "pipe" });
  expect(usage.exitCode).toBe(2);
  expect(usage.stderr.toString()).toContain("--config");
});
