import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectDisk, parseProcMounts, partitionDevice, sysfsPartitions } from "./block-device.ts";
import { InstallerError } from "./installer-error.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-sysfs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake /sys/class/block with disk `sdx` and partitions 2 and 1 (listed out of order). */
function fakeSysfs(): string {
  const sys = join(dir, "sys");
  for (const [name, n] of [
    ["sdx2", 2],
    ["sdx1", 1],
  ] as const) {
    mkdirSync(join(sys, "sdx", name), { recursive: true });
    writeFileSync(join(sys, "sdx", name, "partition"), `${n}\n`);
  }
  mkdirSync(join(sys, "sdx", "queue"), { recursive: true });
  return sys;
}

describe("block devices", () => {
  test("/proc/mounts: source and target, octal escapes decoded", () => {
    expect(parseProcMounts("/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\nproc /proc proc rw 0 0\n")).toEqual([
      ["/dev/sdb1", "/mnt/my disk"],
      ["proc", "/proc"],
    ]);
  });

  test("partitions from sysfs, by number, other entries ignored", async () => {
    const sys = fakeSysfs();
    expect(sysfsPartitions(sys, "sdx")).toEqual([
      [1, "sdx1"],
      [2, "sdx2"],
    ]);
    const dev = join(dir, "dev");
    mkdirSync(dev, { recursive: true });
    writeFileSync(join(dev, "sdx2"), "");
    const files = { sysClassBlock: sys, procMounts: "/dev/null", dev };
    expect(await partitionDevice("/dev/sdx", 2, files)).toBe(join(dev, "sdx2"));
    await expect(partitionDevice("/dev/sdx", 3, files, 200)).rejects.toThrow(
      new InstallerError("ToolFailed", "partition 3 of /dev/sdx did not appear within 200 ms"),
    );
  });

  test("what is not a block device is refused by name", () => {
    expect(() => inspectDisk("/dev/null")).toThrow(
      new InstallerError("NotBlockDevice", "/dev/null is not a block device"),
    );
    expect(() => inspectDisk(join(dir, "nope"))).toThrow(
      new InstallerError("NotBlockDevice", `${join(dir, "nope")} does not exist`),
    );
  });
});
