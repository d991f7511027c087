import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig } from "@bronze/config-schema";
import { ConfigStore } from "../config/config-store.ts";
import { fakeSysfs } from "../install/block-devices-fixture.ts";
import { findNodePartitions, type NodePartitions } from "../install/partitions.ts";
import { RESET_MARKER_FILE } from "../lifecycle/reset.ts";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { type NodePaths, nodePaths } from "../node/node-paths.ts";
import { chooseHostname } from "../node/node-state.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID } from "../sys/constants.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { rebootCommand, type SequenceDeps, systemMounts } from "./phases.ts";
import { Sequencer } from "./sequencer.ts";

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

describe("installed nodes: the STATE and EPHEMERAL partitions", () => {
  const CONTROLPLANE = readFileSync(
    join(import.meta.dir, "../../../../libs/config-schema/testdata/controlplane.yaml"),
    "utf8",
  );
  const TMPFS = MS_NOSUID | MS_NODEV;
  let root: string;
  let paths: NodePaths;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "phases-partitions-"));
    paths = nodePaths(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A node booting up to its stored config (no services), with a fixture sysfs. */
  function boot(partitions: SequenceDeps["partitions"], overrides: Partial<SequenceDeps> = {}) {
    const sys = new FakeSys();
    const lines: string[] = [];
    const store = new ConfigStore(paths.state);
    const deps: SequenceDeps = {
      sys,
      clock: new FakeClock(),
      log: (l) => lines.push(l),
      supervisor: new Supervisor({ stopGraceMs: 1000 }),
      store,
      args: parseKernelArgs("console=ttyS0 slab_nomerge pti=on"),
      platform: "qemu",
      paths,
      network: async () => {},
      fetch: () => Promise.reject(new Error("no network in unit tests")),
      variables: {
        mac: () => undefined,
        uuid: () => undefined,
        serial: () => undefined,
        hostname: () => undefined,
      },
      services: () => [],
      exit: () => {},
      fetchRetry: { attempts: 1 },
      ...(partitions !== undefined ? { partitions } : {}),
      ...overrides,
    };
    return { sys, lines, store, sequencer: new Sequencer(deps) };
  }

  const installed = (): NodePartitions =>
    findNodePartitions(
      fakeSysfs(join(root, "fixture"), [
        { name: "vda" },
        { name: "vda5", partition: 5, partName: "META" },
        { name: "vda6", partition: 6, partName: "STATE" },
        { name: "vda7", partition: 7, partName: "EPHEMERAL" },
      ]),
      () => undefined,
    );

  test("installed: EPHEMERAL on /var instead of a tmpfs, STATE on the store's directory before the config is read", async () => {
    const hooked: number[] = [];
    const t = boot(installed, { onStateMounted: () => void hooked.push(t.sys.mounts.size) });
    // What the STATE partition holds (in this test: the directory it is mounted on).
    t.store.save(CONTROLPLANE);
    await t.sequencer.boot();
    const dev = join(root, "fixture/dev");
    expect(t.sys.callsOf("mount")).toEqual([
      ["tmpfs", paths.system, "tmpfs", TMPFS, "mode=0755"],
      ["tmpfs", join(root, "run"), "tmpfs", TMPFS, "mode=0755"],
      [join(dev, "vda7"), paths.var, "ext4", TMPFS, null],
      ["cgroup2", join(root, "sys/fs/cgroup"), "cgroup2", TMPFS | MS_NOEXEC, "nsdelegate"],
      [join(dev, "vda6"), paths.state, "ext4", TMPFS | MS_NOEXEC, null],
    ]);
    // The hook runs once, with STATE mounted (the fifth mount).
    expect(hooked).toEqual([5]);
    expect(statSync(paths.state).mode & 0o777).toBe(0o700);
    expect(t.lines).toContain(
      `[boot] mountSystem: mounted the STATE (${join(dev, "vda6")}) partition (ext4) on ${paths.state}`,
    );
    const mountedAt = t.lines.findIndex((l) => l.includes("mounted the STATE"));
    expect(t.lines.indexOf("[boot] loadStoredConfig: config: using the config from STATE")).toBeGreaterThan(
      mountedAt,
    );
    expect(t.sequencer.state.mode).toBe("configured");

    // Shutdown unmounts STATE before /var and /system.
    t.sys.calls.length = 0;
    await t.sequencer.shutdown();
    expect(t.sys.callsOf("umount2")).toEqual([
      [paths.state, 0],
      [paths.var, 0],
      [paths.system, 0],
    ]);
  });

  test("a reset STATE (the marker, no config) waits in maintenance mode even with bronze.config= set", async () => {
    let fetched = 0;
    const t = boot(installed, {
      args: parseKernelArgs("console=ttyS0 slab_nomerge pti=on bronze.config=http://10.0.2.2:1/config"),
      fetch: () => {
        fetched++;
        return Promise.reject(new Error("must not be asked"));
      },
    });
    mkdirSync(paths.state, { recursive: true });
    writeFileSync(join(paths.state, RESET_MARKER_FILE), '{"resetAt":"2026-12-07T00:00:00.000Z"}');
    await t.sequencer.boot();
    expect(t.sequencer.state.mode).toBe("maintenance");
    expect(fetched).toBe(0);
    expect(t.lines).toContain(
      "[boot] acquireConfig: maintenance mode: the node was reset (2026-12-07T00:00:00.000Z); apply a config with osctl apply-config --insecure",
    );
    // once a config is stored, the marker does not matter
    const again = boot(installed);
    again.store.save(CONTROLPLANE);
    await again.sequencer.boot();
    expect(again.sequencer.state.mode).toBe("configured");
  });

  test("diskless (no partitions found, or no finder): the tmpfs mounts and unmounts exactly as before", async () => {
    const expected = [
      ["tmpfs", paths.system, "tmpfs", TMPFS, "mode=0755"],
      ["tmpfs", join(root, "run"), "tmpfs", TMPFS, "mode=0755"],
      ["tmpfs", paths.var, "tmpfs", TMPFS, "mode=0755"],
      ["cgroup2", join(root, "sys/fs/cgroup"), "cgroup2", TMPFS | MS_NOEXEC, "nsdelegate"],
    ];
    for (const partitions of [() => ({ state: undefined, ephemeral: undefined }), undefined]) {
      const t = boot(partitions);
      await t.sequencer.boot();
      expect(t.sys.callsOf("mount")).toEqual(expected);
      expect(t.sequencer.state.mode).toBe("maintenance");
      t.sys.calls.length = 0;
      await t.sequencer.shutdown();
      expect(t.sys.callsOf("umount2")).toEqual([
        [paths.var, 0],
        [paths.system, 0],
      ]);
    }
  });

  test("a partition that cannot be mounted: a message naming it and the errno, then the tmpfs", async () => {
    const hooked: string[] = [];
    const t = boot(installed, { onStateMounted: () => void hooked.push("called") });
    t.sys.failAlways("mount", "ENODEV", (args) => args[2] === "ext4");
    await t.sequencer.boot();
    const mounts = [...t.sys.mounts.values()].map((m) => `${m.fstype}:${m.target}`);
    expect(mounts).toEqual([
      `tmpfs:${paths.system}`,
      `tmpfs:${join(root, "run")}`,
      `tmpfs:${paths.var}`,
      `cgroup2:${join(root, "sys/fs/cgroup")}`,
    ]);
    const dev = join(root, "fixture/dev");
    for (const [role, name, target] of [
      ["EPHEMERAL", "vda7", paths.var],
      ["STATE", "vda6", paths.state],
    ]) {
      const line = t.lines.find((l) =>
        l.includes(`cannot mount the ${role} (${join(dev, name as string)}) partition on ${target}: ENODEV`),
      );
      expect(line, t.lines.join("\n")).toBeDefined();
      expect(line).toEndWith("falling back to a tmpfs");
    }
    expect(hooked).toEqual([]);
    // The boot carries on, diskless: no config anywhere, maintenance mode.
    expect(t.sequencer.state.mode).toBe("maintenance");
    expect(statSync(paths.state).mode & 0o777).toBe(0o700);
    t.sys.calls.length = 0;
    await t.sequencer.shutdown();
    expect(t.sys.callsOf("umount2")).toEqual([
      [paths.var, 0],
      [paths.system, 0],
    ]);
  });

  test("a finder that throws: logged, diskless", async () => {
    const t = boot(() => {
      throw new Error("EACCES: /sys/class/block");
    });
    await t.sequencer.boot();
    expect(t.sys.callsOf("mount").map((c) => c[2])).toEqual(["tmpfs", "tmpfs", "tmpfs", "cgroup2"]);
    expect(
      t.lines.some((l) => l.includes("cannot look for the STATE and EPHEMERAL partitions: EACCES")),
    ).toBe(true);
  });

  test("container mode never looks for partitions", async () => {
    let looked = false;
    const t = boot(
      () => {
        looked = true;
        return installed();
      },
      { platform: "container", args: parseKernelArgs("") },
    );
    await t.sequencer.boot();
    expect(looked).toBe(false);
    expect(t.sys.callsOf("mount")).toEqual([]);
  });
});
