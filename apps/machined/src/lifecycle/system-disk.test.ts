import { afterAll, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diskFixture } from "./lifecycle-fixture.ts";
import { findSystemDisk, readSlotRecord, writeSlotRecord } from "./system-disk.ts";

const f = diskFixture();
afterAll(() => rmSync(f.dir, { recursive: true, force: true }));

test("the boot state is read from META and each write goes to the other copy, on the disk", () => {
  expect(readSlotRecord(f.disk)).toEqual({ seq: 1, committed: "A" });
  expect(writeSlotRecord(f.disk, { committed: "A", trial: "B" })).toEqual({
    seq: 2,
    committed: "A",
    trial: "B",
  });
  expect(readSlotRecord(f.disk)).toEqual({ seq: 2, committed: "A", trial: "B" });
  expect(writeSlotRecord(f.disk, { committed: "B" })).toEqual({ seq: 3, committed: "B" });
  expect(readSlotRecord(f.disk)).toEqual({ seq: 3, committed: "B" });
  const blank = diskFixture({ record: false });
  expect(readSlotRecord(blank.disk)).toBeUndefined();
  rmSync(blank.dir, { recursive: true, force: true });
});

test("the system disk is found by GPT partition names in sysfs; a disk without META is not one", () => {
  const sys = join(f.dir, "sys");
  const part = (name: string, partName: string) => {
    mkdirSync(join(sys, name), { recursive: true });
    writeFileSync(join(sys, name, "partition"), "1\n");
    writeFileSync(join(sys, name, "uevent"), `DEVNAME=${name}\nPARTNAME=${partName}\n`);
  };
  part("vda3", "BOOT-A");
  part("vda4", "BOOT-B");
  const files = { sysClassBlock: sys, dev: "/dev" };
  expect(findSystemDisk(files, () => undefined)).toBeUndefined();
  part("vda5", "META");
  expect(findSystemDisk(files, () => undefined)).toEqual({
    boot: { A: "/dev/vda3", B: "/dev/vda4" },
    meta: "/dev/vda5",
  });
});
