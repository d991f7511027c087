// Fault C of the fault-injection review on a real full filesystem (a 64 KiB tmpfs as STATE): root, a
// mount (a component test).
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountTmpfs, type Tmpfs } from "@bronze/testing";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { newNodeState } from "../node/node-state.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import { ConfigApplier, ConfigApplyError } from "./config-apply.ts";
import { ConfigStore } from "./config-store.ts";
import { ConfigWorkerClient } from "./config-worker-client.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");
const WORKER2 = WORKER.replace("hostname: worker-1", "hostname: worker-2");

let dir = "";
let tmpfs: Tmpfs | undefined;
afterEach(() => {
  tmpfs?.unmount();
  tmpfs = undefined;
  rmSync(dir, { recursive: true, force: true });
});

test("a write that finds no space is NoSpace naming the file; the config in force is kept and no temporary file is left", async () => {
  dir = mkdtempSync(join(tmpdir(), "config-apply-"));
  tmpfs = mountTmpfs(join(dir, "state"), "64k");
  const mnt = tmpfs.path;
  const store = new ConfigStore(mnt);
  store.save(WORKER);
  // Fill the filesystem, leaving less than a config.
  try {
    writeFileSync(join(mnt, "filler"), Buffer.alloc(60 * 1024));
  } catch {}
  const lines: string[] = [];
  const applier = new ConfigApplier({
    platform: "container",
    args: parseKernelArgs(""),
    state: newNodeState(),
    store,
    clock: new FakeClock(),
    supervisor: new Supervisor(),
    services: () => [],
    persists: () => true,
    check: new ConfigWorkerClient(),
    reboot: async () => {},
    log: (l) => lines.push(l),
  });
  const padded = `${WORKER2}# ${"x".repeat(16 * 1024)}\n`;
  for (const mode of ["no-reboot", "staged", "auto"] as const) {
    const err = await applier.apply({ text: padded, mode, dryRun: false, caller: "authenticated" }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConfigApplyError);
    expect(err.code).toBe("NoSpace");
    expect(err.message).toContain(`cannot write ${mnt}/`);
    expect(err.message).toContain("no space left on device (ENOSPC)");
  }
  expect(store.current()).toBe(WORKER);
  expect(readdirSync(mnt).sort()).toEqual(["config.yaml", "filler"]);
  expect(
    lines.some((l) => l.startsWith("config: cannot save the config: cannot write") && l.includes("ENOSPC")),
  ).toBe(true);
});
