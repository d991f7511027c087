import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID } from "../sys/constants.ts";
import { FakeSys } from "../testing/fake-sys.ts";
import { fakeSysfs } from "./block-devices-fixture.ts";
import { findNodePartitions, mountPartition } from "./partitions.ts";

const dir = mkdtempSync(join(tmpdir(), "partitions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INSTALLED = [
  { name: "vda" },
  { name: "vda1", partition: 1, partName: "BIOS" },
  { name: "vda2", partition: 2, partName: "EFI" },
  { name: "vda3", partition: 3, partName: "BOOT-A" },
  { name: "vda4", partition: 4, partName: "BOOT-B" },
  { name: "vda5", partition: 5, partName: "META" },
  { name: "vda6", partition: 6, partName: "STATE" },
  { name: "vda7", partition: 7, partName: "EPHEMERAL" },
];

describe("findNodePartitions", () => {
  test("the installed layout: STATE and EPHEMERAL by GPT name", () => {
    const files = fakeSysfs(join(dir, "installed"), INSTALLED);
    const found = findNodePartitions(files, () => undefined);
    expect(found.state?.devPath).toBe(join(files.dev, "vda6"));
    expect(found.ephemeral?.devPath).toBe(join(files.dev, "vda7"));
  });

  test("diskless (only a disk without partitions, a loop device): neither", () => {
    const files = fakeSysfs(join(dir, "diskless"), [{ name: "vda" }, { name: "loop0" }]);
    expect(findNodePartitions(files)).toEqual({ state: undefined, ephemeral: undefined });
  });

  test("by filesystem label when the table has no names", () => {
    const files = fakeSysfs(join(dir, "mbr"), [
      { name: "sda1", partition: 1 },
      { name: "sda2", partition: 2 },
    ]);
    const labels: Record<string, string> = {
      [join(files.dev, "sda1")]: "EPHEMERAL",
      [join(files.dev, "sda2")]: "STATE",
    };
    const found = findNodePartitions(files, (p) => labels[p]);
    expect(found.state?.name).toBe("sda2");
    expect(found.ephemeral?.name).toBe("sda1");
  });
});

describe("mountPartition", () => {
  const partition = { name: "vda6", devPath: "/dev/vda6", partName: "STATE" };

  test("mounts ext4 from the device node with the flags, creates the target, sets its mode", () => {
    const sys = new FakeSys();
    const lines: string[] = [];
    const target = join(dir, "m1/system/state");
    const flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    expect(
      mountPartition(sys, { role: "STATE", partition, target, flags, mode: 0o700 }, (l) => lines.push(l)),
    ).toBe(true);
    expect(sys.callsOf("mount")).toEqual([["/dev/vda6", target, "ext4", flags, null]]);
    expect(statSync(target).mode & 0o777).toBe(0o700);
    expect(lines).toEqual([`mounted the STATE (/dev/vda6) partition (ext4) on ${target}`]);
  });

  test("a failure: false, and a line naming the partition, the device and the errno", () => {
    const sys = new FakeSys().failNext("mount", "EINVAL");
    const lines: string[] = [];
    const target = join(dir, "m2/var");
    expect(
      mountPartition(
        sys,
        { role: "EPHEMERAL", partition: { ...partition, devPath: "/dev/vda7" }, target, flags: 0 },
        (l) => lines.push(l),
      ),
    ).toBe(false);
    expect(sys.mounts.size).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith(`cannot mount the EPHEMERAL (/dev/vda7) partition on ${target}: EINVAL: `);
    expect(lines[0]).toEndWith("; falling back to a tmpfs");
  });
});
