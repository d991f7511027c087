import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { InProcessRunner } from "../../supervisor/runners/in-process-runner.ts";
import { makeFixture } from "../testing/api-fixture.ts";
import { type ServerFixture, startServerFixture } from "../testing/api-server-fixture.ts";
import { KEEPS_NODE_REACHABLE } from "./services.ts";

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

// M5 of the security review: an operator could ServiceStop apid, machined or containerd, and nothing
// could start them again remotely. Over machined's real API server.
describe("over the real API server", () => {
  let s: ServerFixture;
  beforeAll(async () => {
    s = await startServerFixture();
    await s.runService("machined");
    await s.runService("containerd");
    await s.runService("certs-volume"); // stands for a dependency of pki
    await s.runService("pki", ["certs-volume"]);
    await s.runService("apid", ["containerd", "machined", "pki"]);
    await s.runService("trustd", ["containerd", "pki"]);
    await s.runService("kubelet");
  });
  afterAll(() => s?.close());

  test("the services that keep the node reachable cannot be stopped, by any role; they can be restarted", async () => {
    for (const role of ["os:operator", "os:admin"] as const) {
      for (const id of ["machined", "apid", "containerd", "pki"]) {
        const err = await s
          .client(role)
          .serviceStop({ id })
          .catch((e) => ConnectError.from(e));
        expect(err).toBeInstanceOf(ConnectError);
        expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
        expect((err as ConnectError).rawMessage).toStartWith(
          `ServiceStop: service "${id}" keeps this node reachable (${KEEPS_NODE_REACHABLE[id]})`,
        );
        expect(s.f.supervisor.status(id).state).toBe("Running");
      }
    }
    // What one of them depends on, even indirectly (apid → pki → certs-volume), neither.
    const dep = await s
      .client("os:admin")
      .serviceStop({ id: "certs-volume" })
      .catch((e) => ConnectError.from(e));
    expect((dep as ConnectError).rawMessage).toContain(
      `keeps this node reachable (apid depends on it, and ${KEEPS_NODE_REACHABLE.apid})`,
    );
    expect(s.f.supervisor.status("certs-volume").state).toBe("Running");
    // A restart comes back by itself: allowed.
    expect((await s.client("os:operator").serviceRestart({ id: "apid" })).resp).toBe(
      'Service "apid" restarted',
    );
    await s.f.supervisor.waitFor("apid", (st) => st.state === "Running");
  });

  test("other services stop and start again as before (trustd too: it can be started again remotely)", async () => {
    const op = s.client("os:operator");
    for (const id of ["trustd", "kubelet"]) {
      expect((await op.serviceStop({ id })).resp).toBe(`Service "${id}" stopped`);
      expect((await op.serviceStart({ id })).resp).toBe(`Service "${id}" started`);
      await s.f.supervisor.waitFor(id, (st) => st.state === "Running");
    }
  });
});
