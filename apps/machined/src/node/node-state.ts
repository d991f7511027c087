import type { MachineConfig } from "@bronze/config-schema";
import type { KernelArgs } from "./kernel-args.ts";

/** What the node knows about itself, filled in as the boot goes. */
export interface NodeState {
  mode: "booting" | "configured" | "maintenance";
  config: MachineConfig | undefined;
  /** Why the node is in maintenance mode. */
  maintenanceReason: string | undefined;
  hostname: string | undefined;
  /** Booted from an installed disk: a STATE partition was found (machine.install is then skipped). */
  installed?: boolean;
}

/** The hostname to use: the config's, else `bronze.hostname=`. */
export function chooseHostname(config: MachineConfig | undefined, args: KernelArgs): string | undefined {
  return config?.machine.network?.hostname ?? args.bronze.hostname;
}
