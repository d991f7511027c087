// osctl's command tree. Command implementations are imported lazily so that `osctl --help` and
// light commands do not pay for loading the PKI and config libraries.
import { BRONZE_VERSION } from "@bronze/api";
import { Command } from "commander";
import type { NodeGlobals } from "./client/node-client.ts";
import {
  parseApplyMode,
  parseCount,
  parseDuration,
  parseInteger,
  parseServiceAction,
  type ServiceAction,
} from "./client/node-flags.ts";
import type { Io } from "./io.ts";
import { loadCommand } from "./load-command.ts";
import {
  collect,
  parseAlgorithm,
  parseHours,
  parseMode,
  parseOutputFormat,
  parseReportFormat,
  parseUsage,
} from "./options.ts";
import { resolveOsconfigPath } from "./osconfig/osconfig-path.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
/** Replaces node:util's stripVTControlCharacters, whose first call costs milliseconds at startup. */
const stripAnsi = (s: string) => s.replace(ANSI, "");

/** Commands report a non-zero exit without an error (e.g. `validate` finding problems) through this. */
export type ExitCodeSink = (code: number) => void;

interface GlobalOptions {
  osconfig?: string;
  context?: string;
}

function configTarget(command: Command, io: Io) {
  const globals = command.optsWithGlobals<GlobalOptions>();
  return { path: resolveOsconfigPath(globals.osconfig, io), context: globals.context };
}

function addGenCommands(program: Command, io: Io): void {
  const gen = program.command("gen").description("generate configs, secrets and certificates");

  gen
    .command("config")
    .description(
      "generate the cluster PKI and the control-plane and worker configs, plus the client osconfig",
    )
    .argument("<cluster-name>", "name of the cluster (a DNS label)")
    .argument("<endpoint>", "Kubernetes API endpoint, e.g. https://10.0.0.10:6443")
    .option("-o, --output <dir>", "directory to write controlplane.yaml, worker.yaml and osconfig to", ".")
    .option(
      "--config-patch <patch>",
      "patch for both configs: @file, inline YAML/JSON (repeatable)",
      collect(false),
      [],
    )
    .option(
      "--config-patch-control-plane <patch>",
      "patch for controlplane.yaml only (repeatable)",
      collect(false),
      [],
    )
    .option("--config-patch-worker <patch>", "patch for worker.yaml only (repeatable)", collect(false), [])
    .option("--install-disk <disk>", "disk to install to", "/dev/sda")
    .option("--additional-sans <sans>", "extra certificate SANs (comma list, repeatable)", collect(true), [])
    .option(
      "--with-secrets <file>",
      "use this secrets bundle (from `osctl gen secrets`) instead of new secrets",
    )
    .option("--kubernetes-version <version>", "Kubernetes version of the component images", "v1.31.4")
    .option("--force", "overwrite existing files", false)
    .action(async (name: string, endpoint: string, options) => {
      const { genConfig } = await loadCommand("gen-config");
      await genConfig(name, endpoint, options, io);
    });

  gen
    .command("secrets")
    .description("generate a secrets bundle (CAs, keys, tokens) to generate configs from later")
    .option("-o, --output <file>", "file to write", "secrets.yaml")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genSecrets } = await loadCommand("gen-secrets");
      await genSecrets(options, io);
    });

  gen
    .command("ca")
    .description("generate a self-signed CA: <organization>.crt and <organization>.key")
    .requiredOption("--organization <org>", "the CA's organization (and common name)")
    .option("--hours <hours>", "validity in hours", parseHours, 87600)
    .option("--algorithm <alg>", "ecdsa-p256 or ed25519", parseAlgorithm, "ecdsa-p256")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite existing files", false)
    .action(async (options) => {
      const { genCA } = await loadCommand("gen-pki");
      await genCA(options, io);
    });

  gen
    .command("key")
    .description("generate a private key: <name>.key")
    .requiredOption("--name <name>", "base name of the key file")
    .option("--algorithm <alg>", "ecdsa-p256 or ed25519", parseAlgorithm, "ecdsa-p256")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genKey } = await loadCommand("gen-pki");
      await genKey(options, io);
    });

  gen
    .command("csr")
    .description("generate a certificate signing request from a key: <key-name>.csr")
    .requiredOption("--key <file>", "private key (PEM)")
    .option("--ip <ip>", "IP address SAN (comma list, repeatable)", collect(true), [])
    .option("--dns <name>", "DNS name SAN (comma list, repeatable)", collect(true), [])
    .option(
      "--roles <roles>",
      "roles, written as the subject's organizations (e.g. os:admin)",
      collect(true),
      [],
    )
    .option("--common-name <cn>", "subject common name (default: the key's base name)")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genCSR } = await loadCommand("gen-pki");
      await genCSR(options, io);
    });

  gen
    .command("crt")
    .description("sign a CSR with a CA: <name>.crt")
    .requiredOption("--ca <base>", "CA files without extension (reads <base>.crt and <base>.key)")
    .requiredOption("--csr <file>", "certificate signing request (PEM)")
    .requiredOption("--name <name>", "base name of the certificate file")
    .option("--hours <hours>", "validity in hours", parseHours, 24)
    .option("--usage <usage>", "client, server or both", parseUsage, "client")
    .option("-o, --output <dir>", "directory to write to", ".")
    .option("--force", "overwrite an existing file", false)
    .action(async (options) => {
      const { genCrt } = await loadCommand("gen-pki");
      await genCrt(options, io);
    });
}

function addConfigCommands(program: Command, io: Io): void {
  const config = program
    .command("config")
    .description("manage the client config (osconfig): contexts, endpoints, nodes");
  const format = ["-o, --output <format>", "table, json or yaml", parseOutputFormat, "table"] as const;

  config
    .command("contexts")
    .description("list the contexts")
    .option(...format)
    .action(async (options, cmd: Command) => {
      const { configContexts } = await loadCommand("osconfig");
      configContexts(configTarget(cmd, io), options.output, io);
    });
  config
    .command("context")
    .description("switch the current context")
    .argument("<name>", "context name")
    .action(async (name: string, _options, cmd: Command) => {
      const { configUseContext } = await loadCommand("osconfig");
      configUseContext(configTarget(cmd, io), name, io);
    });
  config
    .command("endpoint")
    .alias("endpoints")
    .description("set the endpoints of the current context")
    .argument("[endpoints...]", "endpoint addresses")
    .action(async (values: string[], _options, cmd: Command) => {
      const { configEndpoints } = await loadCommand("osconfig");
      configEndpoints(configTarget(cmd, io), values, io);
    });
  config
    .command("node")
    .alias("nodes")
    .description("set the default nodes of the current context")
    .argument("[nodes...]", "node addresses")
    .action(async (values: string[], _options, cmd: Command) => {
      const { configNodes } = await loadCommand("osconfig");
      configNodes(configTarget(cmd, io), values, io);
    });
  config
    .command("merge")
    .description("merge the contexts of another osconfig into this one (renaming clashes)")
    .argument("<file>", "osconfig to merge")
    .action(async (file: string, _options, cmd: Command) => {
      const { configMerge } = await loadCommand("osconfig");
      configMerge(configTarget(cmd, io), file, io);
    });
  config
    .command("remove")
    .description("remove a context")
    .argument("<name>", "context name")
    .action(async (name: string, _options, cmd: Command) => {
      const { configRemove } = await loadCommand("osconfig");
      configRemove(configTarget(cmd, io), name, io);
    });
  config
    .command("new")
    .description(
      "ask the node for a new client certificate with a role; write an osconfig with it (control planes only)",
    )
    .argument("<output-file>", "osconfig file to write")
    .option(
      "--roles <role>",
      "role of the new certificate: os:admin, os:operator or os:reader",
      collect(true),
      [],
    )
    .option(
      "--crt-ttl <duration>",
      "how long the certificate is valid, 1m to 87600h (default 87600h)",
      parseDuration("--crt-ttl"),
      87_600 * 3_600_000, // Talos's default; program.ts loads no command module eagerly
    )
    .option("--force", "overwrite an existing file", false)
    .action(async (file: string, options, cmd: Command) => {
      const { configNew } = await loadCommand("osconfig-new");
      await configNew(file, options, nodeGlobals(cmd, io), io);
    });
  config
    .command("info")
    .description("show the current context: endpoints, nodes, roles and certificate expiry")
    .option(...format)
    .action(async (options, cmd: Command) => {
      const { configInfo } = await loadCommand("osconfig");
      configInfo(configTarget(cmd, io), options.output, io);
    });
}

const outputFlag = ["-o, --output <format>", "table, json or yaml", parseOutputFormat, "table"] as const;

function nodeGlobals(command: Command, io: Io): NodeGlobals {
  const globals = command.optsWithGlobals<GlobalOptions & NodeGlobals>();
  return {
    osconfig: resolveOsconfigPath(globals.osconfig, io),
    context: globals.context,
    endpoints: globals.endpoints,
    nodes: globals.nodes,
    timeout: globals.timeout,
  };
}

/** Commands that call the nodes' API through apid (`-e`, `-n`, `--timeout`). */
function addNodeCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("version")
    .description("print the client's version and each node's")
    .option(...outputFlag)
    .action(async (options, cmd: Command) => {
      const { version } = await loadCommand("version");
      setExitCode(await version(options, nodeGlobals(cmd, io), io));
    });

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
    .description("wait until the services are running and healthy on every node, with progress")
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

/** Writing Bronze to a disk (`image install`). */
function addImageCommands(program: Command, io: Io): void {
  program
    .command("image")
    .description("write Bronze to disks")
    .command("install")
    .description("write Bronze to a disk: partitions, boot slot A, GRUB (BIOS and EFI), kernel arguments")
    .requiredOption("--disk <device>", "the whole disk to write, e.g. /dev/sdb (everything on it is lost)")
    .option("--platform <platform>", "metal or qemu (bronze.platform=)", "metal")
    .option("--config-url <url>", "where the node downloads its machine config (bronze.config=)")
    .option("--wipe", "erase a disk that holds partitions or a filesystem", false)
    .option("--assets <dir>", "the image's artifacts (vmlinuz, initramfs.zst, cmdline)", "_out")
    .option("--extra-kernel-arg <arg>", "kernel argument added last (repeatable)", collect(false), [])
    .action(async (options) => {
      const { imageInstall } = await loadCommand("image");
      await imageInstall(options, io);
    });
}

/** Network boot (`pxe serve`) and local QEMU clusters (`cluster create|destroy|show`). */
function addClusterCommands(program: Command, io: Io, setExitCode: ExitCodeSink): void {
  program
    .command("pxe")
    .description("network boot")
    .command("serve")
    .description("serve the image's assets, an iPXE script per machine and the machine configs over HTTP")
    .requiredOption("--assets <dir>", "the image's artifacts (vmlinuz, initramfs.zst, boot.ipxe)")
    .requiredOption("--configs <dir>", "machine configs: <mac>.yaml, <uuid>.yaml or default.yaml")
    .option("--listen <addr:port>", "address to listen on", "0.0.0.0:8080")
    .option("--base-url <url>", "URL the nodes reach this server at (default: from the Host header)")
    .action(async (options) => {
      const { pxeServe } = await loadCommand("pxe");
      await pxeServe(options, io);
    });

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

export function buildProgram(io: Io, setExitCode: ExitCodeSink): Command {
  const program = new Command("osctl")
    .description("Bronze's command-line tool: generate and validate configs, operate nodes over the mTLS API")
    .version(BRONZE_VERSION, "--version", "print osctl's version")
    .option("--osconfig <path>", "client config file (default $OSCONFIG, then ~/.osctl/config)")
    .option("--context <name>", "context to use instead of the current one")
    .option(
      "-e, --endpoints <endpoints>",
      "apid endpoints to talk to (comma list; default: the context's)",
      collect(true),
    )
    .option(
      "-n, --nodes <nodes>",
      "nodes to run the command on (comma list; default: the context's)",
      collect(true),
    )
    .option(
      "--timeout <duration>",
      "deadline of each call (default 30s), or the bound of a wait (e.g. 90s, 10m)",
      parseDuration("--timeout"),
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      getOutHelpWidth: () => io.columns() ?? 80,
      getErrHelpWidth: () => io.columns() ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      stripColor: stripAnsi,
    })
    .configureHelp({ displayWidth: (s) => stripAnsi(s).length });

  addGenCommands(program, io);

  program
    .command("validate")
    .description("validate a machine config; every problem with its line, column and field path")
    .requiredOption("--config <file>", "machine config to validate")
    .requiredOption("--mode <mode>", "metal, qemu or container", parseMode)
    .option("--strict", "treat warnings as errors", false)
    .option("-o, --output <format>", "text or json", parseReportFormat, "text")
    .action(async (options) => {
      const { validate } = await loadCommand("validate");
      setExitCode(validate(options, io));
    });

  program
    .command("machineconfig")
    .alias("mc")
    .description("work with machine config files")
    .command("patch")
    .description("apply strategic-merge or RFC 6902 JSON patches to a machine config, in order")
    .argument("<file>", "machine config to patch")
    .option(
      "-p, --patch <patch>",
      "patch: @file, inline YAML/JSON, or - for stdin (repeatable)",
      collect(false),
      [],
    )
    .option("-o, --output <file>", "write the result here instead of stdout")
    .option(
      "--mode <mode>",
      "mode to validate the result for: metal, qemu or container",
      parseMode,
      "container",
    )
    .action(async (file: string, options) => {
      const { machineconfigPatch } = await loadCommand("machineconfig-patch");
      await machineconfigPatch(file, options, io);
    });

  addConfigCommands(program, io);
  addNodeCommands(program, io, setExitCode);
  addClusterCommands(program, io, setExitCode);
  addImageCommands(program, io);
  return program;
}
