// A real containerd for tests (this lib's and machined's): its own root, state, sockets and config
// under a temporary directory, and for its tasks its own runc state directory and namespace (runc's
// state and containerd's cgroups are host-wide per namespace: two harnesses, or a harness and the
// host's containerd, sharing a namespace would act on each other's containers); stopped and cleaned
// (tasks killed, shims gone, mounts unmounted, directory removed) by stop().

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type Subprocess, spawn } from "bun";
import type { ContainerdClient } from "../client.ts";

export interface TestContainerdOptions {
  /** Snapshotter the tests should use (default: overlayfs if this host can mount it, else native). */
  snapshotter?: "overlayfs" | "native";
  /** containerd binary (default `containerd` from PATH). */
  binary?: string;
  /** How long to wait for the socket, in milliseconds (default 15 000). */
  startTimeoutMs?: number;
}

export interface TestContainerd {
  /** Temporary directory holding everything of this containerd. */
  readonly dir: string;
  readonly socketPath: string;
  readonly root: string;
  readonly state: string;
  readonly logPath: string;
  readonly snapshotter: "overlayfs" | "native";
  /** runc's state directory for this containerd's tasks (what `connect` passes as runcRoot). */
  readonly runcRoot: string;
  /** A namespace no other harness uses (the default of `connect`). */
  readonly namespace: string;
  /** A client of this containerd in `namespace` (default this harness's), its snapshotter and runc root. */
  connect(namespace?: string): Promise<ContainerdClient>;
  /** Process id of the running daemon (undefined while stopped). */
  readonly pid: number | undefined;
  /** Stops the daemon with SIGTERM (SIGKILL with `kill`), leaving its state and running shims. */
  stopDaemon(options?: { kill?: boolean }): Promise<void>;
  /** Starts the daemon again on the same state (after stopDaemon). */
  startDaemon(): Promise<void>;
  /** Kills every task, stops the daemon and its shims, unmounts, and removes the directory. */
  stop(): Promise<void>;
}

// Plugins a test (or machined) never needs; disabling them makes the daemon start faster.
const DISABLED_PLUGINS = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
];

/** containerd's config.toml (version 2) for a daemon living entirely under `dir`. */
export function testContainerdConfig(dir: string): string {
  return [
    "version = 2",
    `root = ${JSON.stringify(join(dir, "root"))}`,
    `state = ${JSON.stringify(join(dir, "state"))}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map((p) => JSON.stringify(p)).join(", ")}]`,
    "",
    "[grpc]",
    `  address = ${JSON.stringify(join(dir, "containerd.sock"))}`,
    "",
    "[ttrpc]",
    `  address = ${JSON.stringify(join(dir, "containerd.sock.ttrpc"))}`,
    "",
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(join(dir, "opt"))}`,
    "",
  ].join("\n");
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Pids of containerd shims serving the daemon at `socketPath`. */
function shimPids(socketPath: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (!argv[0]?.includes("containerd-shim")) continue;
      const i = argv.indexOf("-address");
      if (i >= 0 && argv[i + 1] === socketPath) pids.push(Number(name));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

function mountPointsUnder(dir: string): string[] {
  const lines = readFileSync("/proc/self/mountinfo", "utf8").split("\n");
  const points = lines
    .map((l) => l.split(" ")[4] ?? "")
    .map((p) => p.replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function cgroupMounts(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(" ")[4] ?? "")
    .filter(Boolean);
}

async function killTasks(socketPath: string): Promise<string[]> {
  // Imported lazily: the client imports nothing from here, and tests of the harness stay cheap.
  const { ContainerdClient: Client } = await import("../client.ts");
  const namespaces: string[] = [];
  let root: ContainerdClient | undefined;
  try {
    root = await Client.connect({ socketPath, namespace: "default", timeoutMs: 5_000 });
    for (const ns of await root.namespaces.list()) {
      namespaces.push(ns.name);
      const client = root.withNamespace(ns.name);
      for (const task of await client.tasks.list()) {
        await client.tasks.kill(task.containerId, "SIGKILL", { all: true }).catch(() => {});
        await client.tasks.wait(task.containerId, { timeoutMs: 5_000 }).catch(() => {});
        await client.tasks.remove(task.containerId).catch(() => {});
      }
    }
  } catch {
    // a dead daemon has no tasks we can reach; its shims are killed below
  } finally {
    root?.close();
  }
  return namespaces;
}

/** overlayfs when this host can mount it (as root it normally can), else native. */
export function detectSnapshotter(scratch: string): "overlayfs" | "native" {
  const base = join(scratch, "overlay-probe");
  for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(join(base, d), { recursive: true });
  const mount = Bun.spawnSync(
    [
      "mount",
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`,
      `${base}/merged`,
    ],
    { stderr: "pipe" },
  );
  if (mount.exitCode === 0) Bun.spawnSync(["umount", `${base}/merged`]);
  rmSync(base, { recursive: true, force: true });
  if (mount.exitCode === 0) return "overlayfs";
  console.warn(
    `test containerd: overlayfs cannot be mounted here (${mount.stderr.toString().trim()}); using the native snapshotter`,
  );
  return "native";
}

export async function startTestContainerd(options: TestContainerdOptions = {}): Promise<TestContainerd> {
  const dir = mkdtempSync(join(tmpdir(), "ctrd-"));
  const socketPath = join(dir, "containerd.sock");
  const configPath = join(dir, "config.toml");
  const logPath = join(dir, "containerd.log");
  mkdirSync(join(dir, "root"));
  mkdirSync(join(dir, "state"));
  const runcRoot = join(dir, "runc");
  mkdirSync(runcRoot);
  const namespace = `bronze-test-${basename(dir).slice("ctrd-".length)}`;
  writeFileSync(configPath, testContainerdConfig(dir));
  const timeout = options.startTimeoutMs ?? 15_000;
  const snapshotter = options.snapshotter ?? detectSnapshotter(dir);
  let proc: Subprocess | undefined;
  const onExit = () => proc?.kill("SIGKILL");

  async function startDaemon(): Promise<void> {
    rmSync(socketPath, { force: true });
    const p = spawn([options.binary ?? "containerd", "--config", configPath], {
      stdin: "ignore",
      stdout: Bun.file(logPath),
      stderr: Bun.file(logPath),
    });
    proc = p;
    const deadline = Date.now() + timeout;
    while (!(existsSync(socketPath) && (await canConnect(socketPath)))) {
      if (p.exitCode !== null || p.signalCode !== null || Date.now() > deadline) {
        p.kill("SIGKILL");
        const log = existsSync(logPath)
          ? readFileSync(logPath, "utf8").split("\n").slice(-15).join("\n")
          : "";
        throw new Error(
          `containerd did not come up on ${socketPath} (exit ${p.exitCode ?? p.signalCode ?? "none"}):\n${log}`,
        );
      }
      await Bun.sleep(10);
    }
  }

  async function stopDaemon(opts: { kill?: boolean } = {}): Promise<void> {
    const p = proc;
    if (!p) return;
    proc = undefined;
    p.kill(opts.kill ? "SIGKILL" : "SIGTERM");
    const exited = await Promise.race([p.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
    if (!exited) {
      p.kill("SIGKILL");
      await p.exited;
    }
  }

  process.once("exit", onExit);
  try {
    await startDaemon();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    dir,
    socketPath,
    root: join(dir, "root"),
    state: join(dir, "state"),
    logPath,
    snapshotter,
    runcRoot,
    namespace,
    async connect(ns = namespace) {
      const { ContainerdClient: Client } = await import("../client.ts");
      return Client.connect({ socketPath, namespace: ns, snapshotter, runcRoot });
    },
    get pid() {
      return proc?.pid;
    },
    stopDaemon,
    startDaemon,
    async stop() {
      const namespaces = proc ? await killTasks(socketPath) : [];
      await stopDaemon();
      for (const pid of shimPids(socketPath)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      for (const point of mountPointsUnder(dir)) Bun.spawnSync(["umount", "-l", point]);
      // runc removes each container's cgroup but not the per-namespace parent the spec put it in.
      for (const mount of cgroupMounts())
        for (const ns of namespaces) {
          try {
            rmdirSync(join(mount, ns));
          } catch {
            // absent, or not empty
          }
        }
      rmSync(dir, { recursive: true, force: true });
      process.off("exit", onExit);
    },
  };
}
