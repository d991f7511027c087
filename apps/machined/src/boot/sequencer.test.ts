import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import { eventually } from "@bronze/testing";
import { ConfigStore } from "../config/config-store.ts";
import { HardeningError } from "../node/hardening-check.ts";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { type NodePaths, nodePaths } from "../node/node-paths.ts";
import { InProcessRunner } from "../supervisor/runners/in-process-runner.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID } from "../sys/constants.ts";
import { FakeClock } from "../testing/fake-clock.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import type { SequenceDeps } from "./phases.ts";
import { SequenceError, SequenceLockedError } from "./sequence.ts";
import { Sequencer } from "./sequencer.ts";

const TESTDATA = join(import.meta.dir, "../../../../libs/config-schema/testdata");
const CONTROLPLANE = readFileSync(join(TESTDATA, "controlplane.yaml"), "utf8");
const HARDENED = "console=ttyS0 slab_nomerge pti=on";

let root: string;
let paths: NodePaths;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sequencer-"));
  paths = nodePaths(root);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function sleeper(id: string, record: string[]): ServiceDefinition {
  return {
    id,
    dependsOn: id === "b" ? ["a"] : [],
    restart: "forever",
    runner: new InProcessRunner(async ({ signal }) => {
      record.push(`${id} started`);
      await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
      record.push(`${id} stopped`);
    }),
  };
}

function setup(overrides: Partial<SequenceDeps> & { cmdline?: string } = {}) {
  const sys = new FakeSys();
  for (const name of [
    "kernel.kptr_restrict",
    "net.ipv4.ip_forward",
    "vm.max_map_count",
    "user.max_user_namespaces",
  ]) {
    sys.defineSysctl(name, "0");
  }
  const lines: string[] = [];
  const record: string[] = [];
  const exits: number[] = [];
  const networkCalls: Array<MachineConfig | undefined> = [];
  const supervisor = new Supervisor({ stopGraceMs: 1000 });
  const store = new ConfigStore(paths.state);
  const clock = new FakeClock();
  const deps: SequenceDeps = {
    sys,
    clock,
    log: (l) => lines.push(l),
    supervisor,
    store,
    args: parseKernelArgs(overrides.cmdline ?? HARDENED),
    platform: "metal",
    paths,
    network: async (config) => {
      networkCalls.push(config);
    },
    fetch: () => Promise.reject(new Error("no network in unit tests")),
    variables: {
      mac: () => undefined,
      uuid: () => undefined,
      serial: () => undefined,
      hostname: () => undefined,
    },
    services: () => [sleeper("a", record), sleeper("b", record)],
    exit: (code) => void exits.push(code),
    fetchRetry: { attempts: 1 },
    mountinfo: () => sys.mountinfo(),
    ...overrides,
  };
  return {
    sys,
    lines,
    record,
    exits,
    networkCalls,
    supervisor,
    store,
    clock,
    sequencer: new Sequencer(deps),
    deps,
  };
}

describe("boot", () => {
  test("hardening, mounts, config, hostname, sysctls, files, services, in order", async () => {
    const t = setup();
    t.store.save(CONTROLPLANE);
    await t.sequencer.boot();

    const flags = MS_NOSUID | MS_NODEV;
    expect(t.sys.callsOf("mount")).toEqual([
      ["tmpfs", paths.system, "tmpfs", flags, "mode=0755"],
      ["tmpfs", join(root, "run"), "tmpfs", flags, "mode=0755"],
      ["tmpfs", paths.var, "tmpfs", flags, "mode=0755"],
      ["cgroup2", join(root, "sys/fs/cgroup"), "cgroup2", flags | MS_NOEXEC, "nsdelegate"],
    ]);
    expect(t.sys.hostname).toBe("cp-1");
    expect(t.sys.readSysctl("kernel.kptr_restrict")).toBe("2");
    expect(t.sys.readSysctl("net.ipv4.ip_forward")).toBe("1");
    expect(t.sys.readSysctl("vm.max_map_count")).toBe("262144");
    // machine.files: /var/cri/conf.d/... is under /var.
    expect(readFileSync(join(paths.var, "cri/conf.d/20-unprivileged-ports.part"), "utf8")).toContain(
      "enable_unprivileged_ports = true",
    );
    expect(t.networkCalls).toHaveLength(1);
    expect(t.networkCalls[0]?.machine.type).toBe("controlplane");
    expect(t.record).toEqual(["a started", "b started"]);
    expect(t.supervisor.status("b").up).toBe(true);
    expect(t.sequencer.state.mode).toBe("configured");
    expect(t.sequencer.running).toBeUndefined();

    const tasks = t.sequencer.events
      .filter((e) => e.task !== undefined && e.state === "finished")
      .map((e) => e.task);
    expect(tasks).toEqual([
      "checkKernelHardening",
      "mountSystem",
      "loadStoredConfig",
      "network",
      "acquireConfig",
      "configNetwork",
      "kernelModules",
      "install",
      "hostname",
      "sysctls",
      "machineFiles",
      "startServices",
    ]);
    expect(t.lines.some((l) => l.includes("sysctl") && l.includes("not applied"))).toBe(true);
    expect(t.lines).toContain("[boot] startServices: boot finished: node cp-1 configured");
    await t.supervisor.stopAll();
  });

  test("machine.kernel.modules are loaded with their dependencies; a missing one is reported, not fatal", async () => {
    const dir = "/lib/modules/6.1.0";
    const files: Record<string, string> = {
      [`${dir}/modules.dep`]: [
        "kernel/net/bridge/bridge.ko: kernel/net/llc/llc.ko",
        "kernel/net/llc/llc.ko:",
        "kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/llc/llc.ko",
        "",
      ].join("\n"),
      [`${dir}/kernel/net/bridge/bridge.ko`]: "",
      [`${dir}/kernel/net/llc/llc.ko`]: "",
      [`${dir}/kernel/net/bridge/br_netfilter.ko`]: "",
    };
    const fds: string[] = [];
    const t = setup({
      modules: {
        dir,
        fs: {
          readText: (path) => files[path],
          openRead: (path) => fds.push(path) - 1,
          close: () => {},
        },
      },
    });
    t.store.save(CONTROLPLANE);
    await t.sequencer.boot();
    expect(t.sys.callsOf("finitModule")).toEqual([
      [0, "", 0],
      [1, "", 0],
      [2, "", 0],
    ]);
    expect(fds.map((p) => p.slice(dir.length + 1))).toEqual([
      "kernel/net/llc/llc.ko",
      "kernel/net/bridge/bridge.ko",
      "kernel/net/bridge/br_netfilter.ko",
    ]);
    expect(
      t.lines.some((l) =>
        l.includes("machine.kernel.modules[1] nf_conntrack: kernel module nf_conntrack is neither"),
      ),
    ).toBe(true);
    expect(t.record).toEqual(["a started", "b started"]);
    await t.supervisor.stopAll();
  });

  test("refuses to boot without the hardening arguments, saying why, and mounts nothing", async () => {
    const t = setup({ cmdline: "console=ttyS0 pti=auto" });
    const err = await t.sequencer.boot().catch((e) => e);
    expect(err).toBeInstanceOf(SequenceError);
    expect(err.task).toBe("checkKernelHardening");
    expect(err.cause).toBeInstanceOf(HardeningError);
    expect(t.lines.some((l) => l.includes("missing kernel argument slab_nomerge"))).toBe(true);
    expect(t.lines.some((l) => l.includes("kernel argument pti=auto must be pti=on"))).toBe(true);
    expect(t.sys.callsOf("mount")).toEqual([]);
    expect(t.record).toEqual([]);
    // The lock is free again: machined can still shut down or reboot.
    expect(t.sequencer.running).toBeUndefined();
  });

  test("no config anywhere: maintenance mode, hostname from bronze.hostname=, services still start", async () => {
    const t = setup({ cmdline: `${HARDENED} bronze.hostname=lonely` });
    await t.sequencer.boot();
    expect(t.sequencer.state.mode).toBe("maintenance");
    expect(t.sequencer.state.maintenanceReason).toBe("no config stored and no bronze.config= URL");
    expect(t.sys.hostname).toBe("lonely");
    expect(t.networkCalls).toEqual([undefined]);
    expect(t.record).toEqual(["a started", "b started"]);
    expect(t.lines).toContain("[boot] startServices: boot finished in maintenance mode");
    await t.supervisor.stopAll();
  });

  test("a config downloaded from bronze.config= has its machine.network applied after the first DHCP pass", async () => {
    const urls: string[] = [];
    const t = setup({
      cmdline: `${HARDENED} bronze.config=http://10.0.2.2:8080/cp.yaml`,
      fetch: async (url) => {
        urls.push(url);
        return new Response(CONTROLPLANE);
      },
    });
    await t.sequencer.boot();
    expect(urls).toEqual(["http://10.0.2.2:8080/cp.yaml"]);
    expect(t.sequencer.state.mode).toBe("configured");
    // First pass without a config (DHCP everywhere: the download needs it), then the config's network.
    expect(t.networkCalls).toHaveLength(2);
    expect(t.networkCalls[0]).toBeUndefined();
    expect(t.networkCalls[1]?.machine.network?.interfaces?.[0]?.addresses).toContain("10.0.0.10/24");
    expect(t.lines).toContain("[boot] configNetwork: applying machine.network of the downloaded config");
    await t.supervisor.stopAll();
  });

  test("a downloaded config without machine.network keeps the first pass's network", async () => {
    const withoutNetwork = CONTROLPLANE.replace(/\n {2}network:\n(?: {4,}.*\n)+/, "\n");
    expect(withoutNetwork).not.toContain("interfaces:");
    const t = setup({
      cmdline: `${HARDENED} bronze.config=http://10.0.2.2:8080/cp.yaml`,
      fetch: async () => new Response(withoutNetwork),
    });
    await t.sequencer.boot();
    expect(t.sequencer.state.mode).toBe("configured");
    expect(t.networkCalls).toEqual([undefined]);
    await t.supervisor.stopAll();
  });

  test("a stored config configures the network once, with that config", async () => {
    const t = setup();
    t.store.save(CONTROLPLANE);
    await t.sequencer.boot();
    expect(t.networkCalls).toHaveLength(1);
    expect(t.networkCalls[0]?.machine.network?.hostname).toBe("cp-1");
    await t.supervisor.stopAll();
  });

  test("a mount failure stops the boot naming the task; the API still comes up, in maintenance mode saying why", async () => {
    const problems: string[] = [];
    const t = setup({ report: (p) => problems.push(p) });
    t.sys.failNext("mount", "ENODEV", (args) => args[2] === "cgroup2");
    const err = await t.sequencer.boot().catch((e) => e);
    expect(err.task).toBe("mountSystem");
    expect(err.message).toContain("ENODEV");
    expect(t.sequencer.state.mode).toBe("maintenance");
    expect(t.sequencer.state.maintenanceReason).toStartWith(
      "boot failed: task mountSystem (phase mounts) failed:",
    );
    expect(problems).toEqual([expect.stringContaining("maintenance mode: the API serves and says why")]);
    await eventually("the services start", () => t.record.length === 2);
    expect(t.record).toEqual(["a started", "b started"]);
    await t.supervisor.stopAll();
  });

  test("a configured node whose boot fails later (the network) starts its services with the config in force", async () => {
    const problems: string[] = [];
    const t = setup({
      report: (p) => problems.push(p),
      network: async () => {
        throw new Error("rtnetlink: socket: EPERM");
      },
    });
    t.store.save(CONTROLPLANE);
    await expect(t.sequencer.boot()).rejects.toThrow("rtnetlink: socket: EPERM");
    expect(t.sequencer.state.mode).toBe("configured");
    expect(problems).toEqual([
      "boot failed: task network (phase network) failed: rtnetlink: socket: EPERM; starting the services with the config in force",
    ]);
    await eventually("the services start", () => t.record.length === 2);
    expect(t.record).toEqual(["a started", "b started"]);
    await t.supervisor.stopAll();
  });

  test("the hardening refusal stays a refusal: nothing is mounted, nothing started", async () => {
    const t = setup({ cmdline: "console=ttyS0" });
    await expect(t.sequencer.boot()).rejects.toThrow();
    expect(t.record).toEqual([]);
  });

  test("no hostname anywhere (DHCP gave none, the config and the command line name none): a stable one from the MAC", async () => {
    const t = setup({
      variables: {
        mac: () => "52:54:00:12:34:56",
        uuid: () => undefined,
        serial: () => undefined,
        hostname: () => undefined,
      },
    });
    t.store.save(CONTROLPLANE.replace("    hostname: cp-1\n", ""));
    await t.sequencer.boot();
    expect(t.sys.hostname).toBe("bronze-525400123456");
    expect(t.sequencer.state.hostname).toBe("bronze-525400123456");
    expect(t.lines).toContain(
      "[boot] hostname: no hostname in the config nor on the kernel command line: using bronze-525400123456 (from the MAC address)",
    );
    await t.supervisor.stopAll();
  });

  test("a hostname the kernel refuses falls back to the generated one, reported; the boot goes on", async () => {
    const problems: string[] = [];
    const t = setup({
      cmdline: `${HARDENED} bronze.hostname=node-1`,
      report: (p) => problems.push(p),
      randomSuffix: () => "0123456789ab",
    });
    // The schema keeps names within what sethostname(2) takes; a kernel that refuses anyway:
    t.sys.failNext("sethostname", "EINVAL", (args) => args[0] === "node-1");
    await t.sequencer.boot();
    expect(t.sys.hostname).toBe("bronze-0123456789ab");
    expect(problems).toEqual([
      expect.stringMatching(
        /^hostname node-1 refused by the kernel \(.*EINVAL.*\): using bronze-0123456789ab$/,
      ),
    ]);
    expect(t.record).toEqual(["a started", "b started"]);
    await t.supervisor.stopAll();
  });

  test("a machine.files entry that cannot be written is reported; the boot goes on to start the services", async () => {
    const problems: string[] = [];
    const t = setup({ report: (p) => problems.push(p) });
    t.store.save(CONTROLPLANE);
    // `op: create` never replaces a file with other content (a persistent /var, changed between boots).
    mkdirSync(join(paths.var, "cri/conf.d"), { recursive: true });
    writeFileSync(join(paths.var, "cri/conf.d/20-unprivileged-ports.part"), "someone else's\n");
    await t.sequencer.boot();
    expect(problems).toEqual([expect.stringMatching(/^machine\.files: .*already exists with other content/)]);
    expect(t.record).toEqual(["a started", "b started"]);
    expect(t.sequencer.state.mode).toBe("configured");
    await t.supervisor.stopAll();
  });

  test("container mode: no mounts, no hostname, no sysctls, directories under the root", async () => {
    const t = setup({ platform: "container", cmdline: "" });
    t.store.save(CONTROLPLANE.replace(/\n {2}install:\n(?: {4}.*\n)+/, "\n"));
    await t.sequencer.boot();
    expect(t.sys.calls.filter((c) => ["mount", "sethostname", "writeSysctl"].includes(c.name))).toEqual([]);
    expect(t.sequencer.state.hostname).toBe("cp-1");
    expect(existsSync(join(root, "system/run/machined"))).toBe(true);
    expect(existsSync(join(root, "var/log"))).toBe(true);
    await t.supervisor.stopAll();
  });
});

describe("shutdown, reboot, reset", () => {
  test("shutdown stops services in reverse dependency order, syncs, unmounts, powers off", async () => {
    const t = setup();
    await t.sequencer.boot();
    t.sys.calls.length = 0;
    await t.sequencer.shutdown();
    expect(t.record).toEqual(["a started", "b started", "b stopped", "a stopped"]);
    expect(t.sys.calls.map((c) => [c.name, ...c.args])).toEqual([
      ["sync"],
      ["umount2", paths.var, 0],
      ["umount2", paths.system, 0],
      ["sync"],
      ["reboot", "poweroff"],
    ]);
  });

  test("bronze.shutdown=halt halts; reboot restarts; a busy mount is detached lazily", async () => {
    const halt = setup({ cmdline: `${HARDENED} bronze.shutdown=halt` });
    await halt.sequencer.boot();
    await halt.sequencer.shutdown();
    expect(halt.sys.rebooted).toBe("halt");

    const reboot = setup();
    await reboot.sequencer.boot();
    reboot.sys.failNext("umount2", "EBUSY", (args) => args[0] === paths.var && args[1] === 0);
    await reboot.sequencer.reboot();
    expect(reboot.sys.rebooted).toBe("restart");
    expect(reboot.sys.callsOf("umount2")).toEqual([
      [paths.var, 0],
      [paths.var, MNT_DETACH],
      [paths.system, 0],
    ]);
  });

  test("reset unmounts /var, wipes, then reboots; without reboot it powers off", async () => {
    const order: string[] = [];
    const t = setup();
    await t.sequencer.boot();
    await t.sequencer.reset({
      reset: {
        graceful: true,
        reboot: true,
        devices: [],
        wipe: async () => {
          order.push(`wipe after ${JSON.stringify(t.sys.callsOf("umount2"))}`);
        },
      },
    });
    expect(order).toEqual([`wipe after ${JSON.stringify([[paths.var, 0]])}`]);
    // /var is not unmounted twice
    expect(t.sys.callsOf("umount2")).toEqual([
      [paths.var, 0],
      [paths.system, 0],
    ]);
    expect(t.sys.rebooted).toBe("restart");
    const off = setup();
    await off.sequencer.boot();
    await off.sequencer.reset({
      reset: { graceful: false, reboot: false, devices: [], wipe: async () => {} },
    });
    expect(off.sys.rebooted).toBe("poweroff");
    const tasks = t.sequencer.events.filter(
      (e) => e.sequence === "reset" && e.task && e.state === "finished",
    );
    expect(tasks.map((e) => e.task)).toEqual([
      "stopAllServices",
      "wipeState",
      "sync",
      "unmountSystem",
      "reboot",
    ]);
  });

  test("reset takes down every mount of the wiped partitions and below them, deepest first, before the wipe", async () => {
    const t = setup();
    await t.sequencer.boot();
    // an installed node's partitions, a container's overlay below /var, a bind of EPHEMERAL elsewhere
    t.sys.mount("/dev/vda6", paths.var, "ext4");
    t.sys.mount("overlay", `${paths.var}/lib/containerd/rootfs`, "overlay");
    t.sys.mount("/dev/vda6", "/etc/kubernetes-bind", null, MS_BIND);
    t.sys.mount("/dev/vda5", paths.state, "ext4");
    let mountedAtWipe: string[] = [];
    await t.sequencer.reset({
      reset: {
        graceful: true,
        reboot: true,
        devices: ["/dev/vda5", "/dev/vda6"],
        wipe: async () => {
          mountedAtWipe = [...t.sys.mounts.values()].map((m) => `${m.source} ${m.target}`);
        },
      },
    });
    expect(mountedAtWipe.filter((m) => m.startsWith("/dev/vda") || m.includes(paths.var))).toEqual([]);
    const unmounts = t.sys.callsOf("umount2").map(([target]) => target);
    expect(unmounts.indexOf(`${paths.var}/lib/containerd/rootfs`)).toBeLessThan(unmounts.indexOf(paths.var));
    expect(unmounts).toContain("/etc/kubernetes-bind");
    expect(unmounts).toContain(paths.state);
    // never a lazy detach on the way to a wipe
    expect(t.sys.callsOf("umount2").filter(([, flags]) => flags !== 0)).toEqual([]);
    expect(t.lines.some((l) => l.includes("node state erased"))).toBe(true);
    expect(t.sys.rebooted).toBe("restart");
  });

  test("reset refuses to wipe a partition that stays mounted, and a failing wipe: the node restarts either way", async () => {
    const busy = setup();
    await busy.sequencer.boot();
    busy.sys.mount("/dev/vda6", paths.var, "ext4");
    busy.sys.failAlways("umount2", "EBUSY", (args) => args[0] === paths.var && args[1] === 0);
    let wiped = false;
    const run = busy.sequencer.reset({
      reset: {
        graceful: false,
        reboot: true,
        devices: ["/dev/vda6"],
        wipe: async () => {
          wiped = true;
        },
      },
    });
    for (let i = 0; i < 50 && busy.sys.rebooted === undefined; i++) await busy.clock.advance(1000);
    await run;
    expect(wiped).toBe(false);
    expect(
      busy.lines.some((l) => l.includes(`reset refused: /dev/vda6 on ${paths.var} still mounted (busy)`)),
    ).toBe(true);
    expect(busy.sys.rebooted).toBe("restart");

    const failing = setup();
    await failing.sequencer.boot();
    await failing.sequencer.reset({
      reset: {
        graceful: true,
        reboot: false,
        devices: [],
        wipe: async () => {
          throw new Error("mkfs.ext4 exited 1");
        },
      },
    });
    expect(failing.lines.some((l) => l.includes("the wipe failed: mkfs.ext4 exited 1"))).toBe(true);
    expect(failing.sys.rebooted).toBe("poweroff");
  });

  test("container mode: shutdown stops services and exits, without reboot or unmount", async () => {
    const t = setup({ platform: "container", cmdline: "" });
    await t.sequencer.boot();
    await t.sequencer.shutdown();
    expect(t.exits).toEqual([0]);
    expect(t.record).toEqual(["a started", "b started", "b stopped", "a stopped"]);
    expect(t.sys.calls.filter((c) => ["reboot", "umount2"].includes(c.name))).toEqual([]);
  });
});

describe("the sequence lock", () => {
  test("a reboot during boot is refused with Locked naming boot; a forced shutdown cancels the boot", async () => {
    let releaseNetwork: () => void = () => {};
    const t = setup({
      network: (_config) =>
        new Promise<void>((resolve) => {
          releaseNetwork = resolve;
        }),
    });
    const boot = t.sequencer.boot();
    const networkStarted = () => t.lines.includes("[boot] phase network: task network started");
    await eventually("the network task started", networkStarted, 10_000, 1);
    expect(t.sequencer.running).toBe("boot");

    const refused = await t.sequencer.reboot().catch((e) => e);
    expect(refused).toBeInstanceOf(SequenceLockedError);
    expect(refused.code).toBe("Locked");
    expect(refused.running).toBe("boot");
    await expect(t.sequencer.start("shutdown")).rejects.toBeInstanceOf(SequenceLockedError);

    const shutdown = t.sequencer.shutdown({ force: true });
    releaseNetwork();
    const bootError = await boot.catch((e) => e);
    expect(bootError).toBeInstanceOf(SequenceError);
    expect(bootError.code).toBe("Aborted");
    await shutdown;
    expect(t.sys.rebooted).toBe("poweroff");
    expect(t.record).toEqual([]); // the boot never reached its services
  });

  test("a forced shutdown goes on when the cancelled boot's task ignores its signal", async () => {
    const t = setup({ network: () => new Promise<void>(() => {}), cancelTimeoutMs: 5000 });
    void t.sequencer.boot().catch(() => {});
    const networkStarted = () => t.lines.includes("[boot] phase network: task network started");
    await eventually("the network task started", networkStarted, 10_000, 1);
    const shutdown = t.sequencer.shutdown({ force: true });
    await t.clock.advance(4999);
    expect(t.sys.rebooted).toBeUndefined();
    await t.clock.advance(1);
    await shutdown;
    expect(t.sys.rebooted).toBe("poweroff");
    expect(t.lines).toContain("[shutdown] the boot sequence did not stop within 5000 ms: going on");
  });

  test("start() returns once the sequence runs, in the background", async () => {
    const t = setup();
    await t.sequencer.boot();
    await t.sequencer.start("reboot");
    expect(t.sequencer.running).toBe("reboot");
    await expect(t.sequencer.boot()).rejects.toBeInstanceOf(SequenceLockedError);
    await eventually("the reboot done", () => t.sys.rebooted !== undefined, 10_000, 2);
    expect(t.sys.rebooted).toBe("restart");
  });
});
