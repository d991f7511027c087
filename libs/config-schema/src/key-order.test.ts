import { expect, test } from "bun:test";
import { orderKeys } from "./key-order.ts";
import { MachineConfigSchema } from "./schema/config.ts";

test("orders keys as the schema declares them, unknown keys last, free maps sorted", () => {
  const value = {
    cluster: { token: "t", clusterName: "c" },
    zz: 1,
    machine: { sysctls: { "vm.b": "1", "net.a": "2" }, token: "x", type: "worker" },
    version: "v1alpha1",
  };
  const ordered = orderKeys(value, MachineConfigSchema) as Record<string, Record<string, unknown>>;
  expect(Object.keys(ordered)).toEqual(["version", "machine", "cluster", "zz"]);
  expect(Object.keys(ordered.machine ?? {})).toEqual(["type", "token", "sysctls"]);
  expect(Object.keys((ordered.machine?.sysctls as object) ?? {})).toEqual(["net.a", "vm.b"]);
  expect(Object.keys(ordered.cluster ?? {})).toEqual(["clusterName", "token"]);
});

test("orders inside lists and leaves scalars alone", () => {
  const value = {
    version: "v1alpha1",
    machine: { network: { interfaces: [{ mtu: 1, interface: "eth0" }] } },
  };
  const ordered = orderKeys(value, MachineConfigSchema) as { machine: { network: { interfaces: object[] } } };
  expect(Object.keys(ordered.machine.network.interfaces[0] ?? {})).toEqual(["interface", "mtu"]);
  expect(orderKeys(5, undefined)).toBe(5);
});
