// `osctl cluster create|destroy|show`: local Bronze clusters in QEMU. One QEMU process per node,
// each with a user-mode NIC (apid's port forwarded to 127.0.0.1, the host at 10.0.2.2) and a NIC on
// a multicast socket network shared by the cluster (no root needed); the configs are served by a
// detached `osctl pxe serve`. State and logs live under ~/.osctl/clusters/<name>.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tlsAnswers } from "@bronze/api";
import { applyPatches, ConfigError, formatIssue } from "@bronze/config-schema";
import { runTool } from "@bronze/image";
import { CliError, isCliError, usageError } from "../cli-error.ts";
import { withNodeSession } from "../client/node-client.ts";
import {
  accelerators,
  type ClusterPlan,
  ClusterPlanError,
  HOST_FROM_GUEST,
  type NodePlan,
  nodeCmdline,
  nodeIpxeScript,
  nodePatch,
  planCluster,
  type QemuBoot,
  qemuArgv,
} from "../cluster/cluster-plan.ts";
import {
  type ClusterState,
  ClusterStateError,
  clusterDir,
  loadClusterState,
  saveClusterState,
} from "../cluster/cluster-state.ts";
import { freePorts } from "../cluster/free-ports.ts";
import { applyConfigCommand, maintenanceFingerprint } from "../cluster/maintenance-node.ts";
import { NodeDiskError, prepareNodeDisk } from "../cluster/node-disk.ts";
import { type NodeOutcome, NodeWaitError, waitForNode } from "../cluster/node-wait.ts";
import { isAlive, spawnDetached, stopProcess } from "../cluster/process-control.ts";
import { KUBERNETES_VERSION } from "../gen/defaults.ts";
import type { Io } from "../io.ts";
import { isCompiled } from "../load-command.ts";
import { loadOsconfig, mergeOsconfig, parseOsconfig, saveOsconfig } from "../osconfig/osconfig.ts";
import { resolveOsconfigPath } from "../osconfig/osconfig-path.ts";
import { type OutputFormat, renderOutput, renderTable } from "../output/output-format.ts";
import { genConfig } from "./gen-config.ts";

export interface ClusterCreateOptions {
  name: string;
  controlplanes: number;
  workers: number;
  boot: string;
  memory: number;
  cpus: number;
  assets: string;
  configPatch: string[];
  configPatchControlPlane: string[];
  configPatchWorker: string[];
  /** false (`--no-config`): boot the nodes without a config, into maintenance mode. */
  config: boolean;
  wait: boolean;
  timeout?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const QEMU = "qemu-system-x86_64";

function quiet(io: Io): Io {
  return { ...io, stdout: () => {} };
}

/** How to run this same osctl again (compiled: the binary; from source: bun + main.ts). */
function selfArgv(): string[] {
  return isCompiled ? [process.execPath] : [process.execPath, resolve(import.meta.dir, "../main.ts")];
}

/**
 * KVM only when /dev/kvm opens and the CPU shows VT-x/AMD-V: a /dev/kvm without them (a guest
 * without nested virtualisation) makes `-cpu max` abort on its first MSR write.
 */
function kvmUsable(): boolean {
  try {
    closeSync(openSync("/dev/kvm", "r+"));
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

/** The image's artifacts a boot method needs: the kernel, initramfs and cmdline, or disk.raw. */
function checkAssets(dir: string, boot: "kernel" | "pxe" | "disk") {
  const needed = boot === "disk" ? ["disk.raw"] : ["vmlinuz", "initramfs.zst", "cmdline"];
  const missing = needed.map((f) => join(dir, f)).filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new CliError(
      "not-found",
      `--assets ${dir}: missing ${missing.join(", ")} (build them with \`bun image/src/main.ts build --profile qemu --out ${dir}\`)`,
    );
  return {
    kernel: join(dir, "vmlinuz"),
    initrd: join(dir, "initramfs.zst"),
    cmdline: boot === "disk" ? "" : readFileSync(join(dir, "cmdline"), "utf8"),
    disk: join(dir, "disk.raw"),
  };
}

function patchNodeConfig(base: string, node: NodePlan): string {
  try {
    return applyPatches(base, [nodePatch(node)], { mode: "qemu" });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(
        "invalid-input",
        `${node.name}: the config is invalid: ${error.message}\n${error.issues.map((i) => `  ${formatIssue(i, node.name)}`).join("\n")}`,
      );
    throw error;
  }
}

/** The node's copy of disk.raw, its grub.cfg holding the node's kernel arguments. */
async function nodeDisk(source: string, target: string, cmdline: (image: string) => string): Promise<void> {
  try {
    await prepareNodeDisk({ source, target, cmdline, run: runTool });
  } catch (error) {
    if (error instanceof NodeDiskError)
      throw new CliError(error.code === "BadImage" ? "invalid-input" : "failed", error.message);
    throw error;
  }
}

async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (!alive()) break;
    await Bun.sleep(100);
  }
  throw new CliError("failed", `the config server did not answer at ${url}`);
}

export async function clusterCreate(options: ClusterCreateOptions, globals: { osconfig?: string }, io: Io) {
  const started = Date.now();
  if (options.boot !== "kernel" && options.boot !== "pxe" && options.boot !== "disk")
    throw usageError(`--boot: "${options.boot}" (expected kernel, pxe or disk)`);
  const bootMethod: "kernel" | "pxe" | "disk" = options.boot;
  if (!Bun.which(QEMU))
    throw new CliError("not-found", `${QEMU} is not installed (Debian: apt-get install qemu-system-x86)`);

  const total = options.controlplanes + options.workers;
  let plan: ClusterPlan;
  const [serverPort, ...apidPorts] = await freePorts(total + 1);
  try {
    plan = planCluster({
      name: options.name,
      controlplanes: options.controlplanes,
      workers: options.workers,
      memoryMb: options.memory,
      cpus: options.cpus,
      apidPorts,
    });
  } catch (error) {
    if (error instanceof ClusterPlanError) throw usageError(error.message);
    throw error;
  }
  const assetsDir = resolve(io.cwd, options.assets);
  const assets = checkAssets(assetsDir, bootMethod);
  const dir = clusterDir(io.home, plan.name);
  const statePath = join(dir, "state.json");
  if (existsSync(statePath))
    throw new CliError(
      "exists",
      `cluster "${plan.name}" exists (${dir}); remove it with \`osctl cluster destroy --name ${plan.name}\``,
    );
  rmSync(dir, { recursive: true, force: true });
  const generated = join(dir, "generated");
  const configs = join(dir, "configs");
  mkdirSync(configs, { recursive: true, mode: 0o700 });

  // Configs: the user's patches through `gen config`, then each node's own patch.
  await genConfig(
    plan.name,
    plan.endpoint,
    {
      output: generated,
      configPatch: options.configPatch,
      configPatchControlPlane: options.configPatchControlPlane,
      configPatchWorker: options.configPatchWorker,
      installDisk: "/dev/vda",
      additionalSans: ["127.0.0.1"],
      kubernetesVersion: KUBERNETES_VERSION,
      force: true,
    },
    quiet(io),
  );
  const base = {
    controlplane: readFileSync(join(generated, "controlplane.yaml"), "utf8"),
    worker: readFileSync(join(generated, "worker.yaml"), "utf8"),
  };
  // Booted without a config, a node's config waits beside its logs, out of the config server's reach.
  const withConfig = options.config;
  const configFile = (node: { name: string; mac: string }) =>
    withConfig ? join(configs, `${node.mac}.yaml`) : join(dir, node.name, "config.yaml");
  for (const node of plan.nodes) {
    mkdirSync(join(dir, node.name), { recursive: true });
    writeFileSync(configFile(node), patchNodeConfig(base[node.role], node), { mode: 0o600 });
    if (bootMethod === "pxe")
      writeFileSync(
        join(configs, `${node.mac}.ipxe`),
        nodeIpxeScript(assets.cmdline, serverPort as number, node, { config: withConfig }),
      );
  }
  io.stdout(
    withConfig
      ? `generated configs for ${total} node(s) in ${configs}\n`
      : `generated configs for ${total} node(s) in ${dir}/<node>/config.yaml; the nodes boot without them (maintenance mode)\n`,
  );

  // Each node's disk first (--boot disk): a failure here leaves no process and no context behind.
  const disks = new Map<string, string>();
  if (bootMethod === "disk") {
    for (const node of plan.nodes) {
      const nodeDir = join(dir, node.name);
      mkdirSync(nodeDir, { recursive: true });
      const disk = join(nodeDir, "disk.raw");
      await nodeDisk(assets.disk, disk, (image) =>
        nodeCmdline(image, withConfig ? (serverPort as number) : undefined, node),
      );
      io.stdout(`${node.name}: disk ${disk} (a copy of disk.raw; GRUB boots it with the node's arguments)\n`);
      disks.set(node.name, disk);
    }
  }

  // The client config: one context, every node's forwarded apid as an endpoint.
  const osconfigPath = resolveOsconfigPath(globals.osconfig, io);
  const generatedOsconfig = parseOsconfig(
    readFileSync(join(generated, "osconfig"), "utf8"),
    "generated osconfig",
  );
  const context = generatedOsconfig.contexts[plan.name];
  if (!context) throw new CliError("failed", "gen config wrote no context");
  context.endpoints = plan.nodes.map((n) => `127.0.0.1:${n.apidPort}`);
  context.nodes = [];
  const { config: merged, renamed } = mergeOsconfig(loadOsconfig(osconfigPath, { allowMissing: true }), {
    context: plan.name,
    contexts: { [plan.name]: context },
  });
  const contextName = renamed[plan.name] ?? plan.name;
  mkdirSync(resolve(osconfigPath, ".."), { recursive: true });
  saveOsconfig(osconfigPath, merged);
  io.stdout(`merged context "${contextName}" into ${osconfigPath}\n`);

  // The config server, detached so it outlives this command.
  const serverLog = join(dir, "pxe-server.log");
  const server = spawnDetached(
    [
      ...selfArgv(),
      "pxe",
      "serve",
      "--assets",
      assetsDir,
      "--configs",
      configs,
      "--listen",
      `127.0.0.1:${serverPort}`,
    ],
    serverLog,
  );
  server.child.on("exit", () => {});
  const state: ClusterState = {
    name: plan.name,
    createdAt: io.now().toISOString(),
    boot: bootMethod,
    osconfig: osconfigPath,
    context: contextName,
    server: { pid: server.pid, port: serverPort as number, log: serverLog },
    nodes: [],
  };
  saveClusterState(io.home, state);
  await waitForHttp(`http://127.0.0.1:${serverPort}/healthz`, 15_000, () => isAlive(server.pid));
  io.stdout(
    `config server on http://127.0.0.1:${serverPort} (guests: http://10.0.2.2:${serverPort}), log ${serverLog}\n`,
  );

  const accel = accelerators(kvmUsable());
  for (const node of plan.nodes) {
    const nodeDir = join(dir, node.name);
    mkdirSync(nodeDir, { recursive: true });
    const serialLog = join(nodeDir, "serial.log");
    const configPort = withConfig ? (serverPort as number) : undefined;
    let boot: QemuBoot;
    const disk = disks.get(node.name);
    if (disk !== undefined) boot = { method: "disk", disk };
    else if (bootMethod === "kernel") boot = { method: "kernel", assets };
    else
      boot = {
        method: "pxe",
        scriptUrl: `http://${HOST_FROM_GUEST}:${serverPort}/boot.ipxe?mac=${node.mac}`,
      };
    const argv = qemuArgv({
      plan,
      node,
      boot,
      configPort,
      accelerators: accel,
      serialLog,
      pidFile: join(nodeDir, "qemu.pid"),
    });
    writeFileSync(join(nodeDir, "qemu.argv"), `${JSON.stringify(argv)}\n`);
    const qemu = spawnDetached(argv, join(nodeDir, "qemu.log"));
    qemu.child.on("exit", () => {});
    state.nodes.push({
      name: node.name,
      role: node.role,
      pid: qemu.pid,
      mac: node.mac,
      clusterIp: node.clusterIp,
      apidPort: node.apidPort,
      serialLog,
    });
    saveClusterState(io.home, state);
    io.stdout(
      `started ${node.name} (${node.role}, pid ${qemu.pid}, ${node.clusterIp}, apid on 127.0.0.1:${node.apidPort}, accel ${accel.join(",")})\n`,
    );
  }

  let failed = 0;
  const outcomeOf = new Map<string, NodeOutcome>();
  if (options.wait) {
    const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
    io.stdout(`waiting for the nodes (at most ${Math.round(timeoutMs / 1000)} s)...\n`);
    const outcomes = await Promise.all(
      state.nodes.map(async (node): Promise<NodeOutcome | Error> => {
        const read = () => readText(node.serialLog);
        try {
          return await waitForNode(
            {
              serial: read,
              alive: () => isAlive(node.pid),
              tlsAnswers: () => tlsAnswers("127.0.0.1", node.apidPort),
              version: () =>
                withNodeSession(
                  {
                    osconfig: osconfigPath,
                    context: contextName,
                    endpoints: [`127.0.0.1:${node.apidPort}`],
                    // apid's TLS answers already: a loaded TCG node may take many seconds over its
                    // first call, and a call cancelled at 5 s only started over (and reset machined's socket)
                    timeout: 30_000,
                  },
                  quiet(io),
                  {},
                  async (s) => (await s.client.version({}, { timeoutMs: s.timeoutMs })).version?.tag ?? "",
                ),
            },
            {
              timeoutMs,
              clock: { now: () => Date.now(), sleep: (ms) => Bun.sleep(ms) },
              progress: (_stage, message) => io.stdout(`  ${node.name}: ${message} (${elapsed(started)})\n`),
            },
          );
        } catch (error) {
          return error instanceof NodeWaitError || isCliError(error)
            ? (error as Error)
            : new Error(String(error));
        }
      }),
    );
    outcomes.forEach((outcome, i) => {
      const node = state.nodes[i];
      if (!node) return;
      if (outcome instanceof Error) {
        failed++;
        const qemuLog = tail(join(dir, node.name, "qemu.log"), 5);
        io.stderr(
          `${node.name}: ${outcome.message}; serial log: ${node.serialLog}\n${qemuLog ? `${qemuLog}\n` : ""}`,
        );
      } else {
        outcomeOf.set(node.name, outcome);
        io.stdout(`${node.name}: ${outcome.stage === "api" ? "ready" : "up"}: ${outcome.detail}\n`);
      }
    });
  }

  // Nodes waiting in maintenance mode (all of them with --no-config, and without --wait): how to bring
  // each up, pinned to the certificate fingerprint its console shows.
  const waiting = state.nodes.filter((node) =>
    options.wait ? outcomeOf.get(node.name)?.stage === "maintenance" : !withConfig,
  );
  const applyLines = waiting.map(
    (node) =>
      `  ${applyConfigCommand({
        endpoint: `127.0.0.1:${node.apidPort}`,
        file: configFile(node),
        fingerprint:
          outcomeOf.get(node.name)?.fingerprint ?? maintenanceFingerprint(readText(node.serialLog)),
        serialLog: node.serialLog,
      })}`,
  );

  const flag = globals.osconfig ? ` --osconfig ${osconfigPath}` : "";
  const status = failed
    ? `started, ${failed} node(s) not up`
    : !options.wait
      ? "started"
      : waiting.length > 0
        ? `is up, ${waiting.length} node(s) in maintenance mode`
        : "is up";
  io.stdout(
    [
      "",
      `cluster "${plan.name}" ${status} (${elapsed(started)})`,
      ...(applyLines.length > 0
        ? [
            `apply each node's config over the maintenance API${options.wait ? "" : " once its console shows the certificate fingerprint"}:`,
            ...applyLines,
            "then:",
          ]
        : ["try:"]),
      `  osctl${flag} --context ${contextName} version`,
      `  osctl${flag} --context ${contextName} services`,
      `  osctl${flag} --context ${contextName} -e 127.0.0.1:${state.nodes[0]?.apidPort} logs containerd`,
      `  osctl cluster show --name ${plan.name}`,
      `  osctl${flag} cluster destroy --name ${plan.name}`,
      `serial logs: ${dir}/<node>/serial.log`,
      "",
    ].join("\n"),
  );
  return failed ? 1 : 0;
}

function clusterStateOrError(home: string, name: string): ClusterState {
  try {
    return loadClusterState(home, name);
  } catch (error) {
    if (error instanceof ClusterStateError)
      throw new CliError(error.code === "NotFound" ? "not-found" : "invalid-input", error.message);
    throw error;
  }
}

export async function clusterDestroy(options: { name: string }, io: Io): Promise<number> {
  const state = clusterStateOrError(io.home, options.name);
  let left = 0;
  for (const node of state.nodes) {
    const stopped = await stopProcess(node.pid);
    io.stdout(`${node.name}: ${stopped ? "stopped" : `pid ${node.pid} still running`}\n`);
    if (!stopped) left++;
  }
  if (!(await stopProcess(state.server.pid))) left++;
  io.stdout(`config server: stopped\n`);
  if (existsSync(state.osconfig)) {
    const config = loadOsconfig(state.osconfig);
    if (config.contexts[state.context]) {
      delete config.contexts[state.context];
      if (config.context === state.context) config.context = Object.keys(config.contexts)[0] ?? "";
      saveOsconfig(state.osconfig, config);
      io.stdout(`removed context "${state.context}" from ${state.osconfig}\n`);
    }
  }
  if (left > 0)
    throw new CliError(
      "failed",
      `${left} process(es) of cluster "${state.name}" could not be stopped; state kept in ${clusterDir(io.home, state.name)}`,
    );
  rmSync(clusterDir(io.home, state.name), { recursive: true, force: true });
  io.stdout(`cluster "${state.name}" destroyed\n`);
  return 0;
}

export function clusterShow(options: { name: string; output: OutputFormat }, io: Io): number {
  const state = clusterStateOrError(io.home, options.name);
  const nodes = state.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    pid: n.pid,
    alive: isAlive(n.pid),
    apid: `127.0.0.1:${n.apidPort}`,
    ip: n.clusterIp,
    mac: n.mac,
    serialLog: n.serialLog,
  }));
  const data = {
    name: state.name,
    createdAt: state.createdAt,
    context: state.context,
    osconfig: state.osconfig,
    server: { ...state.server, alive: isAlive(state.server.pid) },
    nodes,
  };
  io.stdout(
    renderOutput(options.output, data, () =>
      [
        `cluster ${state.name} (created ${state.createdAt}, context "${state.context}" in ${state.osconfig})`,
        `config server: pid ${state.server.pid} ${data.server.alive ? "alive" : "dead"}, http://127.0.0.1:${state.server.port}`,
        "",
        renderTable(
          ["NODE", "ROLE", "PID", "ALIVE", "APID", "IP"],
          nodes.map((n) => [n.name, n.role, String(n.pid), n.alive ? "yes" : "no", n.apid, n.ip]),
        ),
      ].join("\n"),
    ),
  );
  return 0;
}
