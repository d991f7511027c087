import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodePaths } from "../node/node-paths.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { clearStaleTaskBundle, taskBundleDirs } from "./stale-task-bundle.ts";

const root = mkdtempSync(join(tmpdir(), "stale-bundle-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("the bundle and work directories of containerd's v2 runtime, per namespace and id", () => {
  const paths = nodePaths("/");
  expect(taskBundleDirs(paths, "system", "apid")).toEqual([
    "/system/run/containerd/io.containerd.runtime.v2.task/system/apid",
    "/var/lib/containerd/io.containerd.runtime.v2.task/system/apid",
  ]);
});

test("a stale bundle: mounts under it are detached deepest first, then both directories removed", () => {
  const bundle = join(root, "state/io.containerd.runtime.v2.task/system/apid");
  const work = join(root, "root/io.containerd.runtime.v2.task/system/apid");
  const other = join(root, "state/io.containerd.runtime.v2.task/system/apid2");
  for (const d of [join(bundle, "rootfs"), work, other]) mkdirSync(d, { recursive: true });
  writeFileSync(join(bundle, "config.json"), "{}");
  const mountinfo = [
    `36 25 0:32 / ${bundle}/rootfs rw,relatime - overlay overlay rw`,
    `37 36 0:33 / ${bundle}/rootfs/proc rw - proc proc rw`,
    `38 25 0:34 / ${other}/rootfs rw - overlay overlay rw`,
    "22 1 0:21 / /proc rw - proc proc rw",
  ].join("\n");
  const sys = new FakeSys();
  sys.mount("overlay", `${bundle}/rootfs`, "overlay");
  sys.mount("proc", `${bundle}/rootfs/proc`, "proc");
  const lines: string[] = [];
  const removed = clearStaleTaskBundle([bundle, work], {
    sys,
    mountinfo: () => mountinfo,
    log: (l) => lines.push(l),
  });
  expect(removed).toEqual([bundle, work]);
  expect(sys.callsOf("umount2")).toEqual([
    [`${bundle}/rootfs/proc`, 2],
    [`${bundle}/rootfs`, 2],
  ]);
  expect(existsSync(bundle)).toBe(false);
  expect(existsSync(work)).toBe(false);
  expect(existsSync(other)).toBe(true);
  expect(lines).toEqual([
    `removed the stale task directory ${bundle} (left by a cancelled create)`,
    `removed the stale task directory ${work} (left by a cancelled create)`,
  ]);
});

test("nothing there: nothing unmounted, nothing logged", () => {
  const sys = new FakeSys();
  const lines: string[] = [];
  const dirs = [join(root, "none/a"), join(root, "none/b")];
  expect(clearStaleTaskBundle(dirs, { sys, mountinfo: () => "", log: (l) => lines.push(l) })).toEqual([]);
  expect(sys.calls).toEqual([]);
  expect(lines).toEqual([]);
});

test("a failed unmount stops before anything is removed", () => {
  const bundle = join(root, "busy/apid");
  mkdirSync(join(bundle, "rootfs"), { recursive: true });
  const sys = new FakeSys();
  sys.mount("overlay", `${bundle}/rootfs`, "overlay");
  sys.failNext("umount2", "EBUSY");
  expect(() =>
    clearStaleTaskBundle([bundle], {
      sys,
      mountinfo: () => `36 25 0:32 / ${bundle}/rootfs rw - overlay overlay rw`,
      log: () => {},
    }),
  ).toThrow();
  expect(existsSync(join(bundle, "rootfs"))).toBe(true);
});
