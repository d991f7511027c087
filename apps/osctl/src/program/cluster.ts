// `osctl cluster create|destroy|show`: local Bronze clusters in QEMU.
import type { Command } from "commander";
import { parseInteger } from "../client/node-flags.ts";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";
import { collect } from "../options.ts";
import { type ExitCodeSink, type GlobalOptions, outputFlag } from "./globals.ts";

export function addClusterCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  const cluster = program.command("cluster").description("local Bronze clusters in QEMU");
  const name = ["--name <name>", "cluster name", "bronze"] as const;
  cluster
    .command("create")
    .description("boot a local cluster in QEMU, serve its configs and wait until the nodes answer")
    .option(...name)
    .option("--controlplanes <n>", "control-plane nodes", parseInteger("--controlplanes"), 1)
    .option("--workers <n>", "worker nodes", parseInteger("--workers"), 1)
    .option(
      "--boot <method>",
      "kernel (direct kernel boot), pxe (iPXE from the config server) or disk (a copy of disk.raw per node, GRUB)",
      "kernel",
    )
    .option(
      "--memory <mb>",
      "guest RAM per node in MB (a control plane runs in 512)",
      parseInteger("--memory"),
      512,
    )
    .option("--cpus <n>", "vCPUs per node", parseInteger("--cpus"), 1)
    .option(
      "--extra-disks <n>",
      "empty disks per node besides its boot disk",
      parseInteger("--extra-disks"),
      0,
    )
    .option(
      "--extra-disk-size <mb>",
      "size of each extra disk in MiB",
      parseInteger("--extra-disk-size"),
      256,
    )
    .option("--assets <dir>", "the image's artifacts (bun image/src/main.ts build --profile qemu)", "_out")
    .option("--config-patch <patch>", "patch for every node's config (repeatable)", collect(false), [])
    .option(
      "--config-patch-control-plane <patch>",
      "patch for control planes (repeatable)",
      collect(false),
      [],
    )
    .option("--config-patch-worker <patch>", "patch for workers (repeatable)", collect(false), [])
    .option(
      "--no-config",
      "boot the nodes without their configs (kept in the cluster's directory): they wait in maintenance mode, and osctl prints the `apply-config --insecure` command for each",
    )
    .option("--no-wait", "do not wait for the nodes")
    .option(
      "--no-bootstrap",
      "leave etcd waiting for `osctl bootstrap` (default: bootstrap it on the first control plane and wait until every control plane is a member)",
    )
    .addHelpText(
      "after",
      "\n--timeout bounds the wait (default 10m). With --no-config the wait ends when each node's console shows its\nmaintenance certificate fingerprint.",
    )
    .action(async (options, cmd: Command) => {
      const { clusterCreate } = await loadCommand("cluster");
      const globals = cmd.optsWithGlobals<GlobalOptions & { timeout?: number }>();
      setExitCode(await clusterCreate({ ...options, timeout: globals.timeout }, globals, io));
    });
  cluster
    .command("destroy")
    .description("stop every process of a local cluster, remove its state and its context")
    .option(...name)
    .action(async (options) => {
      const { clusterDestroy } = await loadCommand("cluster");
      setExitCode(await clusterDestroy(options, io));
    });
  cluster
    .command("show")
    .description("list a local cluster's nodes and whether they run")
    .option(...name)
    .option(...outputFlag)
    .action(async (options) => {
      const { clusterShow } = await loadCommand("cluster");
      setExitCode(clusterShow(options, io));
    });
}
