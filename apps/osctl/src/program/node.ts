// The node commands: they call the nodes' API through apid (`-e`, `-n`, `--timeout`), one group of
// registrations per commands/ module (each one a group of program/groups.ts).
import type { Command } from "commander";
import { usageError } from "../cli-error.ts";
import {
  parseApplyMode,
  parseCount,
  parseDuration,
  parseInteger,
  parseServiceAction,
  type ServiceAction,
} from "../client/node-flags.ts";
import type { Io } from "../io.ts";
import { loadCommand } from "../load-command.ts";
import { collect } from "../options.ts";
import { type ExitCodeSink, nodeGlobals, outputFlag } from "./globals.ts";

/** `version`: the client's and each node's. */
export function addVersionCommand(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("version")
    .description("print the client's version and each node's")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { version } = await loadCommand("version");
      setExitCode(await version(options, nodeGlobals(cmd, io), io));
    });
}

/** `services`, `service <id> [action]`, `health`. */
export function addServiceCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("services")
    .description("list the services of each node with their state and health")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { services } = await loadCommand("services");
      setExitCode(await services(options, nodeGlobals(cmd, io), io));
    });
  program
    .command("service")
    .description("show a service's status, or start, stop or restart it")
    .argument("<id>", "service id, e.g. kubelet")
    .argument("[action]", "start, stop, restart or status", parseServiceAction, "status")
    .option(...outputFlag)
    .action(async (id: string, action: ServiceAction, options, cmd: Command) => {
      const { service } = await loadCommand("services");
      setExitCode(await service(id, action, options, nodeGlobals(cmd, io), io));
    });
  program
    .command("health")
    .description(
      "wait until the services are running and healthy on every node, and etcd on the control planes (every member started, voting and answering, one leader, no errors or alarms), with progress",
    )
    .option(
      "--services <ids>",
      "services to wait for (comma list; default: every service not skipped or finished)",
      collect(true),
      [],
    )
    .addHelpText("after", "\n--timeout bounds the wait (default 10m).")
    .action(async (options, cmd: Command) => {
      const { health } = await loadCommand("services");
      setExitCode(await health(options, nodeGlobals(cmd, io), io));
    });
}

/** `logs <service>`, `dmesg`, `events`. */
export function addLogCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("logs")
    .description("print a service's logs")
    .argument("<service>", "service id")
    .option("-f, --follow", "keep streaming new lines until interrupted", false)
    .option("--tail <lines>", "how many past lines to print first (default: all kept)", parseCount("--tail"))
    .action(async (id: string, options, cmd: Command) => {
      const { logs } = await loadCommand("logs");
      setExitCode(await logs(id, options, nodeGlobals(cmd, io), io));
    });
  program
    .command("dmesg")
    .description("print the kernel log")
    .option("-f, --follow", "keep streaming new messages until interrupted", false)
    .option("--tail", "only new messages, not those already in the buffer", false)
    .action(async (options, cmd: Command) => {
      const { dmesg } = await loadCommand("logs");
      setExitCode(await dmesg(options, nodeGlobals(cmd, io), io));
    });
  program
    .command("events")
    .description("print the service state transitions")
    .option("-f, --follow", "keep streaming new events until interrupted", false)
    .option(
      "--tail <events>",
      "how many past events to print first (default: all kept)",
      parseCount("--tail"),
    )
    .option("--service <id>", "only this service's events")
    .action(async (options, cmd: Command) => {
      const { events } = await loadCommand("logs");
      setExitCode(await events(options, nodeGlobals(cmd, io), io));
    });
}

/** `containers` (`ps`), `processes`, `memory`, `mounts`, `stats`. */
export function addSystemInfoCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("containers")
    .alias("ps")
    .description("list the containers (machined's, or with -k the Kubernetes ones)")
    .option("-k, --kubernetes", "the Kubernetes namespace (k8s.io) instead of the system one", false)
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { containers } = await loadCommand("system-info");
      setExitCode(await containers(options, nodeGlobals(cmd, io), io));
    });
  const infos = [
    ["processes", "list the node's processes"],
    ["memory", "show the node's memory usage (MB)"],
    ["mounts", "list the mounts with their usage"],
  ] as const;
  for (const [name, description] of infos) {
    program
      .command(name)
      .description(description)
      .option(...outputFlag)
      .action(async (options, cmd: Command) => {
        const info = await loadCommand("system-info");
        setExitCode(await info[name](options, nodeGlobals(cmd, io), io));
      });
  }
  program
    .command("stats")
    .description("resource usage of machined's services (or with -k of the Kubernetes containers)")
    .option("-k, --kubernetes", "the Kubernetes namespace (k8s.io)", false)
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { stats } = await loadCommand("system-info");
      setExitCode(await stats(options, nodeGlobals(cmd, io), io));
    });
}

/** `ls`, `read`, `cp`: the node's files. */
export function addFileCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("ls")
    .alias("list")
    .description("list files on the node")
    .argument("[path]", "directory to list", "/")
    .option("-l, --long", "mode, owner, size and modification time", false)
    .option("-d, --depth <levels>", "levels to descend (negative: no limit)", parseInteger("--depth"), 1)
    .option(...outputFlag)
    .action(async (path: string, options, cmd: Command) => {
      const { ls } = await loadCommand("files");
      setExitCode(await ls(path, options, nodeGlobals(cmd, io), io));
    });
  program
    .command("read")
    .description("print a file of the node")
    .argument("<path>", "file on the node")
    .action(async (path: string, _options, cmd: Command) => {
      const { read } = await loadCommand("files");
      setExitCode(await read(path, nodeGlobals(cmd, io), io));
    });
  program
    .command("cp")
    .alias("copy")
    .description("copy a file or directory from the node into a local directory")
    .argument("<path>", "file or directory on the node")
    .argument("<local>", "local directory to extract into")
    .action(async (path: string, local: string, _options, cmd: Command) => {
      const { cp } = await loadCommand("files");
      setExitCode(await cp(path, local, nodeGlobals(cmd, io), io));
    });
}

/** `get config`, `apply-config`: the node's machine config. */
export function addMachineConfigCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("get")
    .description("get a resource from the nodes")
    .command("config")
    .description("print the machine config (secrets redacted unless os:admin)")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { getConfig } = await loadCommand("machine-config");
      setExitCode(await getConfig(options, nodeGlobals(cmd, io), io));
    });
  program
    .command("apply-config")
    .description("apply a machine config to the nodes")
    .requiredOption("-f, --file <file>", "machine config to apply")
    .option("--mode <mode>", "auto, no-reboot, staged or try", parseApplyMode, "auto")
    .option(
      "--try-timeout <duration>",
      "with --mode try: revert after this long unless confirmed (default 1m)",
      parseDuration("--try-timeout"),
    )
    .option("--dry-run", "validate and print the diff; change nothing", false)
    .option(
      "-i, --insecure",
      "maintenance mode: no client certificate, the server pinned by --cert-fingerprint",
      false,
    )
    .option(
      "--cert-fingerprint <sha256>",
      "SHA-256 fingerprint of the node's certificate (shown on its console)",
    )
    .action(async (options, cmd: Command) => {
      const { applyConfig } = await loadCommand("machine-config");
      setExitCode(await applyConfig(options, nodeGlobals(cmd, io), io));
    });
}

/** `upgrade`, `rollback`. */
export function addSlotCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("upgrade")
    .description(
      "write a new Bronze into the other boot slot and boot it once; it becomes the default when healthy",
    )
    .option(
      "--image <url>",
      "http(s) URL of the boot assets (vmlinuz, initramfs.zst, cmdline, manifest.json)",
    )
    .option("--stage", "boot the new slot at the next reboot instead of now", false)
    .option(
      "--wait",
      "wait until each node runs the new version, committed, or says why it rolled back",
      false,
    )
    .option("--force", "upgrade even when another etcd member is not healthy", false)
    .action(async (options, cmd: Command) => {
      const { upgrade } = await loadCommand("upgrade");
      setExitCode(await upgrade(options, nodeGlobals(cmd, io), io));
    });
  program
    .command("rollback")
    .description(
      "boot the other slot's system (one that once booted healthy); it becomes the default when healthy",
    )
    .option("--wait", "wait until each node runs it, committed, or says why not", false)
    .action(async (options, cmd: Command) => {
      const { rollback } = await loadCommand("upgrade");
      setExitCode(await rollback(options, nodeGlobals(cmd, io), io));
    });
}

/** `reset`, `wipe disk`. */
export function addResetCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("reset")
    .description("wipe the node's state (STATE: config and keys; EPHEMERAL: /var), then power off or reboot")
    .option(
      "--graceful <bool>",
      "stop the services with their grace period first, and leave etcd on a control plane (false: kill them at once)",
      (v: string) => parseGraceful(v),
      true,
    )
    .option(
      "--force",
      "reset even when leaving etcd would cost the cluster its quorum, or the node holds its last member",
      false,
    )
    .option(
      "--reboot",
      "reboot afterwards (default: power off); a wiped STATE comes back in maintenance mode",
      false,
    )
    .option(
      "--system-labels-to-wipe <labels>",
      "only these system partitions, comma-separated: STATE, EPHEMERAL (repeatable)",
      collect(false),
      [],
    )
    .option("--wipe-mode <mode>", "all, system-disk or user-disks", "all")
    .action(async (options, cmd: Command) => {
      const { reset } = await loadCommand("reset");
      setExitCode(await reset(options, nodeGlobals(cmd, io), io));
    });
  program
    .command("wipe")
    .description("erase disks")
    .command("disk <device>")
    .description("erase a disk that is not the system disk and has nothing mounted")
    .option("--method <method>", "fast (signatures, first and last MiB) or zeroes (every byte)", "fast")
    .action(async (device: string, options, cmd: Command) => {
      const { wipeDisk } = await loadCommand("reset");
      setExitCode(await wipeDisk(device, options, nodeGlobals(cmd, io), io));
    });
}

/** `--graceful=false`. */
function parseGraceful(value: string): boolean {
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw usageError(`--graceful: "${value}" is not true or false`);
}

/** `reboot`, `shutdown`. */
export function addPowerCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("reboot")
    .description("reboot the nodes")
    .option(
      "--wait",
      "wait until each node is back, with progress (bounded by --timeout, default 10m)",
      false,
    )
    .action(async (options, cmd: Command) => {
      const { reboot } = await loadCommand("power");
      setExitCode(await reboot(options, nodeGlobals(cmd, io), io));
    });
  program
    .command("shutdown")
    .description("power the nodes off")
    .option("--force", "skip cordoning and draining", false)
    .action(async (options, cmd: Command) => {
      const { shutdown } = await loadCommand("power");
      setExitCode(await shutdown(options, nodeGlobals(cmd, io), io));
    });
}
