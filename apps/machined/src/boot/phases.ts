import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineConfig } from "@bronze/config-schema";
import type { ResetRun } from "../api/sequencer.ts";
import type { Clock } from "../clock.ts";
import {
  type Acquired,
  type ConfigSource,
  downloadConfig,
  type FetchFn,
  type FetchRetry,
  loadInitialConfig,
  type ProvidedConfig,
} from "../config/config-acquisition.ts";
import type { UrlVariableProviders } from "../config/url-variables.ts";
import { type InstallPlan, installStep } from "../install/machine-install.ts";
import {
  EPHEMERAL_MOUNT_FLAGS,
  EPHEMERAL_PARTITION,
  mountPartition,
  type NodePartitions,
  STATE_MOUNT_FLAGS,
  STATE_PARTITION,
} from "../install/partitions.ts";
import { releaseMounts } from "../lifecycle/release-mounts.ts";
import { readResetMarker } from "../lifecycle/reset.ts";
import { checkHardening, describeRefusal, HardeningError } from "../node/hardening-check.ts";
import type { KernelArgs, Platform } from "../node/kernel-args.ts";
import { setKernelHostname } from "../node/kernel-hostname.ts";
import { applySysctls, KSPP_SYSCTLS, mergeSysctls, NODE_SYSCTLS } from "../node/kspp-sysctls.ts";
import type { NodePaths } from "../node/node-paths.ts";
import {
  chooseHostname,
  generatedHostname,
  type NodeState,
  recordConfigured,
  recordHostname,
  recordInstalled,
  recordMaintenance,
  type WritableNodeState,
} from "../node/node-state.ts";
import { loadModules, type ModuleFs } from "../stage1/module-loader.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import { MNT_DETACH, MS_NODEV, MS_NOEXEC, MS_NOSUID } from "../sys/constants.ts";
import type { RebootCommand, Sys } from "../sys/sys.ts";
import { SysError } from "../sys/sys-error.ts";
import { defaultFileTargets, writeMachineFiles } from "./machine-files.ts";
import type { Phase, Task } from "./sequence.ts";

/** Everything the sequences need from the world (docs/design.md §6: injected). */
export interface SequenceDeps {
  readonly sys: Sys;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  readonly supervisor: Supervisor;
  readonly store: ConfigSource;
  readonly args: KernelArgs;
  readonly platform: Platform;
  readonly paths: NodePaths;
  /**
   * Network bring-up (DHCP, addresses, routes); gets the config when one is stored already, and the
   * sequence's signal (aborted when a forced shutdown cancels the boot). Called a second time with a
   * config downloaded from `bronze.config=` that has a `machine.network` (the first call, without a
   * config, could only run DHCP): the implementation keeps the leases the new config does not contradict.
   */
  readonly network: (config: MachineConfig | undefined, signal: AbortSignal) => Promise<void>;
  readonly fetch: FetchFn;
  readonly variables: UrlVariableProviders;
  /** The system services to register and start, given what the boot found. */
  readonly services: (state: NodeState) => ServiceDefinition[];
  /**
   * A boot problem that does not stop the boot (a hostname the kernel refuses, a file that cannot be
   * written, a boot that failed and fell back): said on the console, in machined's log and as an event
   * (`osctl events`). Default: the log only.
   */
  readonly report?: (problem: string) => void;
  /** A random suffix for a generated hostname when the node has no MAC address (tests fix it). */
  readonly randomSuffix?: () => string;
  /** Container mode only: ends the process (shutdown and reboot there). */
  readonly exit: (code: number) => void;
  /** Overrides `bronze.config=` (container mode's URL argument). */
  readonly configUrl?: string;
  /** Container mode's `--config FILE`: used before the store. */
  readonly providedConfig?: ProvidedConfig;
  readonly fetchRetry?: Partial<FetchRetry>;
  /** How long a forced shutdown waits for a cancelled boot's running task to end (default 10 s). */
  readonly cancelTimeoutMs?: number;
  /**
   * Services the boot starts without waiting for them to be up (apid, trustd and the node's
   * certificates may wait long: for a control plane, a node binary, the network).
   */
  readonly notAwaited?: readonly string[];
  /** How long the boot waits for each started service to be up (default 60 s). */
  readonly serviceStartTimeoutMs?: number;
  /** Where machine.kernel.modules are loaded from (`/lib/modules/<release>` of the root). */
  readonly modules?: { readonly fs: ModuleFs; readonly dir: string };
  /**
   * An installed node's STATE and EPHEMERAL partitions (not used in container mode). Absent, or
   * finding none: the diskless mounts (tmpfs /var, the config under /system).
   */
  readonly partitions?: () => NodePartitions;
  /** The text of /proc/self/mountinfo (the reset's unmounts; default: read it). */
  readonly mountinfo?: () => string;
  /**
   * Called once STATE is mounted, before the stored config is read (machined reverts a config left
   * on trial there: before the mount, the store's directory did not hold it).
   */
  readonly onStateMounted?: (log: (line: string) => void) => void;
  /**
   * machine.install (docs/design.md §2: the installer runs inside machined): downloads the assets, writes
   * the disk, saves the config on its STATE and reboots. Absent in container mode.
   */
  readonly install?: (plan: InstallPlan, configText: string, signal: AbortSignal) => Promise<void>;
}

const isContainer = (deps: SequenceDeps) => deps.platform === "container";

/** The partition mount points a boot made, unmounted first at shutdown (keyed by the sequences' deps). */
const partitionMounts = new WeakMap<SequenceDeps, string[]>();

function task(name: string, run: Task["run"]): Task {
  return { name, run };
}

/** The API and runtime filesystems machined mounts on a real node, in order. */
export function systemMounts(paths: NodePaths) {
  const flags = MS_NOSUID | MS_NODEV;
  return [
    { source: "tmpfs", target: paths.system, fstype: "tmpfs", flags, data: "mode=0755" },
    { source: "tmpfs", target: join(paths.root, "run"), fstype: "tmpfs", flags, data: "mode=0755" },
    // A tmpfs for diskless nodes; the boot mounts the EPHEMERAL partition instead when installed.
    { source: "tmpfs", target: paths.var, fstype: "tmpfs", flags, data: "mode=0755" },
    {
      source: "cgroup2",
      target: join(paths.root, "sys/fs/cgroup"),
      fstype: "cgroup2",
      flags: flags | MS_NOEXEC,
      data: "nsdelegate",
    },
  ] as const;
}

function makeDirs(paths: NodePaths): void {
  for (const dir of [
    join(paths.system, "run/machined"),
    join(paths.system, "etc"),
    paths.logDir,
    join(paths.var, "lib"),
  ]) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  mkdirSync(paths.state, { recursive: true, mode: 0o700 });
}

/** The installed node's partitions; a failure to look is logged and means diskless. */
function findPartitions(deps: SequenceDeps, log: (line: string) => void): NodePartitions | undefined {
  if (deps.partitions === undefined) return undefined;
  try {
    const found = deps.partitions();
    if (found.state === undefined && found.ephemeral === undefined) {
      log("no STATE or EPHEMERAL partition: diskless (the config and /var live in memory)");
    }
    return found;
  } catch (err) {
    log(`cannot look for the STATE and EPHEMERAL partitions: ${(err as Error).message}; diskless`);
    return undefined;
  }
}

function recordAcquired(state: WritableNodeState, acquired: Acquired): void {
  if (acquired.mode === "configured") recordConfigured(state, acquired.config);
  else recordMaintenance(state, acquired.reason);
}

/** The boot sequence (docs/design.md §2, step 3). */
export function bootPhases(deps: SequenceDeps, state: WritableNodeState): Phase[] {
  const { sys } = deps;
  let stored: Acquired | undefined;
  let downloaded: MachineConfig | undefined;
  return [
    {
      name: "hardening",
      tasks: [
        task("checkKernelHardening", ({ log }) => {
          for (const e of deps.args.errors) log(`kernel command line: ${e.message}`);
          const result = checkHardening(deps.args, deps.platform);
          if (result.status === "skipped") {
            log(result.reason);
            return;
          }
          if (result.status === "refused") {
            for (const line of describeRefusal(result.problems)) log(line);
            throw new HardeningError(result.problems);
          }
          log("slab_nomerge and pti=on are set");
        }),
      ],
    },
    {
      name: "mounts",
      tasks: [
        task("mountSystem", ({ log }) => {
          if (isContainer(deps)) {
            log(`container mode: no mounts, everything lives under ${deps.paths.root}`);
          } else {
            const found = findPartitions(deps, log);
            // A Bronze partition found, or a lookup that failed, counts as installed: machine.install
            // must never write over a disk it could not rule out as this node's own boot disk.
            recordInstalled(
              state,
              found === undefined
                ? deps.partitions !== undefined
                : found.state !== undefined || found.ephemeral !== undefined,
            );
            const mounted: string[] = [];
            partitionMounts.set(deps, mounted);
            for (const m of systemMounts(deps.paths)) {
              if (m.target === deps.paths.var && found?.ephemeral !== undefined) {
                const ok = mountPartition(
                  sys,
                  {
                    role: EPHEMERAL_PARTITION,
                    partition: found.ephemeral,
                    target: m.target,
                    flags: EPHEMERAL_MOUNT_FLAGS,
                  },
                  log,
                );
                if (ok) continue;
              }
              mkdirSync(m.target, { recursive: true });
              sys.mount(m.source, m.target, m.fstype, m.flags, m.data);
              log(`mounted ${m.fstype} on ${m.target}`);
            }
            // Under /system (the tmpfs just mounted), before the stored config is read.
            if (found?.state !== undefined) {
              const ok = mountPartition(
                sys,
                {
                  role: STATE_PARTITION,
                  partition: found.state,
                  target: deps.paths.state,
                  flags: STATE_MOUNT_FLAGS,
                  mode: 0o700,
                },
                log,
              );
              if (ok) {
                mounted.push(deps.paths.state);
                deps.onStateMounted?.(log);
              }
            }
          }
          makeDirs(deps.paths);
        }),
      ],
    },
    {
      name: "storedConfig",
      tasks: [
        task("loadStoredConfig", ({ log }) => {
          stored = loadInitialConfig({
            store: deps.store,
            mode: deps.platform,
            log,
            ...(deps.providedConfig !== undefined ? { provided: deps.providedConfig } : {}),
          });
          if (stored !== undefined) recordAcquired(state, stored);
        }),
      ],
    },
    {
      name: "network",
      tasks: [task("network", ({ signal }) => deps.network(state.config, signal))],
    },
    {
      name: "config",
      tasks: [
        task("acquireConfig", async ({ log, signal }) => {
          if (stored !== undefined) return;
          // a reset STATE: the node waits for a config, whatever its kernel arguments name
          const resetAt = isContainer(deps) ? undefined : readResetMarker(deps.paths.state);
          if (resetAt !== undefined) {
            const reason = `the node was reset (${resetAt})`;
            recordAcquired(state, { mode: "maintenance", reason });
            log(`maintenance mode: ${reason}; apply a config with osctl apply-config --insecure`);
            return;
          }
          const url = deps.configUrl ?? deps.args.bronze.config;
          const acquired = await downloadConfig({
            store: deps.store,
            mode: deps.platform,
            fetch: deps.fetch,
            clock: deps.clock,
            variables: deps.variables,
            log,
            signal,
            ...(url !== undefined ? { url } : {}),
            ...(deps.fetchRetry !== undefined ? { retry: deps.fetchRetry } : {}),
          });
          recordAcquired(state, acquired);
          if (acquired.mode === "configured") downloaded = acquired.config;
          if (acquired.mode === "maintenance") {
            log(`maintenance mode: ${acquired.reason}; apply a config with osctl apply-config --insecure`);
          }
        }),
      ],
    },
    {
      name: "configNetwork",
      tasks: [
        task("configNetwork", async ({ log, signal }) => {
          // The first network pass ran without this config: apply its machine.network now.
          if (downloaded?.machine.network === undefined || isContainer(deps)) return;
          log("applying machine.network of the downloaded config");
          await deps.network(downloaded, signal);
        }),
      ],
    },
    {
      name: "kernelModules",
      tasks: [
        task("kernelModules", ({ log }) => {
          const modules = state.config?.machine.kernel?.modules ?? [];
          if (modules.length === 0) return;
          if (isContainer(deps)) {
            log("container mode: machine.kernel.modules are not loaded (the host's kernel is not ours)");
            return;
          }
          const source = deps.modules;
          if (source === undefined) {
            log("machine.kernel.modules: this build cannot load modules");
            return;
          }
          // One at a time: a module that cannot be loaded is reported and does not stop the others.
          modules.forEach((m, i) => {
            try {
              loadModules({
                sys,
                fs: source.fs,
                moduleDir: source.dir,
                requests: [{ name: m.name.replaceAll("-", "_"), params: (m.parameters ?? []).join(" ") }],
                log,
              });
            } catch (err) {
              log(
                `machine.kernel.modules[${i}] ${m.name}: ${err instanceof Error ? err.message : String(err)}`,
              );
            }
          });
        }),
      ],
    },
    {
      name: "install",
      tasks: [
        task("install", async ({ log, signal }) => {
          if (deps.install === undefined) return;
          await installStep({
            state,
            args: deps.args,
            platform: deps.platform,
            configText: deps.store.current(),
            install: deps.install,
            log,
            signal,
          });
        }),
      ],
    },
    {
      name: "machine",
      tasks: [
        task("hostname", ({ log }) => {
          const asked = chooseHostname(state.config, deps.args);
          if (isContainer(deps)) {
            if (asked === undefined) {
              log(
                "container mode: no hostname in the config nor on the kernel command line: the host's is used",
              );
              return;
            }
            recordHostname(state, asked);
            log(`container mode: hostname ${asked} recorded, the host's is left alone`);
            return;
          }
          const generated = () =>
            generatedHostname(
              deps.variables.mac(),
              deps.randomSuffix ?? (() => randomBytes(6).toString("hex")),
            );
          let name = asked ?? generated();
          if (asked === undefined) {
            log(
              `no hostname in the config nor on the kernel command line: using ${name} (from the MAC address)`,
            );
          }
          try {
            setKernelHostname(sys, name);
          } catch (err) {
            // A hostname the kernel refuses must not cost the node its API: fall back to the generated one.
            const fallback = generated();
            report(deps, log, `hostname ${name} refused by the kernel (${message(err)}): using ${fallback}`);
            name = fallback;
            setKernelHostname(sys, name);
          }
          recordHostname(state, name);
          log(`hostname set to ${name}`);
        }),
        task("sysctls", ({ log }) => {
          if (isContainer(deps)) {
            log("container mode: the host's sysctls are left alone");
            return;
          }
          const settings = mergeSysctls({ ...KSPP_SYSCTLS, ...NODE_SYSCTLS }, state.config?.machine.sysctls);
          applySysctls(sys, settings, log);
        }),
        task("machineFiles", ({ log }) => {
          const files = state.config?.machine.files ?? [];
          if (files.length === 0) return;
          try {
            writeMachineFiles(files, defaultFileTargets(deps.paths), log);
          } catch (err) {
            // Reported, not fatal: a file the node cannot write must not keep its API from starting.
            report(deps, log, `machine.files: ${message(err)}`);
          }
        }),
      ],
    },
    {
      name: "services",
      tasks: [
        task("startServices", async ({ log, signal }) => {
          const definitions = startSystemServices(deps, state);
          const timeoutMs = deps.serviceStartTimeoutMs ?? 60_000;
          for (const d of definitions) {
            if (deps.notAwaited?.includes(d.id)) continue;
            const wait = new AbortController();
            const onAbort = () => wait.abort();
            signal.addEventListener("abort", onAbort, { once: true });
            const timer = deps.clock.sleep(timeoutMs, wait.signal).then((elapsed) => {
              if (elapsed) wait.abort();
              return elapsed;
            });
            try {
              await deps.supervisor.waitFor(d.id, (s) => s.up, wait.signal);
              log(`service ${d.id} is up`);
            } catch {
              const s = deps.supervisor.status(d.id);
              throw new Error(
                signal.aborted
                  ? `stopped waiting for service ${d.id}`
                  : `service ${d.id} not up after ${timeoutMs} ms (state ${s.state}: ${s.message})`,
              );
            } finally {
              signal.removeEventListener("abort", onAbort);
              wait.abort();
              await timer;
            }
          }
          log(
            state.mode === "maintenance"
              ? "boot finished in maintenance mode"
              : `boot finished: node ${state.hostname ?? "(no hostname)"} configured`,
          );
        }),
      ],
    },
  ];
}

/** Registers and starts the system services for the node's state that are not registered yet. */
function startSystemServices(deps: SequenceDeps, state: NodeState): ServiceDefinition[] {
  const definitions = deps.services(state).filter((d) => !deps.supervisor.has(d.id));
  deps.supervisor.register(...definitions);
  for (const d of definitions) deps.supervisor.start(d.id);
  return definitions;
}

/**
 * After a boot that failed (docs/design.md §2: whatever fails, the API comes up and says why): a node that
 * has a config starts its services with it; one that has none yet enters maintenance mode, its reason
 * the failure. Either way machined's API, containerd and apid are started (those not running yet).
 */
export function recoverFromFailedBoot(deps: SequenceDeps, state: WritableNodeState, failure: string): void {
  const log = (line: string) => deps.log(`[boot] ${line}`);
  if (state.mode !== "configured" || state.config === undefined) {
    recordMaintenance(state, `boot failed: ${failure}`);
    report(deps, log, `boot failed: ${failure}; maintenance mode: the API serves and says why`);
  } else {
    report(deps, log, `boot failed: ${failure}; starting the services with the config in force`);
  }
  try {
    const started = startSystemServices(deps, state);
    log(`started ${started.length > 0 ? started.map((d) => d.id).join(", ") : "no new service"}`);
  } catch (err) {
    report(deps, log, `cannot start the system services: ${message(err)}`);
  }
}

function report(deps: SequenceDeps, log: (line: string) => void, problem: string): void {
  if (deps.report !== undefined) deps.report(problem);
  else log(problem);
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export type ShutdownKind = "reboot" | "shutdown" | "reset";

/** The reboot(2) command for a shutdown kind (`bronze.shutdown=halt` makes shutdowns halt). */
export function rebootCommand(kind: ShutdownKind, args: KernelArgs): RebootCommand {
  if (kind === "shutdown") return args.bronze.shutdown === "halt" ? "halt" : "poweroff";
  return "restart";
}

function unmount(sys: Sys, target: string, log: (line: string) => void): void {
  try {
    sys.umount2(target, 0);
    log(`unmounted ${target}`);
  } catch (err) {
    if (err instanceof SysError && err.code === "EBUSY") {
      sys.umount2(target, MNT_DETACH);
      log(`${target} busy: detached lazily`);
      return;
    }
    throw err;
  }
}

/** Reboot, shutdown and reset: stop services (reverse dependency order), sync, unmount, reboot. */
export function shutdownPhases(deps: SequenceDeps, kind: ShutdownKind, reset?: ResetRun): Phase[] {
  const { sys, supervisor } = deps;
  /** Unmounted by the reset's wipe already (the unmount phase skips them). */
  const unmounted = new Set<string>();
  const phases: Phase[] = [
    {
      name: "stopServices",
      tasks: [
        task("stopAllServices", async ({ log }) => {
          // a reset that is not graceful kills the services at once
          await supervisor.stopAll(reset !== undefined && !reset.graceful ? { graceMs: 0 } : {});
          supervisor.close();
          log(`stopped ${supervisor.ids().length} service(s)`);
        }),
      ],
    },
  ];
  if (kind === "reset") {
    phases.push({
      name: "reset",
      tasks: [
        task("wipeState", async ({ log }) => {
          // This task never fails: whatever happens, the sequence goes on to reboot (or power off).
          if (reset === undefined) {
            log("reset: nothing says what to wipe: nothing wiped");
            return;
          }
          sys.sync();
          // Nothing may stay mounted from what is zeroed, not even lazily detached (release-mounts.ts).
          const roots = [...(partitionMounts.get(deps) ?? []), deps.paths.var];
          const still = await releaseMounts(reset.devices, roots, {
            mountinfo: deps.mountinfo ?? (() => readFileSync("/proc/self/mountinfo", "utf8")),
            umount2: (target, flags) => sys.umount2(target, flags),
            sleep: (ms) => deps.clock.sleep(ms),
            log,
          });
          if (still.length > 0) {
            log(
              `reset refused: ${still.join(", ")} still mounted (busy): nothing wiped; the node ${reset.reboot ? "restarts" : "powers off"} with its state`,
            );
            return;
          }
          for (const target of roots) unmounted.add(target);
          try {
            await reset.wipe(log);
            log("node state erased");
          } catch (err) {
            log(
              `reset: the wipe failed: ${message(err)}; the node ${reset.reboot ? "restarts" : "powers off"}`,
            );
          }
        }),
      ],
    });
  }
  if (isContainer(deps)) {
    phases.push({
      name: "exit",
      tasks: [
        task("exit", ({ log }) => {
          log(`container mode: ${kind} ends the machined process`);
          deps.exit(0);
        }),
      ],
    });
    return phases;
  }
  phases.push(
    { name: "sync", tasks: [task("sync", () => sys.sync())] },
    {
      name: "unmount",
      tasks: [
        task("unmountSystem", ({ log }) => {
          const problems: string[] = [];
          const partitions = partitionMounts.get(deps) ?? [];
          for (const target of [...partitions, deps.paths.var, deps.paths.system]) {
            if (unmounted.has(target)) continue;
            try {
              unmount(sys, target, log);
            } catch (err) {
              problems.push((err as Error).message);
              log(`cannot unmount ${target}: ${(err as Error).message}`);
            }
          }
          // A failed unmount is not a reason to stay up: the data was synced.
          sys.sync();
        }),
      ],
    },
    {
      name: "reboot",
      tasks: [
        task("reboot", ({ log }) => {
          const cmd =
            kind === "reset" && reset?.reboot === false ? "poweroff" : rebootCommand(kind, deps.args);
          log(`reboot(${cmd})`);
          sys.reboot(cmd);
        }),
      ],
    },
  );
  return phases;
}
