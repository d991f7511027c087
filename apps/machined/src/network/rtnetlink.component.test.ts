// rtnetlink against the real kernel, inside a throwaway network namespace with a veth pair. The code
// under test runs in a child (`ip netns exec`), and every effect is cross-checked with `ip -j`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createNetns, type Netns } from "./netns-fixture.ts";

const fixture = join(import.meta.dir, "rtnetlink-fixture.ts");
let ns: Netns;

type Result =
  | { ok: true; value: unknown }
  | { ok: false; error: { name: string; code: string; message: string } };
const run = (ops: Array<{ op: string; args?: unknown[] }>) => ns.bun<Result[]>(fixture, ops);
function value<T>(r: Result | undefined): T {
  if (r === undefined || !r.ok) throw new Error(`operation failed: ${JSON.stringify(r)}`);
  return r.value as T;
}

interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
  address: string;
  ifindex: number;
}
interface IpAddr {
  ifname: string;
  addr_info: Array<{ local: string; prefixlen: number; family: string }>;
}

beforeAll(() => {
  ns = createNetns("bzt-rtnl");
  ns.run(["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
});

afterAll(() => {
  ns?.remove();
});

test("lists links with name, index, flags, mtu and mac", () => {
  const links = value<
    Array<{ name: string; index: number; mtu: number; mac?: string; loopback: boolean; kind?: string }>
  >(run([{ op: "listLinks" }])[0]);
  const ip = ns.ipJson<IpLink[]>(["link"]);
  expect(links.map((l) => l.name).sort()).toEqual(ip.map((l) => l.ifname).sort());
  for (const l of ip) {
    const mine = links.find((x) => x.name === l.ifname);
    expect(mine?.index).toBe(l.ifindex);
    expect(mine?.mtu).toBe(l.mtu);
    expect(mine?.mac).toBe(l.address);
  }
  expect(links.find((l) => l.name === "lo")?.loopback).toBe(true);
  expect(links.find((l) => l.name === "v0")?.kind).toBe("veth");
});

test("sets links up and down, and sets the MTU", () => {
  const r = run([
    { op: "setLinkUp", args: ["lo"] },
    { op: "setLinkUp", args: ["v0"] },
    { op: "setMtu", args: ["v0", 1400] },
    { op: "getLink", args: ["v0"] },
  ]);
  expect(r.every((x) => x.ok)).toBe(true);
  const [v0] = ns.ipJson<IpLink[]>(["link", "show", "v0"]);
  expect(v0?.flags).toContain("UP");
  expect(v0?.mtu).toBe(1400);
  expect(value<{ up: boolean; mtu: number }>(r[3])).toMatchObject({ up: true, mtu: 1400 });
  const [lo] = ns.ipJson<IpLink[]>(["link", "show", "lo"]);
  expect(lo?.flags).toContain("UP");

  value(run([{ op: "setLinkUp", args: ["v0", false] }])[0]);
  expect(ns.ipJson<IpLink[]>(["link", "show", "v0"])[0]?.flags).not.toContain("UP");
  value(run([{ op: "setLinkUp", args: ["v0"] }])[0]);
});

test("adds, lists and deletes IPv4 and IPv6 addresses", () => {
  const r = run([
    { op: "addAddress", args: ["v0", "10.77.0.5/24"] },
    { op: "addAddress", args: ["v0", "fd77::5/64"] },
    { op: "listAddresses", args: ["v0"] },
  ]);
  expect(r[0]?.ok && r[1]?.ok).toBe(true);
  const listed = value<Array<{ cidr: string }>>(r[2]).map((a) => a.cidr);
  expect(listed).toContain("10.77.0.5/24");
  expect(listed).toContain("fd77::5/64");
  const info = ns.ipJson<IpAddr[]>(["addr", "show", "v0"])[0]?.addr_info ?? [];
  expect(info.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(
    expect.arrayContaining(["10.77.0.5/24", "fd77::5/64"]),
  );

  const d = run([
    { op: "deleteAddress", args: ["v0", "10.77.0.5/24"] },
    { op: "deleteAddress", args: ["v0", "fd77::5/64"] },
  ]);
  expect(d.every((x) => x.ok)).toBe(true);
  const after = ns.ipJson<IpAddr[]>(["addr", "show", "v0"])[0]?.addr_info ?? [];
  expect(after.map((a) => a.local)).not.toContain("10.77.0.5");
  expect(after.map((a) => a.local)).not.toContain("fd77::5");
});

test("adds and deletes a default route via a gateway with a metric", () => {
  const r = run([
    { op: "addAddress", args: ["v0", "10.78.0.5/24"] },
    { op: "addRoute", args: [{ gateway: "10.78.0.1", dev: "v0", metric: 100 }] },
    { op: "addRoute", args: [{ destination: "10.90.0.0/16", gateway: "10.78.0.254", dev: "v0" }] },
    { op: "listRoutes", args: [4] },
  ]);
  expect(r.slice(0, 3).every((x) => x.ok)).toBe(true);
  const routes = ns.ipJson<Array<{ dst: string; gateway?: string; dev: string; metric?: number }>>(["route"]);
  expect(routes).toContainEqual(
    expect.objectContaining({ dst: "default", gateway: "10.78.0.1", dev: "v0", metric: 100 }),
  );
  expect(routes).toContainEqual(expect.objectContaining({ dst: "10.90.0.0/16", gateway: "10.78.0.254" }));
  const mine = value<Array<{ destination: string; gateway?: string; metric?: number }>>(r[3]);
  expect(mine).toContainEqual(
    expect.objectContaining({ destination: "0.0.0.0/0", gateway: "10.78.0.1", metric: 100 }),
  );

  value(run([{ op: "deleteRoute", args: [{ gateway: "10.78.0.1", dev: "v0", metric: 100 }] }])[0]);
  expect(ns.ipJson<Array<{ dst: string }>>(["route"]).map((x) => x.dst)).not.toContain("default");
});

test("adds an IPv6 default route and lists it", () => {
  const r = run([
    { op: "addAddress", args: ["v0", "fd78::5/64"] },
    { op: "addRoute", args: [{ destination: "::/0", gateway: "fd78::1", dev: "v0", metric: 300 }] },
    { op: "listRoutes", args: [6] },
  ]);
  expect(r.slice(0, 2).every((x) => x.ok)).toBe(true);
  const routes = ns.ipJson<Array<{ dst: string; gateway?: string; metric?: number }>>(["-6", "route"]);
  expect(routes).toContainEqual(expect.objectContaining({ dst: "default", gateway: "fd78::1", metric: 300 }));
  expect(value<Array<{ destination: string; gateway?: string }>>(r[2])).toContainEqual(
    expect.objectContaining({ destination: "::/0", gateway: "fd78::1", metric: 300 }),
  );
});

test("a duplicate address is EEXIST, naming the request", () => {
  const r = run([
    { op: "addAddress", args: ["v0", "10.79.0.5/24"] },
    { op: "addAddress", args: ["v0", "10.79.0.5/24"] },
    { op: "addAddress", args: ["v0", "10.79.0.5/24", { replace: true }] },
  ]);
  expect(r[0]?.ok).toBe(true);
  expect(r[1]).toEqual({
    ok: false,
    error: {
      name: "NetlinkError",
      code: "EEXIST",
      message: "RTM_NEWADDR 10.79.0.5/24 dev v0: File exists (EEXIST)",
    },
  });
  expect(r[2]?.ok).toBe(true);
});

test("a missing device is ENODEV", () => {
  const r = run([
    { op: "setLinkUp", args: ["nope0"] },
    { op: "setMtu", args: [9999, 1400] },
  ]);
  expect(r[0]).toEqual({
    ok: false,
    error: {
      name: "NetlinkError",
      code: "ENODEV",
      message: "RTM_GETLINK dev nope0: No such device (ENODEV)",
    },
  });
  expect(r[1]?.ok).toBe(false);
  if (r[1]?.ok === false) expect(r[1].error.code).toBe("ENODEV");
});

/** Whether this kernel creates VLAN links (CONFIG_VLAN_8021Q), tried in a namespace of its own. */
function kernelHasVlan(): boolean {
  const probe = Bun.spawnSync(
    [
      "unshare",
      "--net",
      "sh",
      "-c",
      "ip link add d0 type dummy && ip link add link d0 name d0.6 type vlan id 6",
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  return probe.exitCode === 0;
}

// This host's kernel has no CONFIG_VLAN_8021Q; the QEMU node's has.
test.skipIf(!kernelHasVlan())(
  "a VLAN link is created (needs CONFIG_VLAN_8021Q: skipped on a kernel without it)",
  () => {
    const r = run([{ op: "createVlan", args: ["v0", "v0.5", 5] }]);
    expect(r[0]?.ok).toBe(true);
    const [vlan] = ns.ipJson<
      Array<{ ifname: string; linkinfo?: { info_kind: string; info_data: { id: number } } }>
    >(["-d", "link", "show", "v0.5"]);
    expect(vlan?.linkinfo?.info_kind).toBe("vlan");
    expect(vlan?.linkinfo?.info_data.id).toBe(5);
  },
);

test("a VLAN the kernel refuses is a typed error naming the request, and no link is left", () => {
  // 4095 is reserved: refused with ERANGE where the kernel has 8021q, ENOTSUP (= EOPNOTSUPP) where it has not.
  const r = run([{ op: "createVlan", args: ["v0", "v0.7", 4095] }]);
  expect(r[0]?.ok).toBe(false);
  if (r[0]?.ok === false) {
    expect(r[0].error.name).toBe("NetlinkError");
    expect(r[0].error.message).toStartWith("RTM_NEWLINK v0.7 link v0 type vlan id 4095: ");
    expect(["ERANGE", "ENOTSUP", "EOPNOTSUPP"]).toContain(r[0].error.code);
  }
  expect(ns.ipJson<IpLink[]>(["link"]).map((l) => l.ifname)).not.toContain("v0.7");
});
