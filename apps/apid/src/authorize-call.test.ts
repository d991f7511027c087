import { expect, test } from "bun:test";
import { ROLE_HEADER, type Role } from "@bronze/api";
import { Code, ConnectError } from "@connectrpc/connect";
import { type AuthorizeCallInput, authorizeCall } from "./authorize-call.ts";

const M = "/bronze.machine.v1.MachineService/";

function input(over: Partial<AuthorizeCallInput> & { headers?: Record<string, string> }): AuthorizeCallInput {
  return {
    method: `${M}Version`,
    header: new Headers(over.headers ?? {}),
    peer: { role: "os:reader", subject: "CN=reader" },
    maintenance: false,
    canForward: true,
    apidPort: 50000,
    ...over,
  };
}

function refusal(i: AuthorizeCallInput): ConnectError {
  try {
    authorizeCall(i);
  } catch (e) {
    if (e instanceof ConnectError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

const peer = (role: Role) => ({ role, subject: `CN=${role}` });

test("each role against a read, a write (operate) and an admin method", () => {
  const cases: [Role, string, boolean][] = [
    ["os:reader", "Version", true],
    ["os:reader", "Reboot", false],
    ["os:reader", "Read", false],
    ["os:operator", "Version", true],
    ["os:operator", "Reboot", true],
    ["os:operator", "ApplyConfiguration", false],
    ["os:admin", "Version", true],
    ["os:admin", "Reboot", true],
    ["os:admin", "ApplyConfiguration", true],
    ["os:admin", "NotInTheTable", true],
    ["os:operator", "NotInTheTable", false],
  ];
  for (const [role, method, allowed] of cases) {
    const i = input({ method: `${M}${method}`, peer: peer(role) });
    if (allowed) expect(authorizeCall(i)).toEqual({ role, target: { kind: "machined" } });
    else {
      const e = refusal(i);
      expect(e.code).toBe(Code.PermissionDenied);
      expect(e.rawMessage).toBe(`${role} may not call ${M}${method}`);
    }
  }
});

test("a client-sent role header is ignored: the certificate decides", () => {
  const i = input({ method: `${M}Reboot`, headers: { [ROLE_HEADER]: "os:admin" } });
  expect(refusal(i).rawMessage).toBe(`os:reader may not call ${M}Reboot`);
});

test("no certificate, or a certificate with a problem", () => {
  expect(refusal(input({ peer: undefined })).code).toBe(Code.Unauthenticated);
  const e = refusal(input({ peer: { problem: "lacks the clientAuth key usage", subject: "CN=x" } }));
  expect(e.code).toBe(Code.PermissionDenied);
  expect(e.rawMessage).toBe(`${M}Version: lacks the clientAuth key usage`);
});

test("x-bronze-node forwards, with the caller's role", () => {
  const d = authorizeCall(input({ headers: { "x-bronze-node": "10.0.0.3" } }));
  expect(d).toEqual({ role: "os:reader", target: { kind: "node", node: { host: "10.0.0.3", port: 50000 } } });
  // Authorised before forwarding.
  expect(refusal(input({ method: `${M}Reboot`, headers: { "x-bronze-node": "10.0.0.3" } })).code).toBe(
    Code.PermissionDenied,
  );
  const bad = refusal(input({ headers: { "x-bronze-node": "no such/node" } }));
  expect(bad.code).toBe(Code.InvalidArgument);
});

test("x-bronze-node: apid's port only, and only addresses that can be a node", () => {
  const port = refusal(input({ headers: { "x-bronze-node": "10.0.0.3:22" } }));
  expect(port.code).toBe(Code.PermissionDenied);
  expect(port.rawMessage).toBe(
    "x-bronze-node: apid forwards calls only to other nodes' apids, on port 50000: not to 10.0.0.3:22",
  );
  expect(refusal(input({ headers: { "x-bronze-node": "0.0.0.0" } })).code).toBe(Code.PermissionDenied);
  // apid's port is the one this apid serves on.
  expect(authorizeCall(input({ apidPort: 50100, headers: { "x-bronze-node": "10.0.0.3" } })).target).toEqual({
    kind: "node",
    node: { host: "10.0.0.3", port: 50100 },
  });
});

test("a worker (no impersonator certificate) refuses to forward, saying why", () => {
  const e = refusal(input({ canForward: false, headers: { "x-bronze-node": "10.0.0.3" } }));
  expect(e.code).toBe(Code.FailedPrecondition);
  expect(e.rawMessage).toContain("no impersonator certificate (only control-plane nodes forward calls)");
});

test("a forwarded call is never forwarded again", () => {
  const e = refusal(input({ headers: { "x-bronze-node": "10.0.0.3", "x-bronze-forwarded": "1" } }));
  expect(e.code).toBe(Code.FailedPrecondition);
  const fromImpersonator = refusal(
    input({
      peer: peer("os:impersonator"),
      headers: { "x-bronze-node": "10.0.0.3", "x-bronze-forwarded": "1", [ROLE_HEADER]: "os:admin" },
    }),
  );
  expect(fromImpersonator.code).toBe(Code.FailedPrecondition);
  expect(fromImpersonator.rawMessage).toContain("never forwarded again");
});

test("an impersonator passes the forwarded role, and may call nothing itself", () => {
  const forwarded = { "x-bronze-forwarded": "1", [ROLE_HEADER]: "os:operator" };
  expect(
    authorizeCall(input({ method: `${M}Reboot`, peer: peer("os:impersonator"), headers: forwarded })),
  ).toEqual({
    role: "os:operator",
    target: { kind: "machined" },
  });
  expect(
    refusal(input({ method: `${M}Reset`, peer: peer("os:impersonator"), headers: forwarded })).rawMessage,
  ).toBe(`os:operator may not call ${M}Reset`);
  const direct = refusal(input({ peer: peer("os:impersonator") }));
  expect(direct.code).toBe(Code.PermissionDenied);
  expect(direct.rawMessage).toContain("os:impersonator may not call");
  const self = refusal(
    input({
      peer: peer("os:impersonator"),
      headers: { "x-bronze-forwarded": "1", [ROLE_HEADER]: "os:impersonator" },
    }),
  );
  expect(self.rawMessage).toContain('invalid role "os:impersonator"');
});

test("maintenance mode: a few read-only calls and ApplyConfiguration, no certificate needed", () => {
  const m = (method: string) => input({ method: `${M}${method}`, peer: undefined, maintenance: true });
  // Marked as maintenance calls, which machined refuses once the node is configured (never os:admin).
  expect(authorizeCall(m("Version")).role).toBe("os:maintenance");
  expect(authorizeCall(m("ApplyConfiguration")).role).toBe("os:maintenance");
  const e = refusal(m("Read"));
  expect(e.code).toBe(Code.PermissionDenied);
  expect(e.rawMessage).toContain("not available in maintenance mode");
  const fwd = refusal({ ...m("Version"), header: new Headers({ "x-bronze-node": "10.0.0.3" }) });
  expect(fwd.code).toBe(Code.FailedPrecondition);
});
