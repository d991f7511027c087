// The one owner of applying a machine config (docs/design.md §5, docs/design.md "Applying a config"): it
// validates the text once, decides what the apply may do on this node (the refusals), keeps the
// config (store, stage, try and its revert, boot-time revert of a trial machined did not live to end),
// applies it in place (hostname, network, services), starts an install it asks for, and takes the
// node out of maintenance mode. The API handler only maps protos to ApplyRequest and ConfigApplyError
// to Connect codes. Applies run one at a time. The validation and the diff run off PID 1's event loop,
// in the config worker (config-worker-client.ts), within its time budget.
import { existsSync } from "node:fs";
import { formatIssue, type MachineConfig } from "@bronze/config-schema";
import { FilesError } from "@bronze/files";
import type { Clock } from "../clock.ts";
import { type InstallPlan, installPlan } from "../install/machine-install.ts";
import type { KernelArgs, Platform } from "../node/kernel-args.ts";
import {
  chooseHostname,
  type NodeState,
  recordConfigured,
  recordHostname,
  type WritableNodeState,
} from "../node/node-state.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import type { ConfigValidation } from "./config-check.ts";
import type { ConfigStore } from "./config-store.ts";
import { type ConfigCheck, ConfigWorkerError } from "./config-worker-client.ts";

/** How long a config applied in try mode stays unless confirmed (Talos's default). */
export const DEFAULT_TRY_TIMEOUT_MS = 60_000;

/** The certificates service and the API gateway, by service id (services/pki.ts, services/apid.ts). */
const PKI = "pki";
const APID = "apid";

export type ApplyMode = "auto" | "no-reboot" | "staged" | "try";

/**
 * Who asks: a caller apid authenticated with a client certificate, or the unauthenticated caller of
 * the maintenance apid (no client certificates: docs/design.md §2). The latter may only configure a node in
 * maintenance mode, and never sees a config other than its own.
 */
export type ApplyCaller = "authenticated" | "maintenance";

export interface ApplyRequest {
  readonly text: string;
  readonly mode: ApplyMode;
  /** Try mode's time limit (default one minute). */
  readonly tryTimeoutMs?: number;
  readonly dryRun: boolean;
  readonly caller: ApplyCaller;
}

export interface ApplyOutcome {
  readonly modeDetails: string;
  readonly warnings: readonly string[];
  /** Unified diff from the config in force (or staged, for staged mode) to the new one. */
  readonly diff: string;
  readonly dryRun: boolean;
}

export type ConfigApplyErrorCode =
  | "Invalid" // the config (or the request) is not valid: nothing was kept
  | "Refused" // valid, but this node cannot do what the mode asks now: nothing was kept
  | "NoSpace" // the store's filesystem is full: the config in force is kept
  | "Storage" // the store could not write: the config in force is kept
  | "ApplyFailed" // kept, but applying it in place failed: the previous config is back
  | "RebootRefused"; // saved, but the reboot that applies it was refused (another sequence runs)

export class ConfigApplyError extends Error {
  override readonly name = "ConfigApplyError";
  constructor(
    readonly code: ConfigApplyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ConfigApplierDeps {
  readonly platform: Platform;
  readonly args: KernelArgs;
  /** The node's state: this applier writes it after a boot, the boot phases before. */
  readonly state: WritableNodeState;
  readonly store: Pick<
    ConfigStore,
    | "current"
    | "staged"
    | "saveAsync"
    | "stageAsync"
    | "saveForTrialAsync"
    | "endTrial"
    | "clear"
    | "previousPath"
  >;
  readonly clock: Clock;
  /**
   * Validates configs and diffs them off the event loop: machined's is the config worker
   * (ConfigWorkerClient); its failures and time-outs refuse the apply.
   */
  readonly check: Pick<ConfigCheck, "validate" | "diff">;
  readonly supervisor: Pick<Supervisor, "has" | "register" | "start" | "stop" | "restart" | "waitFor">;
  /** The system services the node runs in a state (the boot's list). */
  readonly services: (state: NodeState) => ServiceDefinition[];
  /** Sets the kernel's hostname (absent in container mode, where the host's is left alone). */
  readonly setHostname?: (name: string) => void;
  /** Applies a new `machine.network` (absent in container mode). */
  readonly applyNetwork?: (config: MachineConfig) => Promise<void>;
  /**
   * Whether a saved config survives a reboot: false on a diskless node, whose config lives in memory
   * and is downloaded again at boot.
   */
  readonly persists: () => boolean;
  /**
   * machine.install for an applied config (absent in container mode): downloads, writes the disk, saves
   * the config on it and reboots into it.
   */
  readonly install?: (plan: InstallPlan, configText: string, signal: AbortSignal) => Promise<void>;
  /** The reboot sequence; resolves once it is under way. */
  readonly reboot: () => Promise<void>;
  readonly log: (line: string) => void;
  /** Aborted when machined shuts down: a trial's timer stops. */
  readonly shutdown?: AbortSignal;
  /** Failures with nobody to answer (a trial's revert, leaving maintenance after the answer). */
  readonly onInternalError?: (error: unknown) => void;
}

const MODE_DETAILS = {
  staged: "Staged: the config applies at the next reboot",
  noReboot: "Applied without a reboot",
  leaving: "Applied without a reboot: the node leaves maintenance mode",
  reboot: "Rebooting to apply the config",
  installing: "Installing the node to its disk: it reboots into it when done",
} as const;

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The store's failure, typed: a full disk says so (fault C of the fault-injection review). */
function storageError(err: unknown, doing: string): ConfigApplyError {
  if (err instanceof ConfigApplyError) return err;
  const full = err instanceof FilesError && err.code === "NoSpace";
  return new ConfigApplyError(full ? "NoSpace" : "Storage", `${doing}: ${describe(err)}`, { cause: err });
}

export class ConfigApplier {
  readonly #deps: ConfigApplierDeps;
  #queue: Promise<unknown> = Promise.resolve();
  /** The config on trial and what it replaced, until confirmed or reverted. */
  #trial: { readonly abort: AbortController; readonly previous: string } | undefined;
  #installing = false;
  /** Set once a config is accepted in maintenance mode: maintenance calls are refused from then on. */
  #leaving = false;

  constructor(deps: ConfigApplierDeps) {
    this.#deps = deps;
  }

  /**
   * Whether the maintenance apid's unauthenticated calls may be served: only while the node is in
   * maintenance mode and no config has been accepted yet (the listener closes right after).
   */
  maintenanceCallsAllowed(): boolean {
    return this.#deps.state.mode === "maintenance" && !this.#leaving;
  }

  /** Whether an install started by an applied config runs (it ends in a reboot into the disk). */
  installing(): boolean {
    return this.#installing;
  }

  /** Validates, decides, keeps and applies one config (see ApplyMode); throws ConfigApplyError. */
  async apply(request: ApplyRequest): Promise<ApplyOutcome> {
    const { text } = request;
    const result = await this.#validate(text);
    if (!result.ok || result.config === undefined) {
      const lines = result.errors.map((issue) => formatIssue(issue));
      const n = result.errorCount;
      throw new ConfigApplyError(
        "Invalid",
        `invalid machine config (${n} error${n === 1 ? "" : "s"}):\n${lines.join("\n")}`,
      );
    }
    const config = result.config;
    const tryTimeoutMs = request.tryTimeoutMs ?? DEFAULT_TRY_TIMEOUT_MS;
    if (request.mode === "try" && !(tryTimeoutMs > 0)) {
      throw new ConfigApplyError("Invalid", "try_timeout must be positive");
    }
    const warnings = result.warnings.map((issue) => formatIssue(issue));
    return this.#serialize(async () => {
      const { store } = this.#deps;
      const maintenanceCaller = request.caller === "maintenance";
      if (maintenanceCaller && !this.maintenanceCallsAllowed()) {
        throw new ConfigApplyError(
          "Refused",
          "this node is not in maintenance mode (any more): configure it with a client certificate",
        );
      }
      // The maintenance caller is not authenticated: it never sees another config than its own.
      const current = maintenanceCaller ? undefined : store.current();
      const staged = request.mode === "staged" && !maintenanceCaller ? store.staged() : undefined;
      const diff = await this.#checked(() =>
        this.#deps.check.diff(staged ?? current ?? "", text, {
          from: staged === undefined ? "current" : "staged",
          to: "new",
        }),
      );
      const outcome = (modeDetails: string): ApplyOutcome => ({
        modeDetails,
        warnings,
        diff,
        dryRun: request.dryRun,
      });
      if (request.dryRun) return outcome(`Dry run (${request.mode}): nothing was changed`);
      const plan = this.#installPlan(config);
      this.#refuseUnsafe(request.mode, plan !== undefined);
      switch (request.mode) {
        case "staged":
          this.#confirmTrial();
          await this.#write(() => store.stageAsync(text), "cannot stage the config");
          return outcome(MODE_DETAILS.staged);
        case "no-reboot":
          return outcome(await this.#applyNow(text, config, plan));
        case "try": {
          const previous = store.current();
          if (previous === undefined) {
            throw new ConfigApplyError("Refused", "try mode needs a config in force to come back to");
          }
          this.#confirmTrial();
          await this.#write(() => store.saveForTrialAsync(text), "cannot save the config for its trial");
          try {
            await this.#applyInPlace(config);
          } catch (err) {
            store.endTrial("revert");
            throw new ConfigApplyError(
              "ApplyFailed",
              `could not apply the config in try mode; the previous config is kept: ${describe(err)}`,
              { cause: err },
            );
          }
          this.#startTrial(previous, tryTimeoutMs);
          return outcome(
            `Applied for ${formatDuration(tryTimeoutMs)}: the previous config comes back unless the config is applied again`,
          );
        }
        default: {
          // A node in maintenance mode has nothing running to restart: it boots on with the config (as
          // Talos does). A reboot would also lose it on a diskless node, which downloads its config again.
          if (this.#deps.state.mode === "maintenance") {
            return outcome(await this.#applyNow(text, config, plan));
          }
          this.#confirmTrial();
          await this.#write(() => store.saveAsync(text), "cannot save the config");
          if (plan !== undefined) {
            this.#startInstall(plan, text);
            return outcome(MODE_DETAILS.installing);
          }
          try {
            await this.#deps.reboot();
          } catch (err) {
            throw new ConfigApplyError(
              "RebootRefused",
              `the config is saved but the reboot was refused; it applies at the next reboot: ${describe(err)}`,
              { cause: err },
            );
          }
          return outcome(MODE_DETAILS.reboot);
        }
      }
    });
  }

  #validate(text: string): Promise<ConfigValidation> {
    return this.#checked(() => this.#deps.check.validate(text, this.#deps.platform));
  }

  /**
   * A validation or a diff in the config worker: one that outran its time budget refuses the config as
   * too costly to check (Invalid); a worker that failed refuses the apply (Refused), machined carries on.
   */
  async #checked<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ConfigWorkerError) {
        const code = err.code === "Timeout" ? "Invalid" : "Refused";
        this.#deps.log(`config: ${err.message}`);
        throw new ConfigApplyError(code, `${err.message}; nothing was kept`, { cause: err });
      }
      throw err;
    }
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #write(write: () => Promise<void>, doing: string): Promise<void> {
    try {
      await write();
    } catch (err) {
      const error = storageError(err, doing);
      this.#deps.log(`config: ${error.message}`);
      throw error;
    }
  }

  #installPlan(config: MachineConfig): InstallPlan | undefined {
    if (this.#deps.install === undefined) return undefined;
    const { args, platform, state } = this.#deps;
    try {
      return installPlan(config, { args, platform, installed: state.installed === true }, (line) =>
        this.#deps.log(`install: ${line}`),
      );
    } catch (err) {
      // machine.install that cannot be carried out as asked (plain http from a foreign server).
      throw new ConfigApplyError("Refused", describe(err), { cause: err });
    }
  }

  /**
   * The applies that would lose the config or do something other than what was asked: any apply while
   * an install runs; trying or no-reboot for a config that installs (the install is permanent and
   * reboots); on a diskless node, staging, or a reboot the config does not survive.
   */
  #refuseUnsafe(mode: ApplyMode, installs: boolean): void {
    const refuse = (message: string) => new ConfigApplyError("Refused", message);
    const maintenance = this.#deps.state.mode === "maintenance";
    if (this.#installing) {
      throw refuse(
        "an install is running: the node reboots into its disk when it is done; apply the config then",
      );
    }
    if (installs && mode === "try") {
      throw refuse(
        "this config installs the node to a disk, which cannot be tried and reverted: apply it with --mode auto",
      );
    }
    if (installs && mode === "no-reboot" && !maintenance) {
      throw refuse(
        "this config installs the node to a disk, which ends in a reboot: apply it with --mode auto",
      );
    }
    if (this.#deps.persists()) return;
    const diskless = "this node is diskless: its config lives in memory and is downloaded again at boot, so";
    const instead =
      "apply it with --mode no-reboot (or try), install the node to a disk (machine.install), or change the config the node downloads";
    if (mode === "staged") {
      throw refuse(`${diskless} a staged config would be lost at the reboot it waits for; ${instead}`);
    }
    if (mode === "auto" && !installs && !maintenance) {
      throw refuse(`${diskless} the reboot that auto mode needs would lose it; ${instead}`);
    }
  }

  /** Saves the config and applies it in place; the previous one is back when that fails. */
  async #applyNow(text: string, config: MachineConfig, plan: InstallPlan | undefined): Promise<string> {
    const { store } = this.#deps;
    this.#confirmTrial();
    const before = store.current();
    await this.#write(() => store.saveAsync(text), "cannot save the config");
    const leaving = this.#deps.state.mode === "maintenance";
    try {
      await this.#applyInPlace(config);
    } catch (err) {
      if (before !== undefined) await store.saveAsync(before);
      else store.clear();
      throw new ConfigApplyError(
        "ApplyFailed",
        `could not apply the config without a reboot; the previous config is kept: ${describe(err)}`,
        { cause: err },
      );
    }
    if (plan !== undefined) this.#startInstall(plan, text);
    return leaving ? MODE_DETAILS.leaving : MODE_DETAILS.noReboot;
  }

  /**
   * Applies a saved config without a reboot (no-reboot and try modes, and a try's revert): the
   * hostname, the network, the system services the config adds. Nothing of the node's state changes
   * when this throws. A node in maintenance mode leaves it once this call has been answered.
   */
  async #applyInPlace(config: MachineConfig): Promise<void> {
    const { state, log } = this.#deps;
    const hostname = chooseHostname(config, this.#deps.args);
    if (hostname !== undefined && hostname !== state.hostname) this.#deps.setHostname?.(hostname);
    if (state.mode === "maintenance") {
      this.#leaving = true;
      // After the answer has gone out through the maintenance apid (its graceful stop lets it finish).
      setTimeout(() => {
        this.#leaveMaintenance(config, hostname).catch((err) => {
          log(`config: leaving maintenance mode failed: ${describe(err)}`);
          this.#deps.onInternalError?.(err);
        });
      }, 0);
      return;
    }
    const previousNetwork = state.config?.machine.network;
    recordConfigured(state, config);
    if (hostname !== undefined && hostname !== state.hostname) {
      recordHostname(state, hostname);
      log(`config: hostname ${hostname}`);
    }
    await this.#applyNetwork(config, previousNetwork);
    const added = this.#startAddedServices();
    log(`config: applied without a reboot${added.length > 0 ? `; starting ${added.join(", ")}` : ""}`);
    if (added.length === 0 && this.#deps.supervisor.has(PKI)) {
      // Hostname and certSANs may have changed: the certificates are issued again (apid and trustd
      // pick them up without a restart).
      log("config: re-issuing the node's certificates");
      this.#deps.supervisor.restart(PKI).catch((err) => log(`config: cannot restart pki: ${describe(err)}`));
    }
  }

  /**
   * Leaving maintenance mode (C1 of the security review): the maintenance apid, which serves without
   * client certificates, is stopped first; only then is the node configured, and apid starts again with
   * the node's certificates once they are written.
   */
  async #leaveMaintenance(config: MachineConfig, hostname: string | undefined): Promise<void> {
    const { state, supervisor, log } = this.#deps;
    if (supervisor.has(APID)) {
      log("config: stopping the maintenance apid");
      // Whatever happens to the stop, the node goes on to be configured: it must not stay half-way,
      // refusing maintenance calls with no apid of its own to come.
      await supervisor
        .stop(APID)
        .catch((err) => log(`config: stopping the maintenance apid: ${describe(err)}`));
    }
    recordConfigured(state, config);
    this.#leaving = false;
    if (hostname !== undefined && hostname !== state.hostname) {
      recordHostname(state, hostname);
      log(`config: hostname ${hostname}`);
    }
    await this.#applyNetwork(config, undefined);
    const added = this.#startAddedServices();
    log(`config: left maintenance mode${added.length > 0 ? `; starting ${added.join(", ")}` : ""}`);
    if (!supervisor.has(APID)) return;
    if (supervisor.has(PKI)) {
      log("config: apid starts again once the node's certificates are written");
      await supervisor.waitFor(PKI, (s) => s.up, this.#deps.shutdown);
    }
    supervisor.start(APID);
  }

  async #applyNetwork(config: MachineConfig, previous: MachineConfig["machine"]["network"]): Promise<void> {
    const network = config.machine.network;
    if (
      this.#deps.applyNetwork === undefined ||
      network === undefined ||
      JSON.stringify(network) === JSON.stringify(previous)
    )
      return;
    this.#deps.log("config: applying machine.network");
    try {
      await this.#deps.applyNetwork(config);
    } catch (err) {
      // The config is saved; a network that cannot be configured is reported, not a failed apply.
      this.#deps.log(`config: machine.network: ${describe(err)}`);
    }
  }

  /** Registers and starts the system services the config calls for that are not running yet. */
  #startAddedServices(): string[] {
    const { supervisor } = this.#deps;
    const added = this.#deps.services(this.#deps.state).filter((d) => !supervisor.has(d.id));
    supervisor.register(...added);
    for (const d of added) supervisor.start(d.id);
    return added.map((d) => d.id);
  }

  /** The install an applied config asks for, in the background: its reboot replaces the apply's. */
  #startInstall(plan: InstallPlan, text: string): void {
    const install = this.#deps.install;
    if (install === undefined) return;
    const { log } = this.#deps;
    this.#installing = true;
    install(plan, text, new AbortController().signal)
      .catch((err) => {
        log(`install failed: ${describe(err)}`);
        log("fix the config (machine.install) and apply it again with osctl apply-config");
      })
      .finally(() => {
        this.#installing = false;
      });
  }

  #confirmTrial(): void {
    const trial = this.#trial;
    if (trial === undefined) return;
    trial.abort.abort();
    this.#trial = undefined;
    this.#deps.store.endTrial("commit");
  }

  #startTrial(previous: string, timeoutMs: number): void {
    const current = { abort: new AbortController(), previous };
    this.#trial = current;
    const signals = [current.abort.signal, ...(this.#deps.shutdown ? [this.#deps.shutdown] : [])];
    this.#deps.clock
      .sleep(timeoutMs, AbortSignal.any(signals))
      .then((elapsed) => {
        if (!elapsed) return;
        return this.#serialize(async () => {
          if (this.#trial !== current) return; // confirmed meanwhile
          this.#trial = undefined;
          this.#deps.store.endTrial("revert");
          this.#deps.log("config: the config on trial was not confirmed: the previous config is back");
          const result = await this.#validate(previous);
          if (result.ok && result.config !== undefined) await this.#applyInPlace(result.config);
        });
      })
      .catch((error) => this.#deps.onInternalError?.(error));
  }
}

/**
 * At startup, before the config is acquired: a config.previous.yaml means machined stopped while a
 * config applied in try mode was on trial (never confirmed): the config it replaced comes back.
 * Returns whether it did.
 */
export function revertInterruptedTrial(
  store: Pick<ConfigStore, "previousPath" | "endTrial">,
  log: (line: string) => void,
): boolean {
  if (!existsSync(store.previousPath)) return false;
  store.endTrial("revert");
  log("config: a config on trial was never confirmed: the previous config is back in force");
  return true;
}
