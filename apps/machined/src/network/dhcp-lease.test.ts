import { expect, test } from "bun:test";
import { applyLease, DhcpError, leaseFromAck, removeLease } from "./dhcp-lease.ts";
import type { DhcpMessage } from "./dhcp-message.ts";
import { NetlinkError } from "./netlink-error.ts";

const ack = (options: DhcpMessage["options"], yiaddr = "10.0.0.50"): DhcpMessage => ({
  op: 2,
  xid: 1,
  yiaddr,
  chaddr: "52:54:00:00:00:01",
  options: { messageType: "ACK", serverId: "10.0.0.1", ...options },
});

test("builds a lease with the prefix from the subnet mask and T1/T2 defaults", () => {
  const lease = leaseFromAck(
    "eth0",
    ack({
      subnetMask: "255.255.252.0",
      routers: ["10.0.0.1", "10.0.0.2"],
      dnsServers: ["1.1.1.1"],
      leaseTime: 600,
      mtu: 1400,
    }),
    5000,
  );
  expect(lease).toMatchObject({
    interfaceName: "eth0",
    address: "10.0.0.50",
    cidr: "10.0.0.50/22",
    router: "10.0.0.1",
    dnsServers: ["1.1.1.1"],
    leaseTime: 600,
    renewalTime: 300,
    rebindingTime: 525,
    mtu: 1400,
    acquiredAt: 5000,
  });
});

test("uses the server's T1/T2 when consistent and a classful mask when none is given", () => {
  const lease = leaseFromAck(
    "eth0",
    ack({ leaseTime: 1000, renewalTime: 100, rebindingTime: 200 }, "192.168.1.9"),
    0,
  );
  expect(lease.renewalTime).toBe(100);
  expect(lease.rebindingTime).toBe(200);
  expect(lease.cidr).toBe("192.168.1.9/24");
  const bad = leaseFromAck("eth0", ack({ leaseTime: 1000, renewalTime: 5000 }), 0);
  expect(bad.renewalTime).toBe(500);
});

test("rejects ACKs that cannot make a lease", () => {
  expect(() => leaseFromAck("eth0", ack({}, "0.0.0.0"), 0)).toThrow(
    "DHCP on eth0: the ACK carries no address",
  );
  expect(() => leaseFromAck("eth0", ack({ subnetMask: "255.0.255.0" }), 0)).toThrow(DhcpError);
  const noServer = { ...ack({}), options: { messageType: "ACK" as const } };
  expect(() => leaseFromAck("eth0", noServer, 0)).toThrow("no server identifier");
});

test("applies MTU, address and default route, replacing a previous address", () => {
  const calls: string[] = [];
  const rtnl = {
    setMtu: (dev: string | number, mtu: number) => void calls.push(`mtu ${dev} ${mtu}`),
    addAddress: (dev: string | number, cidr: string, o?: { replace?: boolean }) =>
      void calls.push(`add ${dev} ${cidr} ${o?.replace}`),
    deleteAddress: (dev: string | number, cidr: string) => {
      calls.push(`del ${dev} ${cidr}`);
      throw new NetlinkError("RTM_DELADDR", 99, "Cannot assign requested address");
    },
    addRoute: (spec: { gateway?: string; metric?: number; protocol?: number }) =>
      void calls.push(`route ${spec.gateway} ${spec.metric} ${spec.protocol}`),
  };
  const first = leaseFromAck(
    "eth0",
    ack({ subnetMask: "255.255.255.0", routers: ["10.0.0.1"], mtu: 1450 }),
    0,
  );
  applyLease(rtnl, first);
  expect(calls).toEqual(["mtu eth0 1450", "add eth0 10.0.0.50/24 true", "route 10.0.0.1 1024 16"]);
  calls.length = 0;
  const second = leaseFromAck("eth0", ack({ subnetMask: "255.255.255.0" }, "10.0.0.51"), 0);
  applyLease(rtnl, second, first);
  expect(calls).toEqual(["del eth0 10.0.0.50/24", "add eth0 10.0.0.51/24 true"]);
  rtnl.deleteAddress = () => {
    throw new NetlinkError("RTM_DELADDR", 19, "No such device");
  };
  expect(() => removeLease(rtnl, second)).toThrow("No such device");
});
