import { beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { busyboxImage, ociArchive, useContainerd } from "../test/fixtures.ts";
import { ContainerdError } from "./errors.ts";
import { MediaType } from "./image-spec.ts";
import { makeBusyboxRootfs } from "./testing/busybox-rootfs.ts";

const env = useContainerd();
const IMAGE = "docker.io/bronze/busybox:test";

beforeAll(async () => {
  await env.client.images.import(busyboxImage().data);
});

async function state() {
  return {
    containers: (await env.client.containers.list()).map((c) => c.id),
    snapshots: (await env.client.snapshots.list()).map((s) => s.name).sort(),
    leases: (await env.client.leases.list()).map((l) => l.id),
    tasks: (await env.client.tasks.list()).map((t) => t.containerId),
  };
}

async function runSh(
  id: string,
  script: string,
  options: Record<string, unknown> = {},
): Promise<{ status: number; out: string }> {
  const log = join(env.scratch, `${id}.log`);
  const r = await env.client.run({
    id,
    image: IMAGE,
    args: ["/bin/sh", "-c", script],
    logPath: log,
    ...options,
  });
  return { status: r.exitStatus, out: readFileSync(log, "utf8") };
}

test("the spec options reach the process: user, env, cwd, capabilities, read-only rootfs, bind mounts", async () => {
  const host = join(env.scratch, "shared");
  mkdirSync(host);
  writeFileSync(join(host, "from-host"), "host data\n");
  const r = await runSh(
    "spec",
    'id -u; id -g; echo "$FROM_IMAGE $EXTRA"; pwd; grep CapEff /proc/self/status; cat /data/from-host; touch /data/x 2>/dev/null || echo data-ro; touch /rootfs-write 2>/dev/null || echo root-ro',
    {
      uid: 1000,
      gid: 1001,
      env: { EXTRA: "set" },
      cwd: "/tmp",
      capabilities: [],
      readOnlyRootfs: true,
      mounts: [{ source: host, destination: "/data", readOnly: true }],
    },
  );
  expect(r.out.split("\n")).toEqual([
    "1000",
    "1001",
    "yes set",
    "/tmp",
    "CapEff:\t0000000000000000",
    "host data",
    "data-ro",
    "root-ro",
    "",
  ]);
  expect(r.status).toBe(0);
});

/** A cgroup file of a running container, on a cgroup v1 or v2 host. */
function cgroupFile(id: string, v1: string, v2: string): string {
  const [controller, file] = v1.split("/") as [string, string];
  for (const path of [
    `/sys/fs/cgroup/${controller}/${env.namespace}/${id}/${file}`,
    `/sys/fs/cgroup/${env.namespace}/${id}/${v2}`,
  ])
    if (existsSync(path)) return readFileSync(path, "utf8").trim();
  throw new Error(`no cgroup file for ${id}`);
}

test("memory, cpu and pids limits land in the container's cgroup", async () => {
  await env.client.createContainer({
    id: "limited",
    image: IMAGE,
    args: ["/bin/sleep", "60"],
    memoryLimitBytes: 32 * 1024 * 1024,
    cpus: 0.5,
    pidsLimit: 50,
  });
  await env.client.startTask("limited");
  try {
    expect(cgroupFile("limited", "memory/memory.limit_in_bytes", "memory.max")).toBe("33554432");
    const cpu = existsSync(`/sys/fs/cgroup/cpu/${env.namespace}/limited`)
      ? cgroupFile("limited", "cpu/cpu.cfs_quota_us", "")
      : cgroupFile("limited", "x/x", "cpu.max");
    expect(cpu.startsWith("50000")).toBe(true);
    expect(cgroupFile("limited", "pids/pids.max", "pids.max")).toBe("50");
  } finally {
    await env.client.removeContainer("limited", { force: true });
  }
});

test("host network shares the host's network namespace; the default does not", async () => {
  const hostNs = readlinkSync("/proc/self/ns/net");
  const shared = await runSh("hostnet", "readlink /proc/self/ns/net", { hostNetwork: true });
  expect(shared.out.trim()).toBe(hostNs);
  const own = await runSh("ownnet", "readlink /proc/self/ns/net");
  expect(own.out.trim()).not.toBe(hostNs);
});

test("a container from a host rootfs path runs, with labels recorded", async () => {
  const rootfs = makeBusyboxRootfs(join(env.scratch, "rootfs"), { files: { "etc/role": "apid\n" } });
  const c = await env.client.createContainer({
    id: "from-path",
    rootfs,
    args: ["/bin/cat", "/etc/role"],
    labels: { "bronze.io/service": "apid" },
    readOnlyRootfs: true,
  });
  expect(c.snapshotKey).toBe("");
  expect(c.spec?.root).toEqual({ path: rootfs, readonly: true });
  expect(c.labels).toEqual({ "bronze.io/service": "apid" });
  const log = join(env.scratch, "from-path.log");
  await env.client.startTask("from-path", { logPath: log });
  expect((await env.client.tasks.wait("from-path")).exitStatus).toBe(0);
  expect(readFileSync(log, "utf8")).toBe("apid\n");
  await env.client.removeContainer("from-path");
});

test("failed creates say why and leave no container, snapshot, lease or task behind", async () => {
  await env.client.createContainer({ id: "taken", image: IMAGE, args: ["/bin/true"] });
  const before = await state();
  const failures: [() => Promise<unknown>, string, string][] = [
    [
      () => env.client.createContainer({ id: "taken", image: IMAGE, args: ["/bin/true"] }),
      "AlreadyExists",
      'container "taken" already exists',
    ],
    [
      () =>
        env.client.createContainer({ id: "c1", image: "docker.io/library/missing:1", args: ["/bin/true"] }),
      "NotFound",
      'image "docker.io/library/missing:1" not found',
    ],
    [
      () =>
        env.client.createContainer({
          id: "c2",
          image: IMAGE,
          args: ["/bin/true"],
          capabilities: ["CAP_FLY"],
        }),
      "InvalidArgument",
      'unknown capability "CAP_FLY"',
    ],
    [
      () => env.client.createContainer({ id: "c3", rootfs: join(env.scratch, "nope"), args: ["/bin/true"] }),
      "NotFound",
      "is not a directory",
    ],
    [
      () => env.client.createContainer({ id: "c4", image: IMAGE, rootfs: "/", args: ["/bin/true"] }),
      "InvalidArgument",
      "exactly one of image and rootfs",
    ],
    // containerd refuses the record after the snapshot was prepared: the snapshot must go too
    [
      () =>
        env.client.createContainer({
          id: "c5",
          image: IMAGE,
          args: ["/bin/true"],
          labels: { big: "x".repeat(5000) },
        }),
      "InvalidArgument",
      "containers.create",
    ],
  ];
  for (const [p, code, text] of failures) {
    const e = await p().then(
      () => undefined,
      (x) => x,
    );
    expect(e).toBeInstanceOf(ContainerdError);
    expect({ code: e.code, has: e.message.includes(text) }).toEqual({ code, has: true });
  }
  expect(await state()).toEqual(before);
  await env.client.removeContainer("taken");
});

test("an image whose user is a name needs a numeric uid", async () => {
  const busybox = busyboxImage();
  const layer = await env.client.content.readAll(busybox.layer.digest);
  const archive = ociArchive({
    name: "docker.io/bronze/named-user:1",
    layers: [{ blob: layer, mediaType: MediaType.ociLayerGzip }],
    config: {
      os: "linux",
      architecture: "amd64",
      config: { User: "etcd", Cmd: ["/bin/id"] },
      rootfs: { type: "layers", diff_ids: [busybox.diffId] },
    },
  });
  await env.client.images.import(archive.data);
  const e = await env.client
    .createContainer({ id: "named", image: "docker.io/bronze/named-user:1" })
    .catch((x) => x);
  expect(e.code).toBe("FailedPrecondition");
  expect(e.message).toContain('user "etcd", which is a name; pass a numeric uid and gid');
  const ok = await runSh("named-ok", "id -u", {
    image: "docker.io/bronze/named-user:1",
    uid: 65534,
    gid: 65534,
  });
  expect(ok.out).toBe("65534\n");
});

test("a task that cannot start fails typed, and leaves the container without a task", async () => {
  await env.client.createContainer({ id: "nobin", image: IMAGE, args: ["/no/such/binary"] });
  const e = await env.client.startTask("nobin").catch((x) => x);
  expect(e).toBeInstanceOf(ContainerdError);
  expect(e.message).toContain("/no/such/binary");
  expect(await env.client.tasks.list()).toEqual([]);
  await env.client.removeContainer("nobin");
  expect((await state()).containers).toEqual([]);
});

test("removeContainer refuses a running task unless forced, then removes task, record and snapshot", async () => {
  await env.client.createContainer({ id: "busy", image: IMAGE, args: ["/bin/sleep", "60"] });
  await env.client.startTask("busy");
  const e = await env.client.removeContainer("busy").catch((x) => x);
  expect(e.code).toBe("FailedPrecondition");
  expect(e.message).toContain("task is running");
  await env.client.removeContainer("busy", { force: true });
  expect(await state()).toEqual({
    containers: [],
    snapshots: [busyboxImage().diffId],
    leases: [],
    tasks: [],
  });
});
