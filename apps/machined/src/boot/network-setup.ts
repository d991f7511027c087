/**
 * machined's network, across the boot and later config changes: the first pass (before the config is
 * downloaded: DHCP on every physical link, or the stored config's `machine.network`), then one pass per
 * new `machine.network` (downloaded from `bronze.config=`, or applied over the API). Each later pass adopts
 * the earlier pass's DHCP clients (see configureNetwork): a lease on a link the new config does not name
 * (the one that fetched the config) is kept; links it sets statically stop DHCP. Passes never overlap.
 */
import type { MachineConfig } from "@bronze/config-schema";
import type { Clock } from "../clock.ts";
import type {
  ConfigureNetworkOptions,
  NetworkConfiguration,
  NetworkSummary,
} from "../network/network-configurator.ts";

export interface NetworkSetupDeps {
  /** configureNetwork, or a fake in unit tests. */
  readonly configure: (options: ConfigureNetworkOptions) => Promise<NetworkConfiguration>;
  /** Where resolv.conf goes: `<root>/<resolvConfPath>`. */
  readonly root: string;
  readonly resolvConfPath: string;
  readonly clock: Clock;
  readonly log: (line: string) => void;
}

export interface NetworkSetup {
  /** Configures the network for a config (undefined: no config yet), after any pass still running. */
  apply(config: MachineConfig | undefined): Promise<void>;
  /** How many passes have run (0: the network was never configured). */
  readonly passes: number;
  /** Stops the DHCP clients of the latest pass. */
  stop(): Promise<void>;
}

/** One line per interface: `network: eth0: 10.0.2.15/24 (DHCP bound)`. */
export function describeNetwork(summary: NetworkSummary): string[] {
  const lines = summary.interfaces.map((i) => {
    const dhcp = i.dhcp === undefined ? "" : ` (DHCP ${i.dhcp.state})`;
    return `network: ${i.name}: ${i.addresses.length > 0 ? i.addresses.join(", ") : "no address"}${dhcp}`;
  });
  if (summary.failures.length > 0) lines.push(`network: ${summary.failures.length} problem(s), see above`);
  return lines;
}

export function networkSetup(deps: NetworkSetupDeps): NetworkSetup {
  let current: NetworkConfiguration | undefined;
  let passes = 0;
  let queue: Promise<void> = Promise.resolve();
  const run = async (config: MachineConfig | undefined) => {
    const adopt = current?.release() ?? [];
    if (current !== undefined) deps.log("network: applying the config's machine.network");
    current = await deps.configure({
      network: config?.machine.network,
      root: deps.root,
      resolvConfPath: deps.resolvConfPath,
      clock: deps.clock,
      log: deps.log,
      ...(adopt.length > 0 ? { adopt } : {}),
    });
    passes += 1;
    for (const line of describeNetwork(current)) deps.log(line);
  };
  return {
    apply(config) {
      const next = queue.then(() => run(config));
      queue = next.catch(() => {});
      return next;
    },
    get passes() {
      return passes;
    },
    async stop() {
      await queue;
      await current?.stop();
    },
  };
}
