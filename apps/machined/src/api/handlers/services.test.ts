import { afterAll, expect, test } from "bun:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { InProcessRunner } from "../../supervisor/runners/in-process-runner.ts";
import { makeFixture } from "../testing/api-fixture.ts";

const f = makeFixture();
afterAll(() => f.cleanup());

const untilAborted = new InProcessRunner(
  ({ signal }) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve())),
);
f.supervisor.register(
  { id: "base", dependsOn: [], restart: "forever", runner: untilAborted },
  { id: "app", dependsOn: ["base"], restart: "forever", runner: untilAborted },
);

test("ServiceList reports each service's state, runner and dependencies", async () => {
  const before = await f.client("os:reader").serviceList({});
  expect(before.services.map((s) => [s.id, s.state])).toEqual([
    ["base", "Initialized"],
    ["app", "Initialized"],
  ]);
  f.supervisor.start("base");
  await f.supervisor.waitFor("base", (s) => s.state === "Running");
  const after = await f.client("os:reader").serviceList({});
  const base = after.services.find((s) => s.id === "base");
  expect(base?.state).toBe("Running");
  expect(base?.up).toBe(true);
  expect(base?.runner).toBe("in-process");
  expect(base?.runs).toBe(1);
  expect(
    Math.abs(timestampMs(base?.since ?? ({ seconds: 0n, nanos: 0 } as never)) - Date.now()),
  ).toBeLessThan(10_000);
  expect(after.services.find((s) => s.id === "app")?.dependsOn).toEqual(["base"]);
});

test("an operator starts, stops and restarts services", async () => {
  const op = f.client("os:operator");
  expect((await op.serviceStart({ id: "app" })).resp).toBe('Service "app" started');
  await f.supervisor.waitFor("app", (s) => s.state === "Running");
  expect((await op.serviceStart({ id: "app" })).resp).toBe('Service "app" is already running');
  expect((await op.serviceStop({ id: "app" })).resp).toBe('Service "app" stopped');
  expect(f.supervisor.status("app").state).toBe("Finished");
  expect((await op.serviceRestart({ id: "app" })).resp).toBe('Service "app" restarted');
  await f.supervisor.waitFor("app", (s) => s.state === "Running");
  expect(f.supervisor.status("app").runs).toBe(1);
});

test("unknown services are NotFound; a missing id is InvalidArgument", async () => {
  const op = f.client("os:operator");
  for (const call of [
    op.serviceStart({ id: "nope" }),
    op.serviceStop({ id: "nope" }),
    op.serviceRestart({ id: "nope" }),
  ]) {
    const err = await call.then(
      () => undefined,
      (e) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.NotFound);
    expect(err?.rawMessage).toContain("unknown service nope");
  }
  const err = await op.serviceStop({ id: "" }).catch((e) => ConnectError.from(e));
  expect((err as ConnectError).code).toBe(Code.InvalidArgument);
});

test("a reader may not control services", async () => {
  const err = await f
    .client("os:reader")
    .serviceStop({ id: "base" })
    .catch((e) => ConnectError.from(e));
  expect((err as ConnectError).code).toBe(Code.PermissionDenied);
  expect(f.supervisor.status("base").state).toBe("Running");
});
