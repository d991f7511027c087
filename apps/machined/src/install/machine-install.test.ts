import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MachineConfig, validateConfig } from "@bronze/config-schema";
import { eventually } from "@bronze/testing";
import type { SequenceDeps } from "../boot/phases.ts";
import { Sequencer } from "../boot/sequencer.ts";
import { ConfigStore } from "../config/config-store.ts";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { nodePaths } from "../node/node-paths.ts";
import type { NodeState } from "../node/node-state.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { fakeSysfs } from "./block-devices-fixture.ts";
import {
  configInstalls,
  type DiskInstallRequest,
  type InstallPlan,
  type InstallWorld,
  installMachine,
  installOnApply,
  installPlan,
  installStep,
  MachineInstallError,
  parseAssetManifest,
} from "./machine-install.ts";
import { findNodePartitions } from "./partitions.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const WORKER = readFileSync(join(TESTDATA, "worker.yaml"), "utf8");

/** The worker test config with its machine.install replaced by `install` (YAML lines under it). */
function workerWith(install: string): { text: string; config: MachineConfig } {
  const text = WORKER.replace(/ {2}install:\n(?: {4}.*\n)+/, `  install:\n${install}`);
  const result = validateConfig(text, { mode: "qemu" });
  if (!result.ok || result.config === undefined) throw new Error(JSON.stringify(result.errors));
  return { text, config: result.config };
}

const args = (cmdline = "") => parseKernelArgs(cmdline);
const ASSETS = "http://10.0.0.1:8080/assets";

describe("configInstalls", () => {
  test("true only for a valid config whose install would run on this boot", () => {
    const { text } = workerWith(`    disk: /dev/vdb\n    image: ${ASSETS}\n`);
    const state = (installed: boolean) => ({
      mode: "configured" as const,
      config: undefined,
      maintenanceReason: undefined,
      hostname: undefined,
      installed,
    });
    expect(configInstalls(text, { state: state(false), args: args(), platform: "qemu" })).toBe(true);
    expect(configInstalls(text, { state: state(true), args: args(), platform: "qemu" })).toBe(false);
    expect(configInstalls(text, { state: state(false), args: args(), platform: "container" })).toBe(false);
    expect(configInstalls("machine: [", { state: state(false), args: args(), platform: "qemu" })).toBe(false);
    const { text: noDisk } = workerWith("    wipe: true\n");
    expect(configInstalls(noDisk, { state: state(false), args: args(), platform: "qemu" })).toBe(false);
  });
});

describe("installPlan", () => {
  test("machine.install.image as an http(s) URL is the source; wipe and extra arguments kept", () => {
    const { config } = workerWith(
      `    disk: /dev/vdb\n    image: ${ASSETS}/\n    wipe: true\n    extraKernelArgs: [net.ifnames=0]\n`,
    );
    expect(installPlan(config, { args: args(), platform: "qemu", installed: false })).toEqual({
      disk: "/dev/vdb",
      assetsUrl: ASSETS,
      wipe: true,
      extraKernelArgs: ["net.ifnames=0"],
      platform: "qemu",
    });
  });

  test("an image reference falls back to bronze.assets=, said in the log", () => {
    const { config } = workerWith("    disk: /dev/vdb\n    image: ghcr.io/bronze/installer:v0.1.0\n");
    const lines: string[] = [];
    const plan = installPlan(
      config,
      { args: args("bronze.assets=http://10.0.0.2/a"), platform: "metal", installed: false },
      (l) => lines.push(l),
    );
    expect(plan?.assetsUrl).toBe("http://10.0.0.2/a");
    expect(plan?.wipe).toBe(false);
    expect(lines.join("\n")).toContain("ghcr.io/bronze/installer:v0.1.0 is an image reference");
  });

  test("no install: no disk, container mode, booted from an installed disk, or no assets URL (logged)", () => {
    const withDisk = workerWith(`    disk: /dev/vdb\n    image: ${ASSETS}\n`).config;
    const noDisk = workerWith("    wipe: true\n").config;
    const boot = { args: args(), platform: "metal" as const, installed: false };
    expect(installPlan(noDisk, boot)).toBeUndefined();
    expect(installPlan(withDisk, { ...boot, platform: "container" })).toBeUndefined();
    const lines: string[] = [];
    expect(installPlan(withDisk, { ...boot, installed: true }, (l) => lines.push(l))).toBeUndefined();
    expect(lines[0]).toContain("booted from an installed disk");
    const generated = workerWith("    disk: /dev/vda\n    image: ghcr.io/bronze/installer:v0.1.0\n").config;
    expect(installPlan(generated, boot, (l) => lines.push(l))).toBeUndefined();
    expect(lines[1]).toContain("no assets URL");
  });
});

describe("parseAssetManifest", () => {
  const sha = "a".repeat(64);
  test("the install assets' sizes and hashes", () => {
    const files = ["vmlinuz", "initramfs.zst", "cmdline", "boot.ipxe"].map((name) => ({
      name,
      size: 3,
      sha256: sha,
    }));
    const m = parseAssetManifest(JSON.stringify({ files }), "u");
    expect([...m.keys()]).toEqual(["vmlinuz", "initramfs.zst", "cmdline"]);
  });

  test("not JSON, no files list, a missing asset, a bad entry: named", () => {
    const bad = (text: string) => {
      try {
        parseAssetManifest(text, "http://x/manifest.json");
      } catch (err) {
        expect(err).toBeInstanceOf(MachineInstallError);
        expect((err as MachineInstallError).code).toBe("Manifest");
        return (err as Error).message;
      }
      throw new Error("expected a failure");
    };
    expect(bad("<html>")).toContain("http://x/manifest.json is not JSON");
    expect(bad("{}")).toContain('no "files" list');
    expect(bad(JSON.stringify({ files: [{ name: "vmlinuz", size: 1, sha256: sha }] }))).toContain(
      "does not list initramfs.zst",
    );
    const files = ["vmlinuz", "initramfs.zst", "cmdline"].map((name) => ({ name, size: 1, sha256: "nope" }));
    expect(bad(JSON.stringify({ files }))).toContain("the entry of vmlinuz has no valid size and sha256");
  });
});

/** An assets server in memory: files by name, and the manifest made from `manifestOf` (default: the files). */
function assetsFetch(files: Record<string, string>, manifestOf: Record<string, string> = files) {
  const requested: string[] = [];
  const fetch = async (url: string) => {
    requested.push(url);
    const name = url.slice(url.lastIndexOf("/") + 1);
    if (name === "manifest.json") {
      const entries = Object.entries(manifestOf).map(([n, text]) => ({
        name: n,
        size: Buffer.byteLength(text),
        sha256: createHash("sha256").update(text).digest("hex"),
      }));
      return new Response(JSON.stringify({ files: entries }));
    }
    const text = files[name];
    return text === undefined ? new Response("no such asset", { status: 404 }) : new Response(text);
  };
  return { fetch, requested };
}

const ASSET_FILES = {
  vmlinuz: "kernel bytes",
  "initramfs.zst": "initramfs bytes",
  cmdline: "console=ttyS0\n",
};

let workDir: string;
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), "machine-install-"));
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

function world(fetch: InstallWorld["fetch"], overrides: Partial<InstallWorld> = {}) {
  const installs: Array<DiskInstallRequest & { files: Record<string, string> }> = [];
  const saved: Array<[string, string]> = [];
  const lines: string[] = [];
  let reboots = 0;
  const w: InstallWorld = {
    fetch,
    workDir,
    retryDelayMs: 0,
    log: (l) => lines.push(l),
    async installToDisk(request) {
      const files = Object.fromEntries(
        ["vmlinuz", "initramfs.zst", "cmdline"].map((n) => [
          n,
          readFileSync(join(request.artifactsDir, n), "utf8"),
        ]),
      );
      installs.push({ ...request, files });
      request.log("partitioning");
      return { statePartition: "/dev/vdb6" };
    },
    saveConfig: (partition, text) => void saved.push([partition, text]),
    reboot: () => void reboots++,
    ...overrides,
  };
  return { w, installs, saved, lines, reboots: () => reboots };
}

const PLAN: InstallPlan = {
  disk: "/dev/vdb",
  assetsUrl: ASSETS,
  wipe: false,
  extraKernelArgs: ["quiet"],
  platform: "qemu",
};

describe("installMachine", () => {
  test("downloads and verifies the assets, installs, saves the config on STATE, removes the downloads, reboots", async () => {
    const server = assetsFetch(ASSET_FILES);
    const t = world(server.fetch);
    await installMachine(PLAN, "config text", t.w);
    expect(server.requested).toEqual([
      `${ASSETS}/manifest.json`,
      `${ASSETS}/vmlinuz`,
      `${ASSETS}/initramfs.zst`,
      `${ASSETS}/cmdline`,
    ]);
    expect(t.installs).toHaveLength(1);
    expect(t.installs[0]).toMatchObject({
      device: "/dev/vdb",
      platform: "qemu",
      wipe: false,
      extraKernelArgs: ["quiet"],
      workDir,
      files: ASSET_FILES,
    });
    expect(t.saved).toEqual([["/dev/vdb6", "config text"]]);
    expect(t.reboots()).toBe(1);
    expect(existsSync(join(workDir, "assets"))).toBe(false);
    expect(t.lines).toContain("install: partitioning");
    expect(t.lines.some((l) => l.includes("initramfs.zst: sha256") && l.includes("verified"))).toBe(true);
    expect(t.lines.at(-1)).toContain("rebooting into /dev/vdb");
  });

  test("a file that differs from the manifest: Checksum error naming it; nothing installed, no reboot", async () => {
    const server = assetsFetch({ ...ASSET_FILES, "initramfs.zst": "tampered!" }, ASSET_FILES);
    const t = world(server.fetch);
    const err = await installMachine(PLAN, "c", t.w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MachineInstallError);
    expect((err as MachineInstallError).code).toBe("Checksum");
    expect((err as Error).message).toContain(`${ASSETS}/initramfs.zst: got 9 bytes with sha256`);
    expect((err as Error).message).toContain("manifest.json says 15 bytes");
    expect(t.installs).toHaveLength(0);
    expect(t.reboots()).toBe(0);
    expect(existsSync(join(workDir, "assets"))).toBe(false);
  });

  test("a download that breaks off is tried again (3 attempts), then fails naming the URL", async () => {
    const server = assetsFetch(ASSET_FILES);
    let broken = 1;
    const flaky = async (url: string) => {
      if (url.endsWith("/initramfs.zst") && broken-- > 0)
        throw new Error("ECONNRESET: The socket connection was closed");
      return server.fetch(url);
    };
    const t = world(flaky);
    await installMachine(PLAN, "c", t.w);
    expect(t.installs).toHaveLength(1);
    expect(t.lines).toContain(
      `install: initramfs.zst: cannot download ${ASSETS}/initramfs.zst: ECONNRESET: The socket connection was closed (attempt 1 of 3); retrying in 0 ms`,
    );
    let calls = 0;
    const down = world(async () => {
      calls++;
      throw new Error("ECONNREFUSED");
    });
    const err = await installMachine(PLAN, "c", down.w).catch((e: unknown) => e);
    expect((err as MachineInstallError).code).toBe("Download");
    expect(calls).toBe(3);
  });

  test("an unreachable URL or a missing file: Download error naming the URL", async () => {
    const t = world(async () => {
      throw new TypeError("Unable to connect. Is the computer able to access the url?");
    });
    const err = await installMachine(PLAN, "c", t.w).catch((e: unknown) => e);
    expect((err as MachineInstallError).code).toBe("Download");
    expect((err as Error).message).toContain(`cannot download ${ASSETS}/manifest.json: Unable to connect`);

    const { cmdline: _, ...withoutCmdline } = ASSET_FILES;
    const missing = world(assetsFetch(withoutCmdline, ASSET_FILES).fetch);
    const err404 = await installMachine(PLAN, "c", missing.w).catch((e: unknown) => e);
    expect((err404 as Error).message).toBe(`cannot download ${ASSETS}/cmdline: HTTP 404`);
    expect(missing.installs).toHaveLength(0);
  });

  test("a disk holding partitions without wipe: an Install error telling to set machine.install.wipe", async () => {
    const refusal = Object.assign(
      new Error("/dev/vdb is not empty (2 partition(s); signatures: gpt, PMBR): pass --wipe to erase it"),
      { name: "InstallerError", code: "HasPartitions" },
    );
    const t = world(assetsFetch(ASSET_FILES).fetch, {
      installToDisk: async () => {
        throw refusal;
      },
    });
    const err = await installMachine(PLAN, "c", t.w).catch((e: unknown) => e);
    expect((err as MachineInstallError).code).toBe("Install");
    expect((err as Error).message).toBe(
      "/dev/vdb is not empty (2 partition(s); signatures: gpt, PMBR): set machine.install.wipe: true to erase it, or choose another machine.install.disk",
    );
    expect(t.saved).toHaveLength(0);
    expect(t.reboots()).toBe(0);
  });

  test("a disk refused by checkDisk: nothing downloaded", async () => {
    const server = assetsFetch(ASSET_FILES);
    const t = world(server.fetch, {
      checkDisk: (disk, wipe) => {
        expect([disk, wipe]).toEqual(["/dev/vdb", false]);
        throw Object.assign(new Error("/dev/vdb is not empty (3 partition(s)): pass --wipe to erase it"), {
          name: "InstallerError",
          code: "HasPartitions",
        });
      },
    });
    const err = await installMachine(PLAN, "c", t.w).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      "/dev/vdb is not empty (3 partition(s)): set machine.install.wipe: true to erase it, or choose another machine.install.disk",
    );
    expect(server.requested).toEqual([]);
    expect(t.installs).toHaveLength(0);
  });

  test("a config that cannot be saved on STATE: SaveConfig error, no reboot", async () => {
    const t = world(assetsFetch(ASSET_FILES).fetch, {
      saveConfig: () => {
        throw new Error("EINVAL: mount failed");
      },
    });
    const err = await installMachine(PLAN, "c", t.w).catch((e: unknown) => e);
    expect((err as MachineInstallError).code).toBe("SaveConfig");
    expect((err as Error).message).toContain("/dev/vdb6 (STATE of /dev/vdb): EINVAL");
    expect(t.reboots()).toBe(0);
  });
});

describe("installStep", () => {
  const configured = (config: MachineConfig): NodeState => ({
    mode: "configured",
    config,
    maintenanceReason: undefined,
    hostname: undefined,
  });
  const { text, config } = workerWith(`    disk: /dev/vdb\n    image: ${ASSETS}\n`);

  test("installs with the plan and the stored config text", async () => {
    const calls: Array<[InstallPlan, string]> = [];
    const state = configured(config);
    const outcome = await installStep({
      state,
      args: args(),
      platform: "qemu",
      configText: text,
      install: async (plan, t) => void calls.push([plan, t]),
      log: () => {},
    });
    expect(outcome).toBe("installed");
    expect(calls).toEqual([[{ ...PLAN, extraKernelArgs: [] }, text]]);
  });

  test("a failure leaves the node in maintenance mode with the reason, for apply-config to fix; no throw", async () => {
    const state = configured(config);
    const lines: string[] = [];
    const outcome = await installStep({
      state,
      args: args(),
      platform: "qemu",
      configText: text,
      install: async () => {
        throw new MachineInstallError("Install", "/dev/vdb is not empty: set machine.install.wipe: true");
      },
      log: (l) => lines.push(l),
    });
    expect(outcome).toBe("failed");
    expect(state.mode).toBe("maintenance");
    expect(state.maintenanceReason).toBe(
      "install failed: /dev/vdb is not empty: set machine.install.wipe: true",
    );
    expect(lines[0]).toBe("install failed: /dev/vdb is not empty: set machine.install.wipe: true");
    expect(lines[1]).toContain("osctl apply-config --insecure");
  });

  test("skipped in maintenance mode, on an installed node, and without a disk", async () => {
    const never = async () => {
      throw new Error("must not install");
    };
    const base = { args: args(), platform: "qemu" as const, configText: text, install: never, log: () => {} };
    const maintenance: NodeState = { ...configured(config), mode: "maintenance" };
    expect(await installStep({ ...base, state: maintenance })).toBe("skipped");
    expect(await installStep({ ...base, state: { ...configured(config), installed: true } })).toBe("skipped");
    const noDisk = workerWith("    wipe: false\n").config;
    expect(await installStep({ ...base, state: configured(noDisk) })).toBe("skipped");
  });
});

describe("the boot's install phase", () => {
  const { text } = workerWith(`    disk: /dev/vdb\n    image: ${ASSETS}\n`);

  /** A node booting with `text` stored, its disks as `sysfs` lists them, installing through `install`. */
  function boot(
    partitions: Array<{ name: string; partition?: number; partName?: string }>,
    install: SequenceDeps["install"],
    lookup?: SequenceDeps["partitions"],
  ) {
    const root = join(workDir, "node");
    const paths = nodePaths(root);
    const lines: string[] = [];
    const store = new ConfigStore(paths.state);
    const states: NodeState[] = [];
    const files = fakeSysfs(join(root, "fixture"), partitions);
    const deps: SequenceDeps = {
      sys: new FakeSys(),
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
      services: (state) => {
        states.push({ ...state });
        return [];
      },
      exit: () => {},
      partitions: lookup ?? (() => findNodePartitions(files, () => undefined)),
      ...(install !== undefined ? { install } : {}),
    };
    return { lines, store, states, sequencer: new Sequencer(deps) };
  }

  test("a diskless node installs with the stored config's text, before the services", async () => {
    const calls: Array<[InstallPlan, string]> = [];
    const t = boot([{ name: "vdb" }], async (plan, configText) => void calls.push([plan, configText]));
    t.store.save(text);
    await t.sequencer.boot();
    expect(calls).toEqual([[{ ...PLAN, extraKernelArgs: [] }, text]]);
    expect(t.sequencer.state.installed).toBe(false);
  });

  test("a node booted from its disk (STATE found) does not install again", async () => {
    const t = boot([{ name: "vda" }, { name: "vda6", partition: 6, partName: "STATE" }], async () => {
      throw new Error("must not install");
    });
    t.store.save(text);
    await t.sequencer.boot();
    expect(t.sequencer.state.installed).toBe(true);
    expect(t.sequencer.state.mode).toBe("configured");
    expect(t.lines.some((l) => l.includes("booted from an installed disk (STATE found)"))).toBe(true);
  });

  test("EPHEMERAL without STATE, or a partition lookup that failed, counts as installed: nothing is written", async () => {
    const never = async () => {
      throw new Error("must not install");
    };
    const ephemeralOnly = boot(
      [{ name: "vda" }, { name: "vda7", partition: 7, partName: "EPHEMERAL" }],
      never,
    );
    ephemeralOnly.store.save(text);
    await ephemeralOnly.sequencer.boot();
    expect(ephemeralOnly.sequencer.state.installed).toBe(true);
    expect(ephemeralOnly.sequencer.state.mode).toBe("configured");

    const failed = boot([{ name: "vdb" }], never, () => {
      throw new Error("sysfs unreadable");
    });
    failed.store.save(text);
    await failed.sequencer.boot();
    expect(failed.sequencer.state.installed).toBe(true);
    expect(failed.sequencer.state.mode).toBe("configured");
    expect(failed.lines.some((l) => l.includes("sysfs unreadable"))).toBe(true);
  });

  test("a failed install: the boot goes on into maintenance mode (apid for apply-config), saying why", async () => {
    const t = boot([{ name: "vdb" }], async () => {
      throw new MachineInstallError("Checksum", `${ASSETS}/vmlinuz: got 3 bytes with sha256 abc`);
    });
    t.store.save(text);
    await t.sequencer.boot();
    expect(t.sequencer.state.mode).toBe("maintenance");
    expect(t.sequencer.state.maintenanceReason).toBe(
      `install failed: ${ASSETS}/vmlinuz: got 3 bytes with sha256 abc`,
    );
    expect(t.states.at(-1)?.mode).toBe("maintenance");
    expect(t.lines).toContain("[boot] startServices: boot finished in maintenance mode");
  });
});

describe("installOnApply", () => {
  const { text } = workerWith(`    disk: /dev/vdb\n    image: ${ASSETS}\n`);
  const state = (installed: boolean): NodeState => ({
    mode: "maintenance",
    config: undefined,
    maintenanceReason: "no config",
    hostname: undefined,
    installed,
  });

  test("an applied config asking for an install starts it (once at a time); a failure is logged, the node unchanged", async () => {
    const lines: string[] = [];
    let finish: (err?: Error) => void = () => {};
    const plans: InstallPlan[] = [];
    const node = state(false);
    const start = installOnApply({
      state: node,
      args: args(),
      platform: "qemu",
      store: { current: () => text },
      install: (plan) => {
        plans.push(plan);
        return new Promise((resolve, reject) => {
          finish = (err) => (err ? reject(err) : resolve());
        });
      },
      log: (l) => lines.push(l),
    });
    expect(start.running()).toBe(false);
    expect(start()).toBe(true);
    expect(start.running()).toBe(true);
    expect(start()).toBe(true);
    expect(plans).toHaveLength(1);
    expect(lines).toContain("install: an install is running already");
    finish(new MachineInstallError("Install", "/dev/vdb is not empty: set machine.install.wipe: true"));
    await eventually("the failed install over", () => !start.running(), 5000, 0);
    expect(lines).toContain("install failed: /dev/vdb is not empty: set machine.install.wipe: true");
    expect(node.mode).toBe("maintenance");
    expect(node.maintenanceReason).toBe("no config");
    // a fixed config can try again
    expect(start()).toBe(true);
    expect(plans).toHaveLength(2);
  });

  test("nothing to install: no config, an invalid one, an installed node, no disk (the apply's own reboot goes on)", () => {
    const never = async () => {
      throw new Error("must not install");
    };
    const base = { args: args(), platform: "qemu" as const, install: never, log: () => {} };
    expect(installOnApply({ ...base, state: state(false), store: { current: () => undefined } })()).toBe(
      false,
    );
    expect(installOnApply({ ...base, state: state(false), store: { current: () => "machine: [" } })()).toBe(
      false,
    );
    expect(installOnApply({ ...base, state: state(true), store: { current: () => text } })()).toBe(false);
    const noDisk = workerWith("    wipe: false\n").text;
    expect(installOnApply({ ...base, state: state(false), store: { current: () => noDisk } })()).toBe(false);
  });
});
