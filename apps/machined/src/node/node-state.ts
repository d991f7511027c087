import type { MachineConfig } from "@bronze/config-schema";
import type { KernelArgs } from "./kernel-args.ts";

/**
 * What the node knows about itself, filled in as the boot goes. Read anywhere; written only through
 * the functions below (the boot phases and the config applier call them), so that every change of
 * mode has one place to look.
 */
export interface NodeState {
  readonly mode: "booting" | "configured" | "maintenance";
  readonly config: MachineConfig | undefined;
  /** Why the node is in maintenance mode. */
  readonly maintenanceReason: string | undefined;
  readonly hostname: string | undefined;
  /** Booted from an installed disk: a STATE partition was found (machine.install is then skipped). */
  readonly installed?: boolean;
}

/** A NodeState that these functions may write (the Sequencer owns the one instance). */
export type WritableNodeState = { -readonly [K in keyof NodeState]: NodeState[K] };

export function newNodeState(): WritableNodeState {
  return { mode: "booting", config: undefined, maintenanceReason: undefined, hostname: undefined };
}

/** The node runs `config` (acquired at boot, or applied through the API). */
export function recordConfigured(state: WritableNodeState, config: MachineConfig): void {
  state.mode = "configured";
  state.config = config;
  state.maintenanceReason = undefined;
}

/** The node has no usable config (or its boot failed before it had one): maintenance mode, and why. */
export function recordMaintenance(state: WritableNodeState, reason: string): void {
  state.mode = "maintenance";
  state.maintenanceReason = reason;
}

export function recordHostname(state: WritableNodeState, hostname: string): void {
  state.hostname = hostname;
}

export function recordInstalled(state: WritableNodeState, installed: boolean): void {
  state.installed = installed;
}

/** The hostname asked for: the config's, else `bronze.hostname=`; undefined when neither names one. */
export function chooseHostname(config: MachineConfig | undefined, args: KernelArgs): string | undefined {
  return config?.machine.network?.hostname ?? args.bronze.hostname;
}

/**
 * A hostname for a node that was given none (no config hostname, no `bronze.hostname=`): stable across
 * boots because it comes from the MAC address of its first network interface, as the reference system
 * derives its `talos-…` names: `bronze-525400123456`. Without a MAC (no network interface), `fallback`
 * (random, so the node still gets a name that certificates can carry).
 */
export function generatedHostname(mac: string | undefined, fallback: () => string): string {
  const hex = mac?.toLowerCase().replace(/[^0-9a-f]/g, "") ?? "";
  if (/^[0-9a-f]{12}$/.test(hex) && hex !== "000000000000") return `bronze-${hex}`;
  return `bronze-${fallback()}`;
}
