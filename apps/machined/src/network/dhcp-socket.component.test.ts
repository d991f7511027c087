// The DHCP client against a real dnsmasq, over a veth pair between two throwaway network namespaces:
// DISCOVER/OFFER/REQUEST/ACK over the real socket, the lease applied through rtnetlink, then a renewal.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@bronze/testing";
import { DhcpSocket } from "./dhcp-socket.ts";
import { createNetns, type Netns } from "./netns-fixture.ts";

const fixture = join(import.meta.dir, "dhcp-fixture.ts");
const CLIENT_MAC = "02:00:00:00:00:99";
let server: Netns;
let client: Netns;
let dir: string;
let dnsmasq: ReturnType<typeof Bun.spawn> | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bronze-dhcp-"));
  server = createNetns("bzt-dhcps");
  client = createNetns("bzt-dhcpc");
  server.run(["ip", "link", "add", "s0", "type", "veth", "peer", "name", "c0", "netns", client.name]);
  server.run(["ip", "addr", "add", "10.99.0.1/24", "dev", "s0"]);
  server.run(["ip", "link", "set", "s0", "up"]);
  client.run(["ip", "link", "set", "c0", "address", CLIENT_MAC]);
  dnsmasq = Bun.spawn(
    [
      "ip",
      "netns",
      "exec",
      server.name,
      "dnsmasq",
      "--no-daemon",
      "--conf-file=/dev/null",
      "--port=0",
      "--user=root",
      "--interface=s0",
      "--bind-interfaces",
      "--no-ping",
      "--dhcp-authoritative",
      "--dhcp-range=10.99.0.50,10.99.0.60,255.255.255.0,2m",
      "--dhcp-option=option:router,10.99.0.1",
      "--dhcp-option=option:dns-server,10.99.0.53,10.99.0.54",
      "--dhcp-option=option:mtu,1400",
      "--dhcp-option=option:domain-name,bronze.test",
      `--dhcp-host=${CLIENT_MAC},10.99.0.55,node-a`,
      `--dhcp-leasefile=${join(dir, "leases")}`,
      `--pid-file=${join(dir, "pid")}`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  // Wait until dnsmasq listens on UDP 67.
  await eventually(
    "dnsmasq listening on UDP port 67",
    () => server.run(["ss", "-uln"]).includes(":67 "),
    5000,
    50,
  );
});

afterAll(async () => {
  if (dnsmasq !== undefined) {
    dnsmasq.kill();
    await dnsmasq.exited;
  }
  client?.remove();
  server?.remove();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface LeaseJson {
  address: string;
  cidr: string;
  router?: string;
  dnsServers: string[];
  hostname?: string;
  domainName?: string;
  mtu?: number;
  renewalTime: number;
  leaseTime: number;
  acquiredAt: number;
}

test("acquires a lease from dnsmasq, applies address, route and MTU, and renews at T1", () => {
  // dnsmasq's shortest lease is 2 min (T1 = 1 min): the client's clock runs 30x faster, so T1 comes at 2 s.
  const out = client.bun<{
    ok: boolean;
    first: LeaseJson;
    later?: LeaseJson;
    applied: number;
    log: string[];
  }>(fixture, { interface: "c0", renewals: 1, waitMs: 15_000, hostname: "node-a", timeScale: 30 }, 20_000);
  expect(out.ok).toBe(true);
  expect(out.first).toMatchObject({
    address: "10.99.0.55",
    cidr: "10.99.0.55/24",
    router: "10.99.0.1",
    dnsServers: ["10.99.0.53", "10.99.0.54"],
    hostname: "node-a",
    domainName: "bronze.test",
    mtu: 1400,
    leaseTime: 120,
    renewalTime: 60,
  });
  // Renewed at T1 (60 s of client time, 2 s of real time): applied again, with a later acquisition time.
  expect(out.applied).toBeGreaterThanOrEqual(2);
  expect(out.later?.acquiredAt).toBeGreaterThan(out.first.acquiredAt);
  expect(out.log.some((l) => l.includes("renewing 10.99.0.55/24"))).toBe(true);

  const [c0] = client.ipJson<Array<{ mtu: number; addr_info: Array<{ local: string; prefixlen: number }> }>>([
    "addr",
    "show",
    "c0",
  ]);
  expect(c0?.mtu).toBe(1400);
  expect(c0?.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain("10.99.0.55/24");
  const routes = client.ipJson<
    Array<{ dst: string; gateway?: string; dev: string; metric?: number; protocol?: string }>
  >(["route"]);
  expect(routes).toContainEqual(
    expect.objectContaining({
      dst: "default",
      gateway: "10.99.0.1",
      dev: "c0",
      metric: 1024,
      protocol: "dhcp",
    }),
  );
});

test("binding to a missing interface is a SysError naming the option", () => {
  expect(() => new DhcpSocket("nope0", { port: 10068 })).toThrow(/SO_BINDTODEVICE.*nope0.*ENODEV/);
});
