import { describe, expect, test } from "bun:test";
import { MachineService } from "./gen/bronze/machine/v1/machine_pb.ts";
import {
  isAllowed,
  isCallRole,
  isPrivileged,
  isRole,
  MAINTENANCE_METHODS,
  MAINTENANCE_ROLE,
  METHOD_ROLES,
  ROLES,
} from "./roles.ts";

const path = (name: string) => `/${MachineService.typeName}/${name}`;

describe("role table", () => {
  test("every MachineService method has an explicit rule", () => {
    const missing = MachineService.methods.map((m) => path(m.name)).filter((p) => !(p in METHOD_ROLES));
    expect(missing).toEqual([]);
    expect(MachineService.methods.length).toBeGreaterThanOrEqual(28);
  });

  test("every rule names an existing method (no stale rules)", () => {
    const methods = new Set(MachineService.methods.map((m) => path(m.name)));
    expect(Object.keys(METHOD_ROLES).filter((p) => !methods.has(p))).toEqual([]);
  });

  test("admin may call every method", () => {
    for (const m of MachineService.methods) expect(isAllowed(path(m.name), "os:admin")).toBe(true);
  });

  test("the impersonator calls nothing on machined", () => {
    for (const m of MachineService.methods) expect(isAllowed(path(m.name), "os:impersonator")).toBe(false);
  });

  test("operator is reader plus reboot, shutdown and service control", () => {
    const extra = MachineService.methods
      .map((m) => m.name)
      .filter((n) => isAllowed(path(n), "os:operator") && !isAllowed(path(n), "os:reader"))
      .sort();
    expect(extra).toEqual(["Reboot", "ServiceRestart", "ServiceStart", "ServiceStop", "Shutdown"]);
    for (const m of MachineService.methods) {
      if (isAllowed(path(m.name), "os:reader")) expect(isAllowed(path(m.name), "os:operator")).toBe(true);
    }
  });

  test("readers have no file reads, secrets or changes", () => {
    for (const name of [
      "List",
      "Read",
      "Copy",
      "Kubeconfig",
      "EtcdSnapshot",
      "ApplyConfiguration",
      "GenerateClientConfiguration",
      "Reboot",
      "Reset",
      "Upgrade",
      "ServiceStop",
    ]) {
      expect(isAllowed(path(name), "os:reader")).toBe(false);
    }
    for (const name of ["Version", "ServiceList", "Logs", "Dmesg", "Memory", "GetConfiguration"]) {
      expect(isAllowed(path(name), "os:reader")).toBe(true);
    }
  });

  test("a method without a rule is admin-only", () => {
    const unknown = "/bronze.machine.v1.MachineService/SomethingNew";
    expect(isAllowed(unknown, "os:admin")).toBe(true);
    expect(isAllowed(unknown, "os:operator")).toBe(false);
    expect(isAllowed(unknown, "os:reader")).toBe(false);
    expect(isAllowed("/x.Y/toString", "os:reader")).toBe(false);
    expect(isAllowed("constructor", "os:operator")).toBe(false);
  });

  test("minting client certificates is for admins only", () => {
    expect(METHOD_ROLES[path("GenerateClientConfiguration")]).toEqual(["os:admin"]);
  });

  test("roles", () => {
    expect(ROLES.every(isRole)).toBe(true);
    expect(isRole("os:root")).toBe(false);
    expect(isRole("")).toBe(false);
  });

  test("the maintenance marker is a call role, never a certificate role, for the maintenance methods only", () => {
    expect(isRole(MAINTENANCE_ROLE)).toBe(false);
    expect(ROLES).not.toContain(MAINTENANCE_ROLE as never);
    expect(isCallRole(MAINTENANCE_ROLE)).toBe(true);
    expect(isCallRole("os:admin")).toBe(true);
    expect(isCallRole("os:root")).toBe(false);
    const allowed = MachineService.methods
      .map((m) => path(m.name))
      .filter((p) => isAllowed(p, MAINTENANCE_ROLE));
    expect(allowed.sort()).toEqual([...MAINTENANCE_METHODS].sort());
    expect(allowed.map((p) => p.split("/").at(-1)).sort()).toEqual([
      "ApplyConfiguration",
      "Hostname",
      "Memory",
      "Mounts",
      "Version",
    ]);
  });

  test("privileged: everything a reader may not call", () => {
    for (const name of [
      "ApplyConfiguration",
      "Reboot",
      "Read",
      "Copy",
      "ServiceStop",
      "GenerateClientConfiguration",
    ])
      expect(isPrivileged(path(name))).toBe(true);
    for (const name of ["Version", "Logs", "GetConfiguration"]) expect(isPrivileged(path(name))).toBe(false);
    expect(isPrivileged("/bronze.machine.v1.MachineService/SomethingNew")).toBe(true);
  });
});
