import * as z from "zod";
import { cidrAddress, cidrNetwork, hostname, ipAddress } from "./fields.ts";

export const RouteSchema = z.strictObject({
  network: cidrNetwork("Destination network in CIDR notation (0.0.0.0/0 for the default route)."),
  gateway: ipAddress("Gateway address.").optional(),
  metric: z.number().int().min(0).max(4294967295).describe("Route metric (priority).").optional(),
});

const mtu = () => z.number().int().min(68).max(65535).describe("MTU in bytes.");

export const VlanSchema = z.strictObject({
  vlanId: z.number().int().min(1).max(4094).describe("VLAN ID (1-4094)."),
  addresses: z.array(cidrAddress("Static address with prefix length, e.g. 10.0.0.5/24.")).optional(),
  dhcp: z.boolean().describe("Configure the VLAN with DHCP.").optional(),
  routes: z.array(RouteSchema).optional(),
  mtu: mtu().optional(),
});

export const InterfaceSchema = z.strictObject({
  interface: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,14}$/, {
      error: "interface names are 1-15 letters, digits, '_', '.', ':' or '-'",
    })
    .describe("Interface name, e.g. eth0."),
  dhcp: z.boolean().describe("Configure the interface with DHCP.").optional(),
  addresses: z.array(cidrAddress("Static address with prefix length, e.g. 10.0.0.5/24.")).optional(),
  routes: z.array(RouteSchema).optional(),
  mtu: mtu().optional(),
  vlans: z.array(VlanSchema).optional(),
});

export const MachineNetworkSchema = z.strictObject({
  hostname: hostname(
    "Static host name: one label, or a fully qualified name whose first label becomes the kernel's host name and the rest (at most 64 characters) its domain name.",
  ).optional(),
  interfaces: z.array(InterfaceSchema).optional(),
  nameservers: z.array(ipAddress("DNS server address.")).optional(),
});
