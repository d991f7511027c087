import { expect, test } from "bun:test";
import { formatNodeAddress, forwardingRefusal, parseNodeAddress } from "./node-address.ts";

test("addresses with and without a port", () => {
  expect(parseNodeAddress("10.0.0.2")).toEqual({ host: "10.0.0.2", port: 50000 });
  expect(parseNodeAddress("10.0.0.2:4000")).toEqual({ host: "10.0.0.2", port: 4000 });
  expect(parseNodeAddress("node-2.example")).toEqual({ host: "node-2.example", port: 50000 });
  expect(parseNodeAddress("fd00::2")).toEqual({ host: "fd00::2", port: 50000 });
  expect(parseNodeAddress("[fd00::2]:7")).toEqual({ host: "fd00::2", port: 7 });
  expect(formatNodeAddress({ host: "fd00::2", port: 7 })).toBe("[fd00::2]:7");
  expect(formatNodeAddress({ host: "10.0.0.2", port: 50000 })).toBe("10.0.0.2:50000");
});

test("bad addresses are explained", () => {
  expect(parseNodeAddress("")).toContain("empty");
  expect(parseNodeAddress("a b")).toContain("not a hostname");
  expect(parseNodeAddress("10.0.0.2:http")).toContain('port "http" is not a number');
  expect(parseNodeAddress("10.0.0.2:70000")).toContain("out of range");
  expect(parseNodeAddress("[10.0.0.2]:1")).toContain("IPv6");
  expect(parseNodeAddress("x/../y")).toContain('invalid node address "x/../y"');
});

test("forwarding: apid's port only, and never to an address that cannot be a node", () => {
  expect(forwardingRefusal({ host: "10.0.0.2", port: 50000 }, 50000)).toBeUndefined();
  expect(forwardingRefusal({ host: "node-2.example", port: 50000 }, 50000)).toBeUndefined();
  expect(forwardingRefusal({ host: "10.0.0.2", port: 22 }, 50000)).toBe(
    "apid forwards calls only to other nodes' apids, on port 50000: not to 10.0.0.2:22",
  );
  for (const host of ["0.0.0.0", "255.255.255.255", "224.0.0.1", "::", "0::0", "ff02::1"]) {
    expect(forwardingRefusal({ host, port: 50000 }, 50000)).toContain("is not a node's address");
  }
  expect(forwardingRefusal({ host: "::1", port: 50000 }, 50000)).toBeUndefined();
  // Without a port, the address means apid's own port.
  expect(parseNodeAddress("10.0.0.2", 50100)).toEqual({ host: "10.0.0.2", port: 50100 });
});
