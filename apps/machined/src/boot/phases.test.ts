import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateConfig } from "@bronze/config-schema";
import { parseKernelArgs } from "./kernel-args.ts";
import { nodePaths } from "./node-paths.ts";
import { chooseHostname, rebootCommand, systemMounts } from "./phases.ts";

const worker = validateConfig(
  readFileSync(join(import.meta.dir, "../../../../libs/config-schema/testdata/worker.yaml"), "utf8"),
  { mode: "metal" },
).config;

describe("phase helpers", () => {
  test("rebootCommand: shutdowns power off unless bronze.shutdown=halt; reboot and reset restart", () => {
    expect(rebootCommand("shutdown", parseKernelArgs(""))).toBe("poweroff");
    expect(rebootCommand("shutdown", parseKernelArgs("bronze.shutdown=halt"))).toBe("halt");
    expect(rebootCommand("shutdown", parseKernelArgs("bronze.shutdown=poweroff"))).toBe("poweroff");
    expect(rebootCommand("reboot", parseKernelArgs("bronze.shutdown=halt"))).toBe("restart");
    expect(rebootCommand("reset", parseKernelArgs(""))).toBe("restart");
  });

  test("chooseHostname: the config's first, then bronze.hostname=", () => {
    expect(worker).toBeDefined();
    expect(chooseHostname(worker, parseKernelArgs("bronze.hostname=other"))).toBe("worker-1");
    expect(chooseHostname(undefined, parseKernelArgs("bronze.hostname=other"))).toBe("other");
    expect(chooseHostname(undefined, parseKernelArgs(""))).toBeUndefined();
  });

  test("systemMounts: /system, /run, /var, cgroup2, all nosuid and nodev", () => {
    const mounts = systemMounts(nodePaths());
    expect(mounts.map((m) => `${m.fstype}:${m.target}`)).toEqual([
      "tmpfs:/system",
      "tmpfs:/run",
      "tmpfs:/var",
      "cgroup2:/sys/fs/cgroup",
    ]);
    for (const m of mounts) expect(m.flags & 0x6).toBe(0x6);
  });
});
