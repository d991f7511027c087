import { expect, test } from "bun:test";
import { useContainerd } from "../test/fixtures.ts";
import { isContainerdError } from "./errors.ts";

const env = useContainerd();

test("prepare, mounts, commit, view, stat, usage, list, remove on overlayfs", async () => {
  const s = env.client.snapshots;
  expect(s.defaultSnapshotter).toBe("overlayfs");
  const mounts = await s.prepare("base-active", "", { labels: { "containerd.io/gc.root": "t" } });
  expect(mounts.length).toBe(1);
  expect(["bind", "overlay"]).toContain(mounts[0]?.type ?? "");
  expect(await s.mounts("base-active")).toEqual(mounts);
  expect((await s.stat("base-active")).kind).toBe("active");
  await s.commit("base", "base-active", { labels: { "containerd.io/gc.root": "t" } });
  const info = await s.stat("base");
  expect(info.kind).toBe("committed");
  expect(info.labels["containerd.io/gc.root"]).toBe("t");
  const view = await s.view("base-view", "base", { labels: { "containerd.io/gc.root": "t" } });
  expect(view[0]?.options).toContain("ro");
  expect((await s.stat("base-view")).parent).toBe("base");
  expect(await s.usage("base")).toEqual({ bytes: expect.any(Number), inodes: expect.any(Number) });
  const names = (await s.list()).map((x) => x.name).sort();
  expect(names).toEqual(["base", "base-view"]);
  // a committed snapshot with children cannot go first
  const busy = await s.remove("base").catch((e) => e);
  expect(isContainerdError(busy, "FailedPrecondition")).toBe(true);
  await s.remove("base-view");
  await s.remove("base");
  expect(await s.list()).toEqual([]);
});

test("typed errors: missing parent, duplicate key, unknown snapshotter", async () => {
  const s = env.client.snapshots;
  const noParent = await s.prepare("k", "no-such-parent").catch((e) => e);
  expect(isContainerdError(noParent, "NotFound")).toBe(true);
  expect(noParent.message).toContain('snapshots.prepare "k" (overlayfs)');
  await s.prepare("dup", "", { labels: { "containerd.io/gc.root": "t" } });
  expect(isContainerdError(await s.prepare("dup", "").catch((e) => e), "AlreadyExists")).toBe(true);
  await s.remove("dup");
  const unknown = await s.prepare("k2", "", { snapshotter: "zfs" }).catch((e) => e);
  expect(isContainerdError(unknown)).toBe(true);
  expect(unknown.message).toContain("zfs");
  expect(isContainerdError(await s.stat("nope").catch((e) => e), "NotFound")).toBe(true);
});
