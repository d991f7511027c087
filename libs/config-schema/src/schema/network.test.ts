import { expect, test } from "bun:test";
import { checkRule, type RuleCase } from "../../test/fixtures.ts";

const eth0 = (extra: Record<string, unknown>) => [
  { interface: "eth0", addresses: ["10.0.0.10/24"], ...extra },
];

const cases: RuleCase[] = [
  {
    name: "hostname is a host name",
    bad: { "machine.network.hostname": "cp_1" },
    good: { "machine.network.hostname": "cp-1.bronze.example" },
    path: "machine.network.hostname",
    code: "invalid_hostname",
  },
  {
    // 69 bytes: a valid DNS name, but its domain (65 bytes) is more than setdomainname(2) takes.
    name: "hostname: the domain after the first label fits the kernel (64 bytes)",
    bad: { "machine.network.hostname": `node.${"d".repeat(32)}.${"e".repeat(32)}` },
    good: { "machine.network.hostname": `${"n".repeat(63)}.${"d".repeat(31)}.${"e".repeat(32)}` },
    path: "machine.network.hostname",
    code: "invalid_hostname",
  },
  {
    name: "NTP servers may still be any DNS name (up to 253 characters)",
    bad: { "machine.time.servers": ["ntp_1"] },
    good: { "machine.time.servers": [`ntp.${"d".repeat(63)}.${"e".repeat(63)}.example`] },
    path: "machine.time.servers[0]",
    code: "invalid_hostname",
  },
  {
    name: "interface name is required",
    bad: { "machine.network.interfaces": [{ dhcp: true }] },
    good: { "machine.network.interfaces": [{ interface: "eth0", dhcp: true }] },
    path: "machine.network.interfaces[0].interface",
    code: "required",
  },
  {
    name: "interface names are short identifiers",
    bad: { "machine.network.interfaces": [{ interface: "eth 0", dhcp: true }] },
    good: { "machine.network.interfaces": [{ interface: "enp0s3.100", dhcp: true }] },
    path: "machine.network.interfaces[0].interface",
    code: "invalid_format",
  },
  {
    name: "dhcp is a boolean",
    bad: { "machine.network.interfaces": [{ interface: "eth0", dhcp: "on" }] },
    good: { "machine.network.interfaces": [{ interface: "eth0", dhcp: true }] },
    path: "machine.network.interfaces[0].dhcp",
    code: "invalid_type",
  },
  {
    name: "addresses are CIDRs (v4)",
    bad: { "machine.network.interfaces": [{ interface: "eth0", addresses: ["10.0.0.10/24", "10.0.0.11"] }] },
    good: {
      "machine.network.interfaces": [{ interface: "eth0", addresses: ["10.0.0.10/24", "10.0.0.11/24"] }],
    },
    path: "machine.network.interfaces[0].addresses[1]",
    code: "invalid_cidr",
  },
  {
    name: "addresses are CIDRs (v6)",
    bad: { "machine.network.interfaces": [{ interface: "eth0", addresses: ["fd00::10/129"] }] },
    good: { "machine.network.interfaces": [{ interface: "eth0", addresses: ["fd00::10/64"] }] },
    path: "machine.network.interfaces[0].addresses[0]",
    code: "invalid_cidr",
  },
  {
    name: "route network is a network CIDR",
    bad: {
      "machine.network.interfaces": eth0({ routes: [{ network: "10.1.2.3/16", gateway: "10.0.0.1" }] }),
    },
    good: {
      "machine.network.interfaces": eth0({ routes: [{ network: "10.1.0.0/16", gateway: "10.0.0.1" }] }),
    },
    path: "machine.network.interfaces[0].routes[0].network",
    code: "invalid_cidr",
  },
  {
    name: "route gateway is an IP",
    bad: { "machine.network.interfaces": eth0({ routes: [{ network: "0.0.0.0/0", gateway: "router" }] }) },
    good: { "machine.network.interfaces": eth0({ routes: [{ network: "0.0.0.0/0", gateway: "10.0.0.1" }] }) },
    path: "machine.network.interfaces[0].routes[0].gateway",
    code: "invalid_ip",
  },
  {
    name: "route metric is a non-negative integer",
    bad: { "machine.network.interfaces": eth0({ routes: [{ network: "0.0.0.0/0", metric: -1 }] }) },
    good: { "machine.network.interfaces": eth0({ routes: [{ network: "0.0.0.0/0", metric: 0 }] }) },
    path: "machine.network.interfaces[0].routes[0].metric",
    code: "out_of_range",
  },
  {
    name: "mtu range",
    bad: { "machine.network.interfaces": eth0({ mtu: 70000 }) },
    good: { "machine.network.interfaces": eth0({ mtu: 9000 }) },
    path: "machine.network.interfaces[0].mtu",
    code: "out_of_range",
  },
  {
    name: "mtu is an integer",
    bad: { "machine.network.interfaces": eth0({ mtu: 1500.5 }) },
    good: {},
    path: "machine.network.interfaces[0].mtu",
    code: "invalid_type",
  },
  {
    name: "vlanId range",
    bad: { "machine.network.interfaces": eth0({ vlans: [{ vlanId: 4095, dhcp: true }] }) },
    good: { "machine.network.interfaces": eth0({ vlans: [{ vlanId: 4094, dhcp: true }] }) },
    path: "machine.network.interfaces[0].vlans[0].vlanId",
    code: "out_of_range",
  },
  {
    name: "vlan addresses are CIDRs",
    bad: { "machine.network.interfaces": eth0({ vlans: [{ vlanId: 5, addresses: ["x"] }] }) },
    good: { "machine.network.interfaces": eth0({ vlans: [{ vlanId: 5, addresses: ["192.168.5.1/24"] }] }) },
    path: "machine.network.interfaces[0].vlans[0].addresses[0]",
    code: "invalid_cidr",
  },
  {
    name: "unknown vlan fields",
    bad: { "machine.network.interfaces": eth0({ vlans: [{ vlanId: 5, dhcp: true, vid: 5 }] }) },
    good: {},
    path: "machine.network.interfaces[0].vlans[0].vid",
    code: "unknown_field",
  },
  {
    name: "nameservers are IPs",
    bad: { "machine.network.nameservers": ["1.1.1.1", "dns.example"] },
    good: { "machine.network.nameservers": ["1.1.1.1", "2606:4700:4700::1001"] },
    path: "machine.network.nameservers[1]",
    code: "invalid_ip",
  },
];

test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, rule) => {
  const { bad, good } = checkRule(rule);
  expect(bad).toContainEqual({ path: rule.path, code: rule.code });
  expect(good).toEqual([]);
});
