import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxImage } from "../../test/fixtures.ts";
import { detectSnapshotter, startTestContainerd, testContainerdConfig } from "./containerd-harness.ts";

test("the config keeps everything under the directory and disables CRI", () => {
  const c = testContainerdConfig("/tmp/x");
  expect(c).toContain('root = "/tmp/x/root"');
  expect(c).toContain('state = "/tmp/x/state"');
  expect(c).toContain('address = "/tmp/x/containerd.sock"');
  expect(c).toContain('address = "/tmp/x/containerd.sock.ttrpc"');
  expect(c).toContain('"io.containerd.grpc.v1.cri"');
  expect(c.startsWith("version = 2\n")).toBe(true);
});

test("overlayfs is available to root on this host", () => {
  expect(detectSnapshotter(tmpdir())).toBe("overlayfs");
});

test("stop kills running tasks and their shims, unmounts, and removes the directory", async () => {
  const cd = await startTestContainerd();
  expect(existsSync(cd.socketPath)).toBe(true);
  const client = await cd.connect("harness");
  await client.images.import(busyboxImage().data);
  await client.createContainer({
    id: "left-running",
    image: "docker.io/bronze/busybox:test",
    args: ["/bin/sleep", "600"],
  });
  const task = await client.startTask("left-running");
  client.close();
  // runc's state is the harness's own, not the host's /run/containerd/runc/<namespace>.
  expect(existsSync(join(cd.runcRoot, "harness", "left-running", "state.json"))).toBe(true);
  expect(existsSync("/run/containerd/runc/harness/left-running")).toBe(false);
  const mounted = () => readFileSync("/proc/self/mountinfo", "utf8").includes(cd.dir);
  expect(mounted()).toBe(true);
  const shims = () =>
    readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(cd.socketPath);
        } catch {
          return false;
        }
      });
  expect(shims().length).toBeGreaterThan(0);
  await cd.stop();
  expect(existsSync(`/proc/${task.pid}`)).toBe(false);
  expect(shims()).toEqual([]);
  expect(mounted()).toBe(false);
  expect(existsSync(cd.dir)).toBe(false);
  expect(cd.pid).toBeUndefined();
});

test("a containerd that cannot start reports its log", async () => {
  await expect(startTestContainerd({ binary: "/bin/false", startTimeoutMs: 2_000 })).rejects.toThrow(
    "containerd did not come up",
  );
});

test("each harness has its own namespace and runc root; its clients use both", async () => {
  const [a, b] = await Promise.all([startTestContainerd(), startTestContainerd()]);
  try {
    expect(a.namespace).not.toBe(b.namespace);
    expect(a.runcRoot).toBe(join(a.dir, "runc"));
    const client = await a.connect();
    expect(client.namespace).toBe(a.namespace);
    expect(client.snapshotter).toBe(a.snapshotter);
    client.close();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});
