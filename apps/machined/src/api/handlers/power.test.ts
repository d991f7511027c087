import { afterAll, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { makeFixture } from "../testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

test("Reboot and Shutdown start their sequences", async () => {
  await f.client("os:operator").reboot({});
  await f.client("os:admin").shutdown({});
  expect(f.sequencer.calls).toEqual(["reboot", "shutdown"]);
});

test("refused with FailedPrecondition while another sequence holds the lock", async () => {
  f.sequencer.locked = "upgrade";
  for (const call of [f.client("os:admin").reboot({}), f.client("os:admin").shutdown({})]) {
    const err = await call.then(
      () => undefined,
      (e) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.FailedPrecondition);
    expect(err?.rawMessage).toContain("the upgrade sequence is running");
  }
  expect(f.sequencer.calls).toEqual(["reboot", "shutdown"]);
});

test("refused with FailedPrecondition while an install writes the disk", async () => {
  let installing = true;
  const g = makeFixture({
    config: { installing: () => installing, apply: () => Promise.reject(new Error("not in this test")) },
  });
  try {
    for (const call of [g.client("os:admin").reboot({}), g.client("os:admin").shutdown({})]) {
      const err = await call.then(
        () => undefined,
        (e) => ConnectError.from(e),
      );
      expect(err?.code).toBe(Code.FailedPrecondition);
      expect(err?.rawMessage).toContain("an install is writing the disk");
    }
    expect(g.sequencer.calls).toEqual([]);
    installing = false;
    await g.client("os:admin").reboot({});
    expect(g.sequencer.calls).toEqual(["reboot"]);
  } finally {
    await g.cleanup();
  }
});
