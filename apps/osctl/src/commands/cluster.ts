// `osctl cluster create|destroy|show`: local Bronze clusters in QEMU. One QEMU process per node,
// each with a user-mode NIC (apid's port forwarded to 127.0.0.1, the host at 10.0.2.2) and a NIC on
// a multicast socket network shared by the cluster (no root needed); the configs are served by a
// detached `osctl pxe serve`. State and logs live under ~/.osctl/clusters/<name>. The steps of
// `create` live in src/cluster/ (see its README).
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { runTool } from "@bronze/image";
import { CliError } from "../cli-error.ts";
import { checkAssets, parseBootMethod } from "../cluster/cluster-assets.ts";
import { bootstrapClusterEtcd } from "../cluster/cluster-bootstrap.ts";
import { mergeClusterContext } from "../cluster/cluster-context.ts";
import { type ClusterDirs, createClusterDir } from "../cluster/cluster-dir.ts";
import type { ClusterPlan } from "../cluster/cluster-plan.ts";
import {
  type ClusterState,
  ClusterStateError,
  clusterDir,
  loadClusterState,
  saveClusterState,
} from "../cluster/cluster-state.ts";
import { DEFAULT_WAIT_MS, type NodesOutcome, waitForNodes } from "../cluster/cluster-wait.ts";
import { startConfigServer, waitForConfigServer } from "../cluster/config-server.ts";
import { createSummary } from "../cluster/create-summary.ts";
import { type BaseConfigs, nodeConfigPath, writeNodeConfigs } from "../cluster/node-configs.ts";
import { prepareNodeDisks } from "../cluster/node-disk.ts";
import { planNodes } from "../cluster/plan-nodes.ts";
import { isAlive, stopProcess } from "../cluster/process-control.ts";
import { requireQemu } from "../cluster/qemu-host.ts";
import { startQemuNodes } from "../cluster/qemu-nodes.ts";
import { KUBERNETES_VERSION } from "../config-generator/defaults.ts";
import { type Io, quietIo } from "../io.ts";
import { loadOsconfig, saveOsconfig } from "../osconfig/osconfig.ts";
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
  /** false (`--no-bootstrap`): leave etcd waiting for `osctl bootstrap`. */
  bootstrap?: boolean;
  timeout?: number;
  /** Empty disks per node, and their size in MiB. */
  extraDisks?: number;
  extraDiskSize?: number;
}

/** The cluster's configs: the user's patches through `gen config` (into generated/), read back. */
async function generateBaseConfigs(
  plan: ClusterPlan,
  options: ClusterCreateOptions,
  dirs: ClusterDirs,
  io: Io,
): Promise<BaseConfigs> {
  await genConfig(
    plan.name,
    plan.endpoint,
    {
      output: dirs.generated,
      configPatch: options.configPatch,
      configPatchControlPlane: options.configPatchControlPlane,
      configPatchWorker: options.configPatchWorker,
      installDisk: "/dev/vda",
      additionalSans: ["127.0.0.1"],
      kubernetesVersion: KUBERNETES_VERSION,
      force: true,
    },
    quietIo(io),
  );
  return {
    controlplane: readFileSync(join(dirs.generated, "controlplane.yaml"), "utf8"),
    worker: readFileSync(join(dirs.generated, "worker.yaml"), "utf8"),
  };
}

export async function clusterCreate(options: ClusterCreateOptions, globals: { osconfig?: string }, io: Io) {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const boot = parseBootMethod(options.boot);
  requireQemu();
  const { plan, serverPort } = await planNodes({
    name: options.name,
    controlplanes: options.controlplanes,
    workers: options.workers,
    memoryMb: options.memory,
    cpus: options.cpus,
  });
  const assetsDir = resolve(io.cwd, options.assets);
  const assets = checkAssets(assetsDir, boot);
  const dirs = createClusterDir(io.home, plan.name);
  const withConfig = options.config;

  const base = await generateBaseConfigs(plan, options, dirs, io);
  writeNodeConfigs({ plan, dirs, base, boot, cmdline: assets.cmdline, serverPort, withConfig }, io);
  // Each node's disk first (--boot disk): a failure here leaves no process and no context behind.
  const disks =
    boot === "disk"
      ? await prepareNodeDisks({ plan, dirs, source: assets.disk, serverPort, withConfig, run: runTool }, io)
      : new Map<string, string>();
  const osconfigPath = resolveOsconfigPath(globals.osconfig, io);
  const contextName = mergeClusterContext(plan, join(dirs.generated, "osconfig"), osconfigPath, io);

  const serverLog = join(dirs.dir, "pxe-server.log");
  const serverPid = startConfigServer({ assetsDir, configs: dirs.configs, port: serverPort, log: serverLog });
  const state: ClusterState = {
    name: plan.name,
    createdAt: io.now().toISOString(),
    boot,
    osconfig: osconfigPath,
    context: contextName,
    server: { pid: serverPid, port: serverPort, log: serverLog },
    nodes: [],
  };
  saveClusterState(io.home, state);
  await waitForConfigServer(serverPort, serverPid);
  io.stdout(
    `config server on http://127.0.0.1:${serverPort} (guests: http://10.0.2.2:${serverPort}), log ${serverLog}\n`,
  );

  startQemuNodes(
    {
      plan,
      dir: dirs.dir,
      boot,
      assets,
      disks,
      serverPort,
      withConfig,
      extraDisks: options.extraDisks ?? 0,
      extraDiskMb: options.extraDiskSize ?? 256,
    },
    state,
    io,
  );
  const { failed, outcomes }: NodesOutcome = options.wait
    ? await waitForNodes(
        state,
        {
          dir: dirs.dir,
          osconfig: osconfigPath,
          context: contextName,
          timeoutMs: options.timeout ?? DEFAULT_WAIT_MS,
          elapsed,
        },
        io,
      )
    : { failed: 0, outcomes: new Map() };
  // etcd on the first control plane, the others joining (only for nodes that came up with their config)
  const etcdFailed =
    options.wait && withConfig && failed === 0 && options.bootstrap !== false
      ? await bootstrapClusterEtcd(
          state,
          {
            osconfig: osconfigPath,
            context: contextName,
            timeoutMs: options.timeout ?? DEFAULT_WAIT_MS,
            elapsed,
          },
          io,
        )
      : 0;
  io.stdout(
    createSummary({
      state,
      dir: dirs.dir,
      waited: options.wait,
      withConfig,
      failed,
      outcomes,
      osconfigFlag: globals.osconfig ? osconfigPath : undefined,
      configFile: (node) => nodeConfigPath(dirs, node, withConfig),
      elapsed: elapsed(),
    }),
  );
  return failed || etcdFailed ? 1 : 0;
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
