import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  LO_FLAGS_AUTOCLEAR,
  LO_FLAGS_READ_ONLY,
  MODULE_INIT_COMPRESSED_FILE,
  MS_MOVE,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
} from "../sys/constants.ts";
import { FakeExecError, FakeSys } from "../testing/fake-sys.ts";
import { runStage1, Stage1Error, type Stage1Fs } from "./stage1.ts";

const fixture = (name: string) => readFileSync(join(import.meta.dir, "testdata", name), "utf8");
const RELEASE = "6.1.0-28-cloud-amd64";
const MODDIR = `/lib/modules/${RELEASE}`;

/** An in-memory filesystem: files, directories made, open descriptors. */
function fakeFs(
  files: Record<string, string>,
  existing: string[] = ["/proc/self", "/rootfs.sqsh"],
  onFree: () => void = () => {},
) {
  const opened = new Map<number, string>();
  const log: string[] = [];
  let next = 10;
  const fs: Stage1Fs = {
    readText: (path) => files[path],
    exists: (path) => existing.includes(path) || path in files,
    mkdir: (path) => void log.push(`mkdir ${path}`),
    openRead(path) {
      if (!(path in files)) throw new Error(`ENOENT: ${path}`);
      const fd = next++;
      opened.set(fd, path);
      log.push(`open ${path} -> ${fd}`);
      return fd;
    },
    close(fd) {
      log.push(`close ${fd}`);
      opened.delete(fd);
    },
    freeOldRoot(keep) {
      log.push(`free keeping ${keep.join(",")}`);
      onFree();
      return 110 * 1024 * 1024;
    },
  };
  return { fs, opened, log };
}

function moduleFiles(): Record<string, string> {
  const files: Record<string, string> = {
    "/etc/bronze/modules": "virtio_blk\nloop max_loop=8\nsquashfs\n",
    [`${MODDIR}/modules.dep`]: fixture("modules.dep"),
    [`${MODDIR}/modules.builtin`]: fixture("modules.builtin"),
  };
  for (const line of fixture("modules.dep").split("\n")) {
    const path = line.split(":")[0];
    if (path) files[`${MODDIR}/${path}`] = "ELF";
  }
  return files;
}

function proc(sys: FakeSys) {
  // The shim mounted /proc before exec'ing stage 1.
  sys.mounts.set("/proc", { source: "proc", target: "/proc", fstype: "proc", flags: 0, data: null });
}

describe("runStage1", () => {
  test("mounts, loads modules in dependency order, mounts the squashfs, switches root, execs init", () => {
    const sys = new FakeSys();
    proc(sys);
    let freedAfter = -1;
    const { fs, opened, log } = fakeFs(moduleFiles(), undefined, () => {
      freedAfter = sys.calls.length;
    });
    const lines: string[] = [];
    let err: unknown;
    try {
      runStage1({ sys, fs, log: (l) => lines.push(l), kernelRelease: RELEASE });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Stage1Error);
    expect((err as Stage1Error).step).toBe("exec");
    expect((err as Error).cause).toBeInstanceOf(FakeExecError);

    const api = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    expect(sys.calls.map((c) => [c.name, ...c.args])).toEqual([
      ["mount", "sysfs", "/sys", "sysfs", api, null],
      ["mount", "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"],
      ["finitModule", 10, "", MODULE_INIT_COMPRESSED_FILE],
      ["finitModule", 11, "", MODULE_INIT_COMPRESSED_FILE],
      ["finitModule", 12, "", MODULE_INIT_COMPRESSED_FILE],
      ["finitModule", 13, "max_loop=8", 0],
      ["finitModule", 14, "", MODULE_INIT_COMPRESSED_FILE],
      ["loopAttach", "/rootfs.sqsh", { readOnly: true, autoclear: true }],
      ["mount", "/dev/loop0", "/newroot", "squashfs", MS_RDONLY, null],
      ["mount", "/dev", "/newroot/dev", null, MS_MOVE, null],
      ["mount", "/proc", "/newroot/proc", null, MS_MOVE, null],
      ["mount", "/sys", "/newroot/sys", null, MS_MOVE, null],
      ["chdir", "/newroot"],
      ["mount", "/newroot", "/", null, MS_MOVE, null],
      ["chroot", "."],
      ["chdir", "/"],
      ["exec", "/sbin/init", ["/sbin/init"], { PATH: "/sbin:/bin" }],
    ]);
    expect(log.filter((l) => l.startsWith("open")).map((l) => l.split(" ")[1])).toEqual([
      `${MODDIR}/kernel/drivers/virtio/virtio.ko.xz`,
      `${MODDIR}/kernel/drivers/virtio/virtio_ring.ko.xz`,
      `${MODDIR}/kernel/drivers/block/virtio_blk.ko.xz`,
      `${MODDIR}/kernel/drivers/block/loop.ko`,
      `${MODDIR}/kernel/fs/squashfs/squashfs.ko.xz`,
    ]);
    expect(opened.size).toBe(0); // every module fd closed
    // The squashfs is the root, read-only, and its loop device stays attached only through the mount.
    expect(sys.mounts.get("/")?.fstype).toBe("squashfs");
    expect(sys.loops.get(0)?.flags).toBe(LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR);
    expect(sys.loops.get(0)?.open).toBe(false);
    expect(sys.root).toBe(".");
    expect(lines).toContain("stage1: exec /sbin/init");
    // The initramfs is freed once the squashfs is mounted, before the mounts move across.
    expect(log).toContain("free keeping /newroot");
    expect(sys.calls[freedAfter - 1]?.args[2]).toBe("squashfs");
    expect(sys.calls[freedAfter]?.args).toEqual(["/dev", "/newroot/dev", null, MS_MOVE, null]);
    expect(lines).toContain("stage1: freed 110 MiB of initramfs");
  });

  test("failing to free the initramfs is reported and not fatal", () => {
    const sys = new FakeSys();
    proc(sys);
    const { fs } = fakeFs({}, undefined, () => {
      throw new Error("EBUSY somewhere");
    });
    const lines: string[] = [];
    const err = (() => {
      try {
        runStage1({ sys, fs, log: (l) => lines.push(l), kernelRelease: RELEASE });
      } catch (e) {
        return e as Stage1Error;
      }
    })();
    expect(err?.step).toBe("exec");
    expect(lines).toContain("stage1: could not free the initramfs: EBUSY somewhere");
  });

  test("mounts /proc itself when the shim did not, and skips modules without a list", () => {
    const sys = new FakeSys();
    const { fs } = fakeFs({}, ["/rootfs.sqsh"]);
    expect(() => runStage1({ sys, fs, log: () => {}, kernelRelease: RELEASE })).toThrow(Stage1Error);
    expect(sys.callsOf("mount")[0]).toEqual([
      "proc",
      "/proc",
      "proc",
      MS_NOSUID | MS_NODEV | MS_NOEXEC,
      null,
    ]);
    expect(sys.callsOf("finitModule")).toEqual([]);
    expect(sys.callsOf("exec")).toHaveLength(1);
  });

  test("an already loaded module is fine; another module failure stops stage 1 naming the module", () => {
    const sys = new FakeSys();
    proc(sys);
    sys.failNext("finitModule", "EEXIST");
    sys.failNext("finitModule", "ENOEXEC", (args) => args[0] === 13);
    const { fs, opened } = fakeFs(moduleFiles());
    let err: unknown;
    try {
      runStage1({ sys, fs, log: () => {}, kernelRelease: RELEASE });
    } catch (e) {
      err = e;
    }
    expect((err as Stage1Error).step).toBe("modules");
    expect((err as Error).message).toContain("loading module loop (kernel/drivers/block/loop.ko)");
    expect((err as Error).message).toContain("ENOEXEC");
    expect(sys.callsOf("loopAttach")).toEqual([]);
    expect(opened.size).toBe(0);
  });

  test("a missing rootfs.sqsh stops stage 1 before anything is attached", () => {
    const sys = new FakeSys();
    proc(sys);
    const { fs } = fakeFs({}, ["/proc/self"]);
    expect(() => runStage1({ sys, fs, log: () => {}, kernelRelease: RELEASE })).toThrow(
      "stage 1 (rootfs): /rootfs.sqsh is missing from the initramfs",
    );
    expect(sys.loops.size).toBe(0);
  });

  test("a failed squashfs mount detaches the loop device again", () => {
    const sys = new FakeSys();
    proc(sys);
    sys.failNext("mount", "EINVAL", (args) => args[2] === "squashfs");
    const { fs } = fakeFs({});
    expect(() => runStage1({ sys, fs, log: () => {}, kernelRelease: RELEASE })).toThrow(/stage 1 \(rootfs\)/);
    expect(sys.loops.size).toBe(0);
  });
});
