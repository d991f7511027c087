/**
 * Test fixture: runs configureNetwork with the JSON input in argv[2] (inside a test namespace) and prints
 * one JSON line with the summary. `dhcpKinds` selects the default-DHCP links by kind (veth in tests).
 */
import { configureNetwork, type MachineNetwork } from "./network-configurator.ts";

const input = JSON.parse(process.argv[2] ?? "{}") as {
  network?: MachineNetwork;
  root: string;
  dhcpTimeoutMs?: number;
  dhcpKinds?: string[];
};
const kinds = input.dhcpKinds;
const result = await configureNetwork({
  ...(input.network === undefined ? {} : { network: input.network }),
  root: input.root,
  dhcpTimeoutMs: input.dhcpTimeoutMs ?? 10_000,
  ...(kinds === undefined ? {} : { isDefaultDhcpLink: (l) => !l.loopback && kinds.includes(l.kind ?? "") }),
});
await result.stop();
const { stop: _stop, ...summary } = result;
console.log(JSON.stringify(summary));
