import { expect, test } from "bun:test";
import type { NetworkInterfaceInfo } from "node:os";
import { BUILTIN_ETCD_IMAGE } from "@bronze/api";
import type { MachineConfig } from "@bronze/config-schema";
import { advertisedAddress, endpointHostOf, etcdImageNote, inSubnet, joinEndpointsOf } from "./node-etcd.ts";

const v4 = (address: string, cidr: string): NetworkInterfaceInfo =>
  ({ address, cidr, family: "IPv4", internal: false, netmask: "", mac: "" }) as NetworkInterfaceInfo;

// a QEMU node of `osctl cluster create`: the user-mode NIC first (the same address on every node)
const qemu = (ip: string) => ({
  lo: [{ ...v4("127.0.0.1", "127.0.0.1/8"), internal: true }],
  eth0: [v4("10.0.2.15", "10.0.2.15/24")],
  eth1: [v4(ip, `${ip}/24`), { ...v4("fe80::1", "fe80::1/64"), family: "IPv6" } as NetworkInterfaceInfo],
});

test("etcd advertises the endpoint's address on the endpoint, the address in its subnet elsewhere", () => {
  expect(advertisedAddress(qemu("10.5.0.2"), "10.5.0.2")).toBe("10.5.0.2");
  expect(advertisedAddress(qemu("10.5.0.3"), "10.5.0.2")).toBe("10.5.0.3");
  // no endpoint, or a name: the first IPv4 address
  expect(advertisedAddress(qemu("10.5.0.3"))).toBe("10.0.2.15");
  expect(advertisedAddress({ lo: [{ ...v4("127.0.0.1", "127.0.0.1/8"), internal: true }] })).toBeUndefined();
});

test("subnets and endpoints", () => {
  expect(inSubnet("10.5.0.2", "10.5.0.9/24")).toBe(true);
  expect(inSubnet("10.5.1.2", "10.5.0.9/24")).toBe(false);
  expect(inSubnet("10.5.1.2", "10.5.0.9/16")).toBe(true);
  expect(inSubnet("fd00::1", "fd00::2/64")).toBe(false);
  const config = (endpoint: string) =>
    ({ cluster: { controlPlane: { endpoint } } }) as unknown as MachineConfig;
  expect(endpointHostOf(config("https://10.5.0.2:6443"))).toBe("10.5.0.2");
  expect(endpointHostOf(config("https://[fd00::2]:6443"))).toBe("fd00::2");
  expect(joinEndpointsOf(config("https://cp.example:6443"))).toEqual(["https://cp.example:2379"]);
  expect(joinEndpointsOf(config("https://[fd00::2]:6443"))).toEqual(["https://[fd00::2]:2379"]);
  expect(joinEndpointsOf(undefined)).toEqual([]);
});

test("cluster.etcd.image: the built-in reference (what gen config writes) runs; another is said not to", () => {
  const withImage = (image?: string) =>
    ({ cluster: { etcd: image === undefined ? {} : { image } } }) as unknown as MachineConfig;
  expect(etcdImageNote(undefined)).toBeUndefined();
  expect(etcdImageNote(withImage())).toBeUndefined();
  expect(etcdImageNote(withImage(BUILTIN_ETCD_IMAGE))).toBeUndefined();
  expect(etcdImageNote(withImage("gcr.io/etcd-development/etcd:v3.5.17"))).toBe(
    `cluster.etcd.image gcr.io/etcd-development/etcd:v3.5.17 is not run: this release runs the root filesystem's etcd (${BUILTIN_ETCD_IMAGE}) and pulls no etcd image yet`,
  );
});
