import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parentDisk, type WipeDiskDeps, WipeDiskError, wipeDisk } from "./wipe-disk.ts";

const dir = mkdtempSync(join(tmpdir(), "bronze-wipe-disk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sys = join(dir, "class-block");
const devices = join(dir, "devices");
function disk(name: string, sectors: number, partitions: string[] = []) {
  mkdirSync(join(devices, name), { recursive: true });
  writeFileSync(join(devices, name, "size"), `${sectors}\n`);
  mkdirSync(sys, { recursive: true });
  symlinkSync(join(devices, name), join(sys, name));
  for (const p of partitions) {
    mkdirSync(join(devices, name, p));
    writeFileSync(join(devices, name, p, "partition"), "1\n");
    symlinkSync(join(devices, name, p), join(sys, p));
  }
}
disk("vda", 8192, ["vda6"]);
disk("vdb", 8192);
disk("vdc", 8192);

const zeroed: string[] = [];
const deps = (over: Partial<WipeDiskDeps> = {}): WipeDiskDeps => ({
  sysClassBlock: sys,
  systemDisks: () => ["/dev/vda"],
  mounts: async (d) => (d === "/dev/vdc" ? ["/dev/vdc1 on /var/mnt"] : []),
  zero: async (device, offset, length) => {
    zeroed.push(`${device} ${offset}+${length}`);
    return length;
  },
  log: () => {},
  ...over,
});
const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof WipeDiskError) return [err.code, err.message];
    throw err;
  }
  throw new Error("not refused");
};

test("fast zeroes the first and last MiB, zeroes every byte", async () => {
  expect(await wipeDisk("/dev/vdb", "", deps())).toBe(2 * 1024 * 1024);
  expect(await wipeDisk("/dev/vdb", "zeroes", deps())).toBe(4 * 1024 * 1024);
  expect(zeroed).toEqual(["/dev/vdb 0+1048576", "/dev/vdb 3145728+1048576", "/dev/vdb 0+4194304"]);
});

test("the system disk, a disk in use, a partition, a missing disk and bad input are refused", async () => {
  zeroed.length = 0;
  expect(await refusal(wipeDisk("/dev/vda", "fast", deps()))).toEqual([
    "FailedPrecondition",
    "/dev/vda is the system disk (the boot slots, STATE and EPHEMERAL): use osctl reset to wipe the node's state",
  ]);
  expect(await refusal(wipeDisk("/dev/vdc", "fast", deps()))).toEqual([
    "FailedPrecondition",
    "/dev/vdc is in use: /dev/vdc1 on /var/mnt",
  ]);
  expect((await refusal(wipeDisk("/dev/vda6", "fast", deps())))[1]).toBe(
    "/dev/vda6 is a partition: give the whole disk",
  );
  expect((await refusal(wipeDisk("/dev/vdz", "fast", deps())))[0]).toBe("NotFound");
  expect((await refusal(wipeDisk("vdb", "fast", deps())))[0]).toBe("InvalidArgument");
  expect((await refusal(wipeDisk("/dev/vdb", "shred", deps())))[1]).toBe(
    '--method "shred": expected fast or zeroes',
  );
  expect(zeroed).toEqual([]);
});

test("a partition's disk is its parent in sysfs", () => {
  expect(parentDisk("/dev/vda6", sys)).toBe("/dev/vda");
});
