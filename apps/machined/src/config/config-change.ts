import { formatIssue, type MachineConfig, type Mode, validateConfig } from "@bronze/config-schema";
import type { KernelArgs } from "../node/kernel-args.ts";
import { chooseHostname, type NodeState } from "../node/node-state.ts";
import type { ServiceDefinition } from "../supervisor/service.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";

export class ConfigChangeError extends Error {
  override readonly name = "ConfigChangeError";
  readonly code = "Invalid";
}

export interface ConfigChangeDeps {
  readonly platform: Mode;
  readonly args: KernelArgs;
  readonly state: NodeState;
  readonly supervisor: Pick<Supervisor, "has" | "register" | "start">;
  /** The system services the node should run in a state (the boot's list). */
  readonly services: (state: NodeState) => ServiceDefinition[];
  /** Sets the kernel's hostname (absent in container mode, where the host's is left alone). */
  readonly setHostname?: (name: string) => void;
  /**
   * Applies a new `machine.network` (absent in container mode): called when the config's differs from
   * the one in effect (in maintenance mode: none, the network runs DHCP on every link).
   */
  readonly applyNetwork?: (config: MachineConfig) => Promise<void>;
  readonly log: (line: string) => void;
}

/**
 * What machined does when the API saved a config to apply without a reboot (no-reboot and try modes,
 * and a try's revert): the node leaves maintenance mode, takes the hostname, and starts the system
 * services the new config calls for that are not running yet. Services already running keep going.
 */
export function configChangeApplier(deps: ConfigChangeDeps): (text: string) => Promise<void> {
  return async (text) => {
    const result = validateConfig(text, { mode: deps.platform });
    if (!result.ok || result.config === undefined) {
      throw new ConfigChangeError(
        `the saved config is not valid: ${result.errors.map((e) => formatIssue(e)).join("; ")}`,
      );
    }
    const { state } = deps;
    const wasMaintenance = state.mode === "maintenance";
    const previousNetwork = state.config?.machine.network;
    state.config = result.config;
    state.mode = "configured";
    state.maintenanceReason = undefined;
    const hostname = chooseHostname(result.config, deps.args);
    if (hostname !== undefined && hostname !== state.hostname) {
      deps.setHostname?.(hostname);
      state.hostname = hostname;
      deps.log(`config: hostname ${hostname}`);
    }
    const network = result.config.machine.network;
    if (
      deps.applyNetwork !== undefined &&
      network !== undefined &&
      JSON.stringify(network) !== JSON.stringify(previousNetwork)
    ) {
      deps.log("config: applying machine.network");
      try {
        await deps.applyNetwork(result.config);
      } catch (err) {
        // The config is saved; a network that cannot be configured is reported, not a failed apply.
        deps.log(`config: machine.network: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const added = deps.services(state).filter((d) => !deps.supervisor.has(d.id));
    deps.supervisor.register(...added);
    for (const d of added) deps.supervisor.start(d.id);
    deps.log(
      `config: applied without a reboot${wasMaintenance ? " (leaving maintenance mode)" : ""}${
        added.length > 0 ? `; starting ${added.map((d) => d.id).join(", ")}` : ""
      }`,
    );
  };
}
