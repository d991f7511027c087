// configureNetwork's orchestration with an in-memory rtnetlink and scripted DHCP clients: VLAN creation,
// which links get DHCP by default, pending and failed leases, config paths of failures. The real-kernel
// behaviour is covered by network-configurator.component.test.ts.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock, settle } from "../testing/fake-clock.ts";
import { DhcpError, type DhcpLease } from "./dhcp-lease.ts";
import { NetlinkError } from "./netlink-error.ts";
import {
  configureNetwork,
  type DhcpHandle,
  type DhcpStartContext,
  isPhysicalLink,
  type NetworkLinks,
} from "./network-configurator.ts";
import type { Address, Link, LinkRef, Route, RouteSpec } from "./rtnetlink.ts";

const dirs: string[] = [];
const tempRoot = () => {
  const d = mkdtempSync(join(tmpdir(), "bronze-netlogic-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const link = (index: number, name: string, extra: Partial<Link> = {}): Link => ({
  index,
  name,
  flags: 0,
  up: false,
  lowerUp: false,
  loopback: false,
  mtu: 1500,
  type: 1,
  mac: `52:54:00:00:00:0${index}`,
  ...extra,
});

class FakeLinks implements NetworkLinks {
  readonly calls: string[] = [];
  readonly links: Link[];
  readonly addresses: Address[] = [];
  readonly routes: Array<Route & { dev: string }> = [];
  vlanSupported = true;

  constructor(links: Link[]) {
    this.links = links;
  }

  #find(ref: LinkRef): Link {
    const l = this.links.find((x) => x.name === ref || x.index === ref);
    if (l === undefined) throw new NetlinkError(`RTM_GETLINK dev ${ref}`, 19, "No such device");
    return l;
  }
  listLinks() {
    return [...this.links];
  }
  getLink(ref: LinkRef) {
    return this.#find(ref);
  }
  setLinkUp(ref: LinkRef, up = true) {
    const l = this.#find(ref);
    this.calls.push(`up ${l.name}`);
    this.links[this.links.indexOf(l)] = { ...l, up };
  }
  setMtu(ref: LinkRef, mtu: number) {
    const l = this.#find(ref);
    this.calls.push(`mtu ${l.name} ${mtu}`);
    this.links[this.links.indexOf(l)] = { ...l, mtu };
  }
  addAddress(ref: LinkRef, cidr: string) {
    const l = this.#find(ref);
    this.calls.push(`addr ${l.name} ${cidr}`);
    const [address = "", prefix = "0"] = cidr.split("/");
    this.addresses.push({
      index: l.index,
      family: 4,
      address,
      prefixLength: Number(prefix),
      cidr,
      scope: 0,
      flags: 0,
    });
  }
  deleteAddress(ref: LinkRef, cidr: string) {
    const l = this.#find(ref);
    this.calls.push(`deladdr ${l.name} ${cidr}`);
    const i = this.addresses.findIndex((x) => x.index === l.index && x.cidr === cidr);
    if (i >= 0) this.addresses.splice(i, 1);
  }
  addRoute(spec: RouteSpec) {
    const l = this.#find(spec.dev ?? "");
    this.calls.push(`route ${spec.destination} via ${spec.gateway} dev ${l.name} metric ${spec.metric}`);
    this.routes.push({
      family: 4,
      destination: spec.destination ?? "0.0.0.0/0",
      table: 254,
      protocol: 4,
      scope: 0,
      type: 1,
      oif: l.index,
      dev: l.name,
      ...(spec.gateway === undefined ? {} : { gateway: spec.gateway }),
      ...(spec.metric === undefined ? {} : { metric: spec.metric }),
    });
  }
  listAddresses(ref?: LinkRef) {
    const index = ref === undefined ? undefined : this.#find(ref).index;
    return this.addresses.filter((a) => index === undefined || a.index === index);
  }
  listRoutes(family: 4 | 6 = 4) {
    return family === 4 ? this.routes : [];
  }
  createVlan(parent: LinkRef, name: string, id: number) {
    const p = this.#find(parent);
    this.calls.push(`vlan ${name} on ${p.name} id ${id}`);
    if (!this.vlanSupported)
      throw new NetlinkError(
        `RTM_NEWLINK ${name} link ${p.name} type vlan id ${id}`,
        95,
        "Operation not supported",
      );
    const l = link(100 + id, name, { kind: "vlan", parentIndex: p.index });
    this.links.push(l);
    return l;
  }
}

const lease = (name: string, address: string, dns: string[]): DhcpLease => ({
  interfaceName: name,
  address,
  prefixLength: 24,
  cidr: `${address}/24`,
  subnetMask: "255.255.255.0",
  router: "10.0.0.1",
  dnsServers: dns,
  serverId: "10.0.0.1",
  leaseTime: 3600,
  renewalTime: 1800,
  rebindingTime: 3150,
  acquiredAt: 0,
});

/** DHCP clients the test resolves by hand. */
function scriptedDhcp() {
  const started: Array<{
    ctx: DhcpStartContext;
    resolve: (l: DhcpLease) => void;
    reject: (e: unknown) => void;
    stopped: boolean;
  }> = [];
  const create = (ctx: DhcpStartContext): DhcpHandle => {
    let current: DhcpLease | undefined;
    const entry = { ctx, resolve: (_: DhcpLease) => {}, reject: (_: unknown) => {}, stopped: false };
    started.push(entry);
    return {
      start: () =>
        new Promise<DhcpLease>((resolve, reject) => {
          entry.resolve = (l) => {
            current = l;
            ctx.onLease(l);
            resolve(l);
          };
          entry.reject = reject;
        }),
      stop: async () => {
        entry.stopped = true;
        // Like DhcpClient: a start() still waiting for its first lease rejects with "stopped".
        if (current === undefined) entry.reject(new DhcpError(ctx.link.name, "stopped", "stopped"));
      },
      get lease() {
        return current;
      },
    };
  };
  return { started, create };
}

test("isPhysicalLink: Ethernet without a virtual kind, not loopback", () => {
  expect(isPhysicalLink(link(2, "eth0"))).toBe(true);
  expect(isPhysicalLink(link(1, "lo", { loopback: true, type: 772 }))).toBe(false);
  expect(isPhysicalLink(link(3, "veth0", { kind: "veth" }))).toBe(false);
  expect(isPhysicalLink(link(4, "wg0", { type: 65534 }))).toBe(false);
});

test("without interfaces in the config, DHCP runs on every physical link, and leases feed resolv.conf", async () => {
  const rtnl = new FakeLinks([
    link(1, "lo", { loopback: true, type: 772 }),
    link(2, "eth0"),
    link(3, "eth1"),
    link(4, "br0", { kind: "bridge" }),
  ]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const root = tempRoot();
  const done = configureNetwork({
    rtnl,
    clock,
    root,
    createDhcpClient: dhcp.create,
    network: { hostname: "n1" },
  });
  await settle();
  expect(dhcp.started.map((s) => s.ctx.link.name)).toEqual(["eth0", "eth1"]);
  expect(dhcp.started[0]?.ctx.hostname).toBe("n1");
  dhcp.started[0]?.resolve(lease("eth0", "10.0.0.5", ["10.0.0.53"]));
  dhcp.started[1]?.resolve(lease("eth1", "10.1.0.5", ["10.1.0.53", "10.0.0.53"]));
  const result = await done;
  expect(rtnl.calls.slice(0, 3)).toEqual(["up lo", "up eth0", "up eth1"]);
  expect(result.failures).toEqual([]);
  expect(result.interfaces.map((i) => [i.name, i.path, i.dhcp?.state])).toEqual([
    ["eth0", "machine.network", "bound"],
    ["eth1", "machine.network", "bound"],
  ]);
  expect(readFileSync(join(root, "etc/resolv.conf"), "utf8")).toBe(
    "# Generated by machined (nameservers from dhcp).\nnameserver 10.0.0.53\nnameserver 10.1.0.53\n",
  );
  await result.stop();
  expect(dhcp.started.every((s) => s.stopped)).toBe(true);
});

test("a lease slower than dhcpTimeoutMs is reported pending and rewrites resolv.conf when it comes", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0")]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const root = tempRoot();
  const done = configureNetwork({
    rtnl,
    clock,
    root,
    createDhcpClient: dhcp.create,
    dhcpTimeoutMs: 5000,
    network: { interfaces: [{ interface: "eth0", dhcp: true }] },
  });
  await clock.advance(5000);
  const result = await done;
  expect(result.interfaces[0]?.dhcp?.state).toBe("pending");
  expect(result.resolvConf?.source).toBe("default");
  dhcp.started[0]?.resolve(lease("eth0", "10.0.0.5", ["10.0.0.53"]));
  await settle();
  expect(readFileSync(join(root, "etc/resolv.conf"), "utf8")).toContain("nameserver 10.0.0.53\n");
  // A renewal with other DNS servers rewrites it again.
  dhcp.started[0]?.ctx.onLease(lease("eth0", "10.0.0.5", ["10.0.0.54"]));
  expect(readFileSync(join(root, "etc/resolv.conf"), "utf8")).toContain("nameserver 10.0.0.54\n");
});

test("failures name the interface and the config path; the rest still happens", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0"), link(3, "eth1")]);
  const realAdd = rtnl.addAddress.bind(rtnl);
  rtnl.addAddress = (ref: LinkRef, cidr: string) => {
    if (cidr === "10.0.0.9/24") throw new NetlinkError(`RTM_NEWADDR ${cidr} dev ${ref}`, 17, "File exists");
    realAdd(ref, cidr);
  };
  rtnl.vlanSupported = false;
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const done = configureNetwork({
    rtnl,
    clock,
    root: tempRoot(),
    createDhcpClient: dhcp.create,
    network: {
      interfaces: [
        {
          interface: "eth0",
          mtu: 9000,
          addresses: ["10.0.0.5/24", "10.0.0.9/24"],
          routes: [{ network: "0.0.0.0/0", gateway: "10.0.0.1" }],
          vlans: [{ vlanId: 7, addresses: ["10.7.0.5/24"] }],
        },
        { interface: "eth1", dhcp: true },
      ],
      nameservers: ["9.9.9.9"],
    },
  });
  await settle();
  dhcp.started[0]?.reject(new Error("RTM_NEWADDR 10.1.0.5/24 dev eth1: No such device (ENODEV)"));
  const result = await done;
  expect(result.failures).toEqual([
    {
      interface: "eth0",
      path: "machine.network.interfaces[0].addresses[1]",
      code: "EEXIST",
      message: "RTM_NEWADDR 10.0.0.9/24 dev eth0: File exists (EEXIST)",
    },
    {
      interface: "eth0.7",
      path: "machine.network.interfaces[0].vlans[0].vlanId",
      code: "ENOTSUP",
      message: "RTM_NEWLINK eth0.7 link eth0 type vlan id 7: Operation not supported (ENOTSUP)",
    },
    {
      interface: "eth1",
      path: "machine.network.interfaces[1].dhcp",
      message: "RTM_NEWADDR 10.1.0.5/24 dev eth1: No such device (ENODEV)",
    },
  ]);
  expect(rtnl.calls).toEqual([
    "up lo",
    "mtu eth0 9000",
    "up eth0",
    "addr eth0 10.0.0.5/24",
    "vlan eth0.7 on eth0 id 7",
    "up eth1",
    "route 0.0.0.0/0 via 10.0.0.1 dev eth0 metric 1024",
  ]);
  expect(result.interfaces.map((i) => [i.name, i.up, i.dhcp?.state])).toEqual([
    ["eth0", true, undefined],
    ["eth0.7", false, undefined],
    ["eth1", true, "failed"],
  ]);
  expect(result.interfaces[0]?.routes).toEqual(["default via 10.0.0.1 metric 1024"]);
  expect(result.resolvConf?.nameservers).toEqual(["9.9.9.9"]);
});

test("VLANs are created on their parent and configured like interfaces", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0")]);
  const result = await configureNetwork({
    rtnl,
    clock: new FakeClock(),
    root: tempRoot(),
    network: {
      interfaces: [{ interface: "eth0", vlans: [{ vlanId: 5, mtu: 1400, addresses: ["10.5.0.5/24"] }] }],
    },
  });
  expect(result.failures).toEqual([]);
  expect(rtnl.calls).toEqual([
    "up lo",
    "up eth0",
    "vlan eth0.5 on eth0 id 5",
    "mtu eth0.5 1400",
    "up eth0.5",
    "addr eth0.5 10.5.0.5/24",
  ]);
  expect(result.interfaces[1]).toMatchObject({
    name: "eth0.5",
    path: "machine.network.interfaces[0].vlans[0]",
    up: true,
    mtu: 1400,
    addresses: ["10.5.0.5/24"],
  });
});

test("DHCP by default: the first pass ends with the first lease; the other links keep trying", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0"), link(3, "eth1")]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const lines: string[] = [];
  let done = false;
  const running = configureNetwork({
    rtnl,
    clock,
    root: tempRoot(),
    createDhcpClient: dhcp.create,
    log: (l) => lines.push(l),
  }).then((r) => {
    done = true;
    return r;
  });
  await settle();
  expect(done).toBe(false);
  await clock.advance(2000);
  expect(done).toBe(false);
  dhcp.started[0]?.resolve(lease("eth0", "10.0.0.5", ["10.0.0.53"]));
  const result = await running;
  // No time passed beyond the 2 s: the 30 s default timeout was not waited out.
  expect(clock.monotonic()).toBe(2000);
  expect(result.interfaces.map((i) => [i.name, i.dhcp?.state])).toEqual([
    ["eth0", "bound"],
    ["eth1", "pending"],
  ]);
  expect(lines).toContain(
    "network: eth1: no DHCP lease yet (another link has one); still trying in the background",
  );
  expect(dhcp.started[1]?.stopped).toBe(false);
  await result.stop();
  expect(dhcp.started.every((s) => s.stopped)).toBe(true);
});

test("DHCP by default with no lease anywhere: the pass ends after dhcpTimeoutMs, all pending", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0"), link(3, "eth1")]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const lines: string[] = [];
  let done = false;
  const running = configureNetwork({
    rtnl,
    clock,
    root: tempRoot(),
    createDhcpClient: dhcp.create,
    dhcpTimeoutMs: 5000,
    log: (l) => lines.push(l),
  }).then((r) => {
    done = true;
    return r;
  });
  await clock.advance(4999);
  expect(done).toBe(false);
  await clock.advance(1);
  const result = await running;
  expect(result.interfaces.map((i) => i.dhcp?.state)).toEqual(["pending", "pending"]);
  expect(lines).toContain("network: eth0: no DHCP lease within 5000 ms; still trying");
});

test("DHCP by default where every client fails: the pass ends without waiting for the timeout", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0"), link(3, "eth1")]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const running = configureNetwork({ rtnl, clock, root: tempRoot(), createDhcpClient: dhcp.create });
  await settle();
  dhcp.started[0]?.reject(new Error("no socket"));
  dhcp.started[1]?.reject(new Error("no socket"));
  const result = await running;
  expect(clock.monotonic()).toBe(0);
  expect(result.interfaces.map((i) => i.dhcp?.state)).toEqual(["failed", "failed"]);
});

test("interfaces listed with dhcp: true are each waited for", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0"), link(3, "eth1")]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  let done = false;
  const running = configureNetwork({
    rtnl,
    clock,
    root: tempRoot(),
    createDhcpClient: dhcp.create,
    network: {
      interfaces: [
        { interface: "eth0", dhcp: true },
        { interface: "eth1", dhcp: true },
      ],
    },
  }).then((r) => {
    done = true;
    return r;
  });
  await settle();
  dhcp.started[0]?.resolve(lease("eth0", "10.0.0.5", ["10.0.0.53"]));
  await clock.advance(1000);
  expect(done).toBe(false);
  dhcp.started[1]?.resolve(lease("eth1", "10.1.0.5", ["10.1.0.53"]));
  const result = await running;
  expect(clock.monotonic()).toBe(1000);
  expect(result.interfaces.map((i) => i.dhcp?.state)).toEqual(["bound", "bound"]);
});

test("reconfiguring with adopted DHCP clients: kept where the config says nothing, stopped where it is static", async () => {
  // First boot: no config, DHCP on both links; eth0 gets a lease (QEMU user-mode), eth1 none.
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0"), link(3, "eth1")]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const root = tempRoot();
  const running = configureNetwork({ rtnl, clock, root, createDhcpClient: dhcp.create });
  await settle();
  rtnl.addAddress("eth0", "10.0.2.15/24"); // what the real client's applyLease does
  dhcp.started[0]?.resolve(lease("eth0", "10.0.2.15", ["10.0.2.3"]));
  const first = await running;
  expect(first.interfaces.map((i) => i.dhcp?.state)).toEqual(["bound", "pending"]);

  // The downloaded config sets eth1 statically and says nothing about eth0.
  const lines: string[] = [];
  const second = await configureNetwork({
    rtnl,
    clock,
    root,
    createDhcpClient: dhcp.create,
    adopt: first.release(),
    network: { interfaces: [{ interface: "eth1", addresses: ["10.5.0.2/24"] }] },
    log: (l) => lines.push(l),
  });
  expect(dhcp.started).toHaveLength(2); // no new client
  expect(dhcp.started[1]?.stopped).toBe(true);
  expect(dhcp.started[0]?.stopped).toBe(false);
  expect(lines).toContain("network: eth1: DHCP stopped (machine.network.interfaces[0] does not ask for it)");
  await settle();
  // The stopped client's pending start() is not reported as a failure of the first pass.
  expect(first.failures).toEqual([]);
  expect(second.failures).toEqual([]);
  expect(second.interfaces.map((i) => [i.name, i.path, i.addresses, i.dhcp?.state])).toEqual([
    ["eth1", "machine.network.interfaces[0]", ["10.5.0.2/24"], undefined],
    ["eth0", "machine.network", ["10.0.2.15/24"], "bound"],
  ]);
  // The kept lease still feeds resolv.conf, and its renewals now go to the new configuration.
  expect(readFileSync(join(root, "etc/resolv.conf"), "utf8")).toContain("nameserver 10.0.2.3\n");
  dhcp.started[0]?.ctx.onLease(lease("eth0", "10.0.2.15", ["10.0.2.4"]));
  expect(readFileSync(join(root, "etc/resolv.conf"), "utf8")).toContain("nameserver 10.0.2.4\n");

  // The released configuration no longer stops them; the new one does.
  await first.stop();
  expect(dhcp.started[0]?.stopped).toBe(false);
  await second.stop();
  expect(dhcp.started[0]?.stopped).toBe(true);
});

test("reconfiguring: a lease on a link the config now sets with dhcp: false is removed; dhcp: true keeps the client", async () => {
  const rtnl = new FakeLinks([link(1, "lo", { loopback: true }), link(2, "eth0"), link(3, "eth1")]);
  const dhcp = scriptedDhcp();
  const clock = new FakeClock();
  const root = tempRoot();
  const running = configureNetwork({ rtnl, clock, root, createDhcpClient: dhcp.create });
  await settle();
  const eth1Lease = lease("eth1", "10.1.0.5", ["10.1.0.53"]);
  rtnl.addAddress("eth1", eth1Lease.cidr); // what the real client's applyLease does
  dhcp.started[0]?.resolve(lease("eth0", "10.0.0.5", ["10.0.0.53"]));
  dhcp.started[1]?.resolve(eth1Lease);
  const first = await running;

  const second = await configureNetwork({
    rtnl,
    clock,
    root,
    createDhcpClient: dhcp.create,
    adopt: first.release(),
    network: {
      interfaces: [
        { interface: "eth0", dhcp: true },
        { interface: "eth1", dhcp: false },
      ],
    },
  });
  expect(dhcp.started).toHaveLength(2);
  expect(dhcp.started.map((s) => s.stopped)).toEqual([false, true]);
  expect(rtnl.calls).toContain("deladdr eth1 10.1.0.5/24");
  expect(second.interfaces.map((i) => [i.name, i.addresses, i.dhcp?.state])).toEqual([
    ["eth0", [], "bound"],
    ["eth1", [], undefined],
  ]);
  expect(second.interfaces[0]?.dhcp?.lease?.address).toBe("10.0.0.5");
});
