import { expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { auditLine } from "./audit-log.ts";

const M = "/bronze.machine.v1.MachineService/";
const admin = {
  role: "os:admin" as const,
  subject: "O=os:admin, CN=alice",
  commonName: "alice",
  serialNumber: "0a1b",
};

test("privileged calls: who, what, where, how it ended", () => {
  expect(
    auditLine({
      method: `${M}Reboot`,
      role: "os:admin",
      peer: admin,
      forwarded: false,
      target: { kind: "machined" },
      code: 0,
    }),
  ).toBe(`apid: audit: method=${M}Reboot role=os:admin cn="alice" serial=0a1b node=local outcome=ok`);
  expect(
    auditLine({
      method: `${M}ApplyConfiguration`,
      role: "os:admin",
      peer: admin,
      forwarded: false,
      target: { kind: "node", node: { host: "10.0.0.2", port: 50000 } },
      code: Code.PermissionDenied,
    }),
  ).toEndWith("node=10.0.0.2:50000 outcome=permission_denied");
  expect(
    auditLine({
      method: `${M}ApplyConfiguration`,
      role: "os:maintenance",
      peer: undefined,
      forwarded: false,
      target: { kind: "machined" },
      code: Code.FailedPrecondition,
    }),
  ).toBe(
    `apid: audit: method=${M}ApplyConfiguration role=os:maintenance cn=- serial=- node=local outcome=failed_precondition`,
  );
  expect(
    auditLine({
      method: `${M}Read`,
      role: undefined,
      peer: undefined,
      forwarded: true,
      target: undefined,
      code: Code.Unauthenticated,
    }),
  ).toBe(`apid: audit: method=${M}Read role=- cn=- serial=- node=- forwarded=yes outcome=unauthenticated`);
});

test("read-only calls are not audited; a hostile CN stays on one line", () => {
  expect(
    auditLine({
      method: `${M}Version`,
      role: "os:reader",
      peer: admin,
      forwarded: false,
      target: { kind: "machined" },
      code: 0,
    }),
  ).toBeUndefined();
  const line = auditLine({
    method: `${M}Reset`,
    role: "os:admin",
    peer: { ...admin, commonName: "a\nb outcome=ok" },
    forwarded: false,
    target: { kind: "machined" },
    code: Code.Canceled,
  });
  expect(line).toContain('cn="a\\nb outcome=ok"');
  expect(line?.split("\n").length).toBe(1);
  expect(line).toEndWith("outcome=canceled");
});
