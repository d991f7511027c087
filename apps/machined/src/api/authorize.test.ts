import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { makeFixture } from "./testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

async function codeOf(p: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = ConnectError.from(e);
    return { code: err.code, message: err.rawMessage };
  }
  throw new Error("expected a failure");
}

test("a call without a role is Unauthenticated", async () => {
  const r = await codeOf(f.client(null).version({}));
  expect(r.code).toBe(Code.Unauthenticated);
  expect(r.message).toContain("x-bronze-role");
});

test("an unknown role is Unauthenticated", async () => {
  const r = await codeOf(f.client("os:root" as never).version({}));
  expect(r.code).toBe(Code.Unauthenticated);
  expect(r.message).toContain('"os:root"');
});

test("a role not allowed is PermissionDenied naming the method and the role", async () => {
  const r = await codeOf(f.client("os:reader").reboot({}));
  expect(r.code).toBe(Code.PermissionDenied);
  expect(r.message).toBe("os:reader may not call /bronze.machine.v1.MachineService/Reboot");
  expect(f.sequencer.calls).toEqual([]);
});

test("streaming methods are checked too, before any message", async () => {
  const r = await codeOf(
    (async () => {
      for await (const _ of f.client("os:operator").read({ path: "/etc/hosts" })) {
        // nothing
      }
    })(),
  );
  expect(r.code).toBe(Code.PermissionDenied);
  expect(r.message).toContain("os:operator may not call /bronze.machine.v1.MachineService/Read");
});

test("the impersonator calls nothing; allowed roles pass", async () => {
  expect((await codeOf(f.client("os:impersonator").version({}))).code).toBe(Code.PermissionDenied);
  expect((await f.client("os:reader").version({})).platform).toBe("container");
  await f.client("os:operator").reboot({});
  expect(f.sequencer.calls).toEqual(["reboot"]);
});
