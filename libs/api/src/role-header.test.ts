import { expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { authorizeRoleHeader } from "./role-header.ts";

const M = "/bronze.machine.v1.MachineService/";

function refusal(fn: () => unknown): [Code, string] {
  try {
    fn();
  } catch (error) {
    const e = ConnectError.from(error);
    return [e.code, e.rawMessage];
  }
  throw new Error("expected a refusal");
}

test("certificate roles by the table; none or an unknown one is Unauthenticated", () => {
  expect(authorizeRoleHeader(`${M}Reboot`, "os:operator", () => false)).toBe("os:operator");
  expect(refusal(() => authorizeRoleHeader(`${M}Reboot`, "os:reader", () => false))).toEqual([
    Code.PermissionDenied,
    `os:reader may not call ${M}Reboot`,
  ]);
  expect(refusal(() => authorizeRoleHeader(`${M}Version`, null, () => false))[0]).toBe(Code.Unauthenticated);
  expect(refusal(() => authorizeRoleHeader(`${M}Version`, "os:root", () => false))).toEqual([
    Code.Unauthenticated,
    `${M}Version: unknown role "os:root"`,
  ]);
});

test("the maintenance marker: maintenance methods only, and only while the node is in maintenance", () => {
  expect(authorizeRoleHeader(`${M}ApplyConfiguration`, "os:maintenance", () => true)).toBe("os:maintenance");
  expect(refusal(() => authorizeRoleHeader(`${M}Read`, "os:maintenance", () => true))[0]).toBe(
    Code.PermissionDenied,
  );
  const [code, message] = refusal(() =>
    authorizeRoleHeader(`${M}ApplyConfiguration`, "os:maintenance", () => false),
  );
  expect(code).toBe(Code.FailedPrecondition);
  expect(message).toContain("the node has left maintenance mode");
});
