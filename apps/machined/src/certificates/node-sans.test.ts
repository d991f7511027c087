import { expect, test } from "bun:test";
import { interfaceAddresses, nodeSubjectAltNames } from "./node-sans.ts";

test("the hostname, loopback names, addresses and certSANs, split and deduplicated", () => {
  expect(
    nodeSubjectAltNames({
      hostname: "cp-1",
      addresses: ["10.0.0.10", "fd00::10", "127.0.0.1"],
      certSANs: ["10.0.0.10", "CP.bronze.example", " "],
    }),
  ).toEqual({
    dnsNames: ["cp-1", "localhost", "cp.bronze.example"],
    ipAddresses: ["127.0.0.1", "::1", "10.0.0.10", "fd00::10"],
  });
});

test("interface addresses skip loopback and IPv6 link-local", () => {
  const info = (address: string, family: "IPv4" | "IPv6", internal = false) => ({
    address,
    family,
    internal,
    netmask: "",
    mac: "",
    cidr: null,
    ...(family === "IPv6" ? { scopeid: 0 } : {}),
  });
  expect(
    interfaceAddresses({
      lo: [info("127.0.0.1", "IPv4", true), info("::1", "IPv6", true)],
      eth0: [info("10.0.0.5", "IPv4"), info("fe80::1", "IPv6"), info("fd00::5", "IPv6")],
    } as never),
  ).toEqual(["10.0.0.5", "fd00::5"]);
});
