import { closeSync, openSync, readFileSync } from "node:fs";
import { hostname as kernelHostname, networkInterfaces, release } from "node:os";
import { join, resolve } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import type { MachineApiContext } from "../api/context.ts";
import { deviceKmsgSource } from "../api/kmsg/kmsg-source.ts";
import { hostStatfs } from "../api/statfs.ts";
import { interfaceAddresses } from "../certificates/node-sans.ts";
import { type Clock, systemClock } from "../clock.ts";
import { ConfigApplier, revertInterruptedTrial } from "../config/config-apply.ts";
import { ConfigStore } from "../config/config-store.ts";
import { ConfigWorkerClient } from "../config/config-worker-client.ts";
import { sysfsUrlVariables } from "../config/url-variables.ts";
import { ETCD_PKI_SERVICE_ID } from "../etcd/etcd-pki.ts";
import { ETCD_SERVICE_ID } from "../etcd/etcd-service.ts";
import { NodeEtcd } from "../etcd/node-etcd.ts";
import { realInstallWorld } from "../install/install-world.ts";
import { type InstallPlan, installMachine } from "../install/machine-install.ts";
import { findNodePartitions } from "../install/partitions.ts";
import { nodeSlots } from "../lifecycle/node-slots.ts";
import { blockDeviceBytes, planReset, wipeTargets, zeroRange } from "../lifecycle/reset.ts";
import { parentDisk, wipeDisk } from "../lifecycle/wipe-disk.ts";
import { configureNetwork } from "../network/network-configurator.ts";
import { parseKernelArgs } from "../node/kernel-args.ts";
import { setKernelHostname } from "../node/kernel-hostname.ts";
import { nodePaths } from "../node/node-paths.ts";
import type { NodeState } from "../node/node-state.ts";
import { releaseVersion } from "../node/release-version.ts";
import { apidService } from "../services/apid.ts";
import { containerdService } from "../services/containerd.ts";
import { API_CONTAINERD_TIMEOUT_MS, containerdConnector } from "../services/containerd-connector.ts";
import { machineApiService } from "../services/machined-api.ts";
import { resolveNodeBinary } from "../services/node-binary.ts";
import { PKI_SERVICE_ID, pkiService } from "../services/pki.ts";
import { removeSandboxNamespaceDirs } from "../services/sandbox-cleanup.ts";
import { APID_USER, TRUSTD_USER } from "../services/service-rootfs.ts";
import { clearStaleTaskBundle, taskBundleDirs } from "../services/stale-task-bundle.ts";
import { SYSTEM_NAMESPACE, sandboxNamespace, secretsDir } from "../services/system-containers.ts";
import { trustdService } from "../services/trustd.ts";
import { createBunSpawn } from "../supervisor/runners/bun-spawn.ts";
import { enableServiceControllers } from "../supervisor/runners/cgroup-controllers.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { ChildTracker } from "../sys/child-tracker.ts";
import { LibcSys } from "../sys/libc-sys.ts";
import { Reaper } from "../sys/reaper.ts";
import type { Sys } from "../sys/sys.ts";
import { apiSequencer } from "./api-sequencer.ts";
import { type MachinedFlags, parseMachinedFlags } from "./entry-args.ts";
import { startEventLoopMonitor } from "./event-loop-monitor.ts";
import { MachinedLog } from "./machined-log.ts";
import { networkSetup } from "./network-setup.ts";
import { installProcessGuards } from "./process-guards.ts";
import { Sequencer } from "./sequencer.ts";

export interface MachinedRuntime {
  readonly sys: Sys;
  readonly supervisor: Supervisor;
  readonly sequencer: Sequencer;
  readonly reaper: Reaper;
  readonly store: ConfigStore;
  /** What the machine API serves (registered as the "machined" service once the boot starts services). */
  readonly api: MachineApiContext;
}

/** Where services' cgroups live on a real node (the cgroup2 hierarchy is mounted by the boot). */
const CGROUP_HIERARCHY = "/sys/fs/cgroup";
const SERVICES_CGROUP = "system";

function consoleLog(line: string): void {
  process.stdout.write(`${new Date().toISOString()} machined: ${line}\n`);
}

const describe = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/**
 * machined's entry point: builds the real world (libc, Bun spawn, reaper, supervisor, config store),
 * installs the guards that keep PID 1 alive, and runs the boot sequence. In container mode it is an
 * ordinary root process sandboxed under `--root`, and SIGTERM/SIGINT shut it down cleanly.
 */
export function machinedMain(argv: readonly string[], clock: Clock = systemClock): MachinedRuntime {
  const machinedLog = new MachinedLog(consoleLog, () => clock.now());
  const log = machinedLog.line;
  let flags: MachinedFlags;
  try {
    flags = parseMachinedFlags(argv);
  } catch (err) {
    if (process.pid !== 1) {
      process.stderr.write(`machined: ${(err as Error).message}\n`);
      process.exit(2);
    }
    log(`ignoring bad arguments: ${(err as Error).message}`);
    flags = {};
  }

  // PID 1 must never die: report and carry on.
  installProcessGuards(process, log);
  // A request must never block PID 1's event loop for long: a block over 100 ms is logged (issue 10).
  startEventLoopMonitor({ log, clock });

  const sys = new LibcSys();
  const args = parseKernelArgs(flags.cmdline ?? (flags.platform === "container" ? "" : sys.readCmdline()));
  const platform = flags.platform ?? args.bronze.platform ?? "metal";
  const container = platform === "container";
  if (container && flags.root === undefined) {
    process.stderr.write("machined: container mode needs --root DIR (everything of the node lives there)\n");
    process.exit(2);
  }
  if (!container && process.pid !== 1) {
    // Mounting tmpfs over /var and /run of a running host would wreck it.
    process.stderr.write(
      `machined: platform ${platform} means PID 1 on a Bronze node (this is pid ${process.pid}); on a host use --platform container --root DIR\n`,
    );
    process.exit(2);
  }
  const paths = nodePaths(container ? resolve(flags.root as string) : "/");
  log(`starting (pid ${process.pid}, platform ${platform}${container ? `, root ${paths.root}` : ""})`);

  const tracker = new ChildTracker();
  const spawn = createBunSpawn({ tracker });
  if (container) sys.setChildSubreaper(true);
  const reaper = new Reaper({
    sys,
    tracker,
    clock,
    onReap: (c) => log(`reaped orphan ${c.pid} (${c.comm}), exit ${c.exitCode ?? `signal ${c.signal}`}`),
    onError: (err) => log(`reaper: ${describe(err)}`),
  });
  reaper.start();

  const supervisor = new Supervisor({
    clock,
    logDir: paths.logDir,
    onInternalError: (err) => log(`supervisor: ${describe(err)}`),
    notice: log,
  });
  supervisor.events.subscribe((e) =>
    log(`service ${e.service}: ${e.state}${e.message ? ` (${e.message})` : ""}`),
  );
  machinedLog.attach(supervisor);
  const store = new ConfigStore(paths.state);
  // A config applied in try mode that machined did not live to confirm or revert: revert it now.
  try {
    revertInterruptedTrial(store, log);
  } catch (err) {
    log(`config: cannot revert the interrupted trial: ${describe(err)}`);
  }

  let provided: { text: string; origin: string } | undefined;
  if (flags.config !== undefined) {
    try {
      provided = { text: readFileSync(flags.config, "utf8"), origin: flags.config };
    } catch (err) {
      const why = `cannot read --config ${flags.config}: ${(err as Error).message}`;
      if (process.pid !== 1) {
        process.stderr.write(`machined: ${why}\n`);
        process.exit(2);
      }
      log(why);
    }
  }

  // Services run in <hierarchy>/system/<id> on a real node; in container mode they stay in machined's.
  const cgroupRoot = container ? undefined : join(CGROUP_HIERARCHY, SERVICES_CGROUP);
  let cgroupsReady = false;
  const nodeBinary = resolveNodeBinary({
    container,
    flag: flags.nodeBinary,
    execPath: process.execPath,
    moduleDir: import.meta.dir,
  });
  if (container) log(`node binary for apid and trustd: ${nodeBinary ?? "none (pass --node-binary PATH)"}`);
  // runc keeps its state in one host-wide directory per namespace (/run/containerd/runc/<namespace>/<id>):
  // sandboxes on one host (tests, node:dev) each get their own system namespace, or they kill each
  // other's apid. The machine API still calls it "system".
  const systemNamespace = container ? sandboxNamespace(paths.root) : SYSTEM_NAMESPACE;
  const containers = {
    paths,
    client: () => containerd.client(systemNamespace),
    nodeBinary,
    clock,
    clearStaleTask: (id: string) => {
      clearStaleTaskBundle(taskBundleDirs(paths, systemNamespace, id), { sys, log });
    },
  };
  /** apid, trustd and the certificates they need, for what the boot found (docs/design.md §3). */
  const apiServices = (state: NodeState): ServiceDefinition[] => {
    const maintenance = () => sequencer.state.mode === "maintenance";
    if (state.mode === "maintenance")
      return [apidService({ ...containers, port: flags.apidPort, maintenance, console: log })];
    const config = state.config;
    if (config === undefined) return [];
    const controlPlane = config.machine.ca?.key !== undefined && config.machine.ca.key !== "";
    return [
      pkiService({
        apidDir: secretsDir(paths, "apid"),
        trustdDir: secretsDir(paths, "trustd"),
        owners: { apid: APID_USER, trustd: TRUSTD_USER },
        config: () => sequencer.state.config,
        hostname: () => sequencer.state.hostname ?? kernelHostname(),
        addresses: () => interfaceAddresses(networkInterfaces()),
        clock,
        ...(flags.trustdPort !== undefined ? { trustdPort: flags.trustdPort } : {}),
      }),
      apidService({
        ...containers,
        port: flags.apidPort,
        nodePort: flags.apidNodePort,
        maintenance,
        pkiService: PKI_SERVICE_ID,
        console: log,
      }),
      ...(controlPlane
        ? [trustdService({ ...containers, port: flags.trustdPort, pkiService: PKI_SERVICE_ID })]
        : []),
      ...etcdServices(config),
    ];
  };
  /**
   * A control plane's etcd (docs/design.md, "etcd"): not in container mode, whose sandboxes share the
   * host's network and so etcd's ports.
   */
  let nodeEtcd: NodeEtcd | undefined;
  const etcdServices = (config: MachineConfig): ServiceDefinition[] => {
    if (container || config.machine.type !== "controlplane") return [];
    try {
      nodeEtcd ??= new NodeEtcd({
        containers,
        config: () => sequencer.state.config,
        hostname: () => sequencer.state.hostname ?? kernelHostname(),
        interfaces: () => networkInterfaces(),
        diskless: findNodePartitions().ephemeral === undefined,
        clock,
        log,
        stopService: (id) => supervisor.stop(id),
      });
      return nodeEtcd.services();
    } catch (err) {
      // etcd's wiring must never cost the node its API: the other services start without it
      log(`etcd: not started: ${describe(err)}`);
      return [];
    }
  };
  const etcdAbsence = (): string => {
    if (container) return "container mode runs no etcd (its sandboxes share the host's network ports)";
    if (sequencer.state.mode === "maintenance")
      return "the node is in maintenance mode: apply a config first";
    return "this node is a worker: etcd runs on control planes";
  };
  /** The system services for what the boot found: machined's own API first, then containerd, apid, trustd. */
  const systemServices = (state: NodeState): ServiceDefinition[] => {
    if (!container && !cgroupsReady) {
      cgroupsReady = true;
      for (const p of enableServiceControllers(CGROUP_HIERARCHY, SERVICES_CGROUP)) log(`cgroups: ${p}`);
    }
    return [
      machineApiService({
        socketPath: paths.machinedSocket,
        // apid runs as its own uid and connects to the socket (docs/design.md §4).
        socketGroup: APID_USER.gid,
        context: api,
        onInternalError: (err) => log(`api: ${describe(err)}`),
      }),
      containerdService({
        paths,
        spawn,
        clock,
        container,
        log,
        ...(cgroupRoot !== undefined ? { cgroupRoot } : {}),
        ...(state.config?.machine.env !== undefined ? { env: state.config.machine.env } : {}),
      }),
      ...apiServices(state),
    ];
  };

  // /etc is the read-only squashfs: resolv.conf lives in /system/etc (the image links /etc/resolv.conf there).
  const network = networkSetup({
    configure: configureNetwork,
    root: paths.system,
    resolvConfPath: "etc/resolv.conf",
    clock,
    log,
  });

  /**
   * machine.install on a node not booted from a disk: @bronze/image's installer (loaded only then), its
   * downloads and work files on /var (a tmpfs there); `reboot` is the boot's own (services are not
   * running yet) or, after an apply through the API, the reboot sequence.
   */
  const installWith =
    (reboot: () => Promise<void> | void) => (plan: InstallPlan, text: string, signal: AbortSignal) =>
      installMachine(
        plan,
        text,
        realInstallWorld({
          sys,
          fetch: (url, init) => fetch(url, init),
          reboot,
          workDir: join(paths.var, "lib/bronze-install"),
          log,
        }),
        signal,
      );

  // A/B boot slots (issue 12): the watchdog of a trial boot is fed from here on
  const version = container ? releaseVersion("") : releaseVersion();
  const slots = container
    ? undefined
    : nodeSlots({
        args,
        stateDir: paths.state,
        workDir: join(paths.var, "lib/bronze-upgrade"),
        version,
        clock,
        fetch: (url, init) => fetch(url, init),
        statuses: () => supervisor.list(),
        // a control plane whose etcd runs on its data must have it healthy before the slot commits
        alsoRequired: () => (nodeEtcd?.controller.start?.state === "restart" ? [ETCD_SERVICE_ID] : []),
        maintenance: () =>
          sequencer.state.mode === "maintenance"
            ? (sequencer.state.maintenanceReason ?? "no config")
            : undefined,
        sync: () => sys.sync(),
        reboot: () => apiSequencer(sequencer).reboot(),
        report: machinedLog.report,
        log,
      });

  const sequencer: Sequencer = new Sequencer({
    sys,
    clock,
    log,
    supervisor,
    store,
    args,
    platform,
    paths,
    network: async (config) => {
      if (container) {
        log("container mode: the host's network is used as it is");
        return;
      }
      await network.apply(config);
    },
    fetch: (url, init) => fetch(url, init),
    variables: sysfsUrlVariables(() => sequencer.state.hostname),
    services: (state) => systemServices(state),
    report: machinedLog.report,
    // etcd waits for a bootstrap or a cluster to join: the boot never waits for it
    notAwaited: [PKI_SERVICE_ID, "apid", "trustd", ETCD_PKI_SERVICE_ID, ETCD_SERVICE_ID],
    exit: (code) => {
      reaper.stop();
      containerd.close();
      if (container) removeSandboxNamespaceDirs(systemNamespace);
      log(`exiting with code ${code}`);
      process.exit(code);
    },
    modules: {
      dir: join("/lib/modules", release()),
      fs: {
        readText(path) {
          try {
            return readFileSync(path, "utf8");
          } catch {
            return undefined;
          }
        },
        openRead: (path) => openSync(path, "r"),
        close: (fd) => closeSync(fd),
      },
    },
    // An installed node's STATE and EPHEMERAL partitions (docs/design.md §2); container mode has none.
    ...(container
      ? {}
      : {
          partitions: () => findNodePartitions(),
          install: installWith(() => {
            sys.sync();
            sys.reboot("restart");
          }),
          onStateMounted: (bootLog: (line: string) => void) => {
            try {
              revertInterruptedTrial(store, bootLog);
            } catch (err) {
              bootLog(`config: cannot revert the interrupted trial: ${describe(err)}`);
            }
            slots?.onStateMounted(bootLog);
          },
        }),
    ...(flags.configUrl !== undefined ? { configUrl: flags.configUrl } : {}),
    ...(provided !== undefined ? { providedConfig: provided } : {}),
  });

  // Validation, diffs and redaction of configs run on the config worker's thread (issue 10).
  const configCheck = new ConfigWorkerClient({ clock });
  const configApplier = new ConfigApplier({
    platform,
    args,
    state: sequencer.state,
    store,
    clock,
    check: configCheck,
    supervisor,
    services: (state) => systemServices(state),
    // container mode keeps the config in its sandbox; a node without STATE downloads it at every boot
    persists: () => platform === "container" || sequencer.state.installed === true,
    ...(container
      ? {}
      : {
          setHostname: (name: string) => setKernelHostname(sys, name),
          applyNetwork: (config) => network.apply(config),
          install: installWith(() => apiSequencer(sequencer).reboot()),
        }),
    reboot: () => apiSequencer(sequencer).reboot(),
    log,
    onInternalError: (err) => log(`config: ${describe(err)}`),
  });

  const containerd = containerdConnector(paths.containerdSocket);
  const api: MachineApiContext = {
    supervisor,
    store,
    config: configApplier,
    check: configCheck,
    clock,
    sequencer: apiSequencer(sequencer),
    platform,
    // The maintenance apid's calls are served only until a config is accepted (config-apply.ts).
    maintenance: () => configApplier.maintenanceCallsAllowed(),
    hostname: () => sequencer.state.hostname ?? kernelHostname(),
    procRoot: "/proc",
    filesRoot: paths.root,
    statfs: hostStatfs,
    kmsg: deviceKmsgSource(),
    containerd: (namespace) =>
      containerd.client(namespace === SYSTEM_NAMESPACE ? systemNamespace : namespace, {
        timeoutMs: API_CONTAINERD_TIMEOUT_MS,
      }),
    ...(cgroupRoot !== undefined ? { cgroupRoot } : {}),
    releaseVersion: version,
    configInForce: () => sequencer.state.config,
    etcd: () => nodeEtcd,
    etcdAbsence,
    ...(slots !== undefined ? { slots: slots.changer } : {}),
    ...(container
      ? {}
      : {
          resets: (req) => {
            const plan = planReset(req, findNodePartitions());
            log(
              `reset requested: wiping ${plan.wiping.join(", ") || "nothing"}; then ${plan.reboot ? "reboot" : "power off"}`,
            );
            return {
              wiping: plan.wiping,
              run: {
                graceful: plan.graceful,
                reboot: plan.reboot,
                devices: plan.targets.map((t) => t.device),
                wipe: async (seqLog) => {
                  const image = await import("@bronze/image");
                  const run = image.installerToolRunner(() => sys.sync());
                  await wipeTargets(plan.targets, {
                    size: (device) => blockDeviceBytes(device),
                    zero: zeroRange,
                    mkfs: async (label, device, dir) => {
                      await run([
                        "mkfs.ext4",
                        "-q",
                        "-F",
                        "-L",
                        label,
                        ...(dir === undefined ? [] : ["-d", dir]),
                        device,
                      ]);
                    },
                    workDir: join(paths.system, "reset"),
                    now: () => clock.now(),
                    log: seqLog,
                  });
                },
              },
            };
          },
          wipeDisk: (device, method) =>
            wipeDisk(device, method, {
              systemDisks: () => {
                const found = findNodePartitions();
                return [found.state, found.ephemeral]
                  .filter((p) => p !== undefined)
                  .map((p) => parentDisk(p.devPath));
              },
              mounts: async (disk) => (await import("@bronze/image")).inspectDisk(disk).mounts,
              log,
            }),
        }),
  };

  if (container) {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${signal}: already shutting down`);
        return;
      }
      stopping = true;
      log(`${signal}: shutting down`);
      sequencer.shutdown({ force: true }).catch((err) => {
        log(`shutdown failed: ${describe(err)}`);
        process.exit(1);
      });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }

  sequencer.boot().catch((err) => {
    log(`boot stopped: ${(err as Error).message}`);
    log("machined keeps running: it supervises and reaps, and waits for the API");
  });
  return { sys, supervisor, sequencer, reaper, store, api };
}
