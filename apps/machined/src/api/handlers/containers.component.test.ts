// Containers and namespace Stats against a real containerd (the lib's test harness), through the
// machine API's in-memory transport.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildOciImageTarball, ContainerdClient, ContainerdError } from "@bronze/containerd-client";
import {
  makeBusyboxRootfs,
  startTestContainerd,
  type TestContainerd,
} from "@bronze/containerd-client/testing";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Fixture, makeFixture } from "../testing/api-fixture.ts";
import { containerdToConnectError, NO_TASK } from "./containers.ts";

const IMAGE = "docker.io/bronze/busybox:test";
let containerd: TestContainerd;
let client: ContainerdClient;
let scratch: string;
let f: Fixture;
let sleeperPid: number;

beforeAll(async () => {
  containerd = await startTestContainerd();
  // "system" is what the API lists by default; runc's state stays in the harness's own runc root.
  client = await containerd.connect("system");
  scratch = mkdtempSync(join(tmpdir(), "machined-ctrs-"));
  const rootfs = makeBusyboxRootfs(join(scratch, "rootfs"));
  // A running container from a host rootfs, and one from an image that was never started.
  await client.createContainer({ id: "sleeper", rootfs, args: ["/bin/sleep", "120"] });
  sleeperPid = (await client.startTask("sleeper", { logPath: join(scratch, "sleeper.log") })).pid;
  await client.images.import(
    buildOciImageTarball({ rootfs, name: IMAGE, config: { cmd: ["/bin/sh"], env: ["PATH=/bin"] } }).data,
  );
  await client.createContainer({ id: "idle", image: IMAGE, args: ["/bin/true"] });
  f = makeFixture({ containerd: async (namespace) => client.withNamespace(namespace) });
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
  for (const id of ["sleeper", "idle"]) await client?.removeContainer(id, { force: true }).catch(() => {});
  client?.close();
  await containerd?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test("lists the system namespace by default: id, image, pid and status of each container", async () => {
  const { containers } = await f.client("os:reader").containers({});
  expect(
    containers.map(({ namespace, id, image, pid, status }) => ({ namespace, id, image, pid, status })),
  ).toEqual([
    { namespace: "system", id: "idle", image: IMAGE, pid: 0, status: NO_TASK },
    { namespace: "system", id: "sleeper", image: "", pid: sleeperPid, status: "RUNNING" },
  ]);
  // The pid is the container's real process on this host.
  expect(readFileSync(`/proc/${sleeperPid}/cmdline`, "utf8").split("\0")).toEqual(["/bin/sleep", "120", ""]);
});

test("another namespace is asked for what it holds (none here), and a stopped task says so", async () => {
  expect((await f.client("os:admin").containers({ namespace: "k8s.io" })).containers).toEqual([]);
  await client.startTask("idle");
  await client.tasks.wait("idle", { timeoutMs: 10_000 });
  const { containers } = await f.client("os:admin").containers({ namespace: "system" });
  expect(containers.find((c) => c.id === "idle")?.status).toBe("STOPPED");
});

test("Stats of a namespace: memory and CPU of its running containers from containerd", async () => {
  const { stats } = await f.client("os:reader").stats({ namespace: "system" });
  expect(stats.map((s) => s.id)).toEqual(["sleeper"]);
  const [sleeper] = stats;
  expect(sleeper?.namespace).toBe("system");
  // A sleeping busybox uses some memory, far less than 64 MiB.
  expect(sleeper?.memoryUsage).toBeGreaterThan(0n);
  expect(sleeper?.memoryUsage).toBeLessThan(64n << 20n);
  expect(sleeper?.cpuUsage).toBeGreaterThanOrEqual(0n);
});

test("containerd down: Unavailable naming the socket; no containerd at all: FailedPrecondition", async () => {
  const down = makeFixture({
    containerd: (namespace) =>
      ContainerdClient.connect({ socketPath: join(scratch, "missing.sock"), namespace }),
  });
  const none = makeFixture();
  try {
    const e1 = await down
      .client("os:admin")
      .containers({})
      .catch((e) => ConnectError.from(e));
    expect(e1).toBeInstanceOf(ConnectError);
    expect((e1 as ConnectError).code).toBe(Code.Unavailable);
    expect((e1 as ConnectError).rawMessage).toContain("listing the containers of namespace system");
    expect((e1 as ConnectError).rawMessage).toContain("missing.sock");
    const e2 = await none
      .client("os:admin")
      .stats({ namespace: "k8s.io" })
      .catch((e) => ConnectError.from(e));
    expect((e2 as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((e2 as ConnectError).rawMessage).toBe(
      "reading the stats of namespace k8s.io: this machined has no containerd",
    );
  } finally {
    await down.cleanup();
    await none.cleanup();
  }
});

test("containerd's typed codes become the same Connect codes", () => {
  expect(containerdToConnectError(new ContainerdError("NotFound", "op", "x"), "doing").code).toBe(
    Code.NotFound,
  );
  expect(containerdToConnectError(new ContainerdError("AlreadyExists", "op", "x"), "doing").code).toBe(
    Code.AlreadyExists,
  );
  // containerd not answering in time is containerd unavailable, not the caller's deadline
  expect(containerdToConnectError(new ContainerdError("DeadlineExceeded", "op", "x"), "doing").code).toBe(
    Code.Unavailable,
  );
  expect(containerdToConnectError(new Error("boom"), "doing")).toMatchObject({
    code: Code.Internal,
    rawMessage: "doing: boom",
  });
});
