import { describe, expect, test } from "bun:test";
import {
  bootSlotMiB,
  layoutUuid,
  MIB,
  MIN_BOOT_SLOT_MIB,
  minimumDiskMiB,
  PARTITION_TYPES,
  planLayout,
  sfdiskScript,
} from "./disk-layout.ts";
import { InstallerError } from "./installer-error.ts";

describe("disk layout", () => {
  test("partitions in order, contiguous from 1 MiB, EPHEMERAL takes the rest but the backup GPT's MiB", () => {
    const layout = planLayout(2048 * MIB, 300, "seed");
    expect(layout.partitions.map((p) => [p.number, p.name, p.startMiB, p.sizeMiB])).toEqual([
      [1, "BIOS", 1, 1],
      [2, "EFI", 2, 100],
      [3, "BOOT-A", 102, 300],
      [4, "BOOT-B", 402, 300],
      [5, "META", 702, 1],
      [6, "STATE", 703, 100],
      [7, "EPHEMERAL", 803, 2048 - 1 - 803],
    ]);
    expect(layout.partitions[0]?.type).toBe(PARTITION_TYPES.biosBoot);
    expect(layout.partitions[1]?.format).toBe("vfat");
    expect(layout.partitions.filter((p) => p.format === "ext4").map((p) => p.name)).toEqual([
      "BOOT-A",
      "BOOT-B",
      "STATE",
      "EPHEMERAL",
    ]);
  });

  test("a disk below the minimum is refused with both sizes named", () => {
    const min = minimumDiskMiB(300);
    expect(() => planLayout((min - 1) * MIB, 300)).toThrow(
      new InstallerError(
        "TooSmall",
        `the disk has ${min - 1} MiB; the layout needs at least ${min} MiB (boot slots of 300 MiB)`,
      ),
    );
    expect(planLayout(min * MIB, 300).partitions.at(-1)?.sizeMiB).toBe(64);
  });

  test("boot slots have 25 % headroom over the artifacts, never below the minimum", () => {
    expect(bootSlotMiB(10 * MIB)).toBe(MIN_BOOT_SLOT_MIB);
    expect(bootSlotMiB(400 * MIB)).toBe(500 + 16);
  });

  test("UUIDs: the same seed gives the same UUIDs, no seed gives random ones, all well formed", () => {
    const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(layoutUuid("s", "EFI")).toBe(layoutUuid("s", "EFI"));
    expect(layoutUuid("s", "EFI")).not.toBe(layoutUuid("s", "STATE"));
    expect(layoutUuid("s", "EFI")).not.toBe(layoutUuid("t", "EFI"));
    expect(layoutUuid(undefined, "EFI")).not.toBe(layoutUuid(undefined, "EFI"));
    for (const u of [layoutUuid("s", "x"), layoutUuid(undefined, "x")]) expect(u).toMatch(shape);
  });

  test("sfdisk script: GPT, sectors, types, UUIDs and names", () => {
    const layout = planLayout(1024 * MIB, 300, "seed");
    const lines = sfdiskScript(layout).trim().split("\n");
    expect(lines[0]).toBe("label: gpt");
    expect(lines[1]).toBe(`label-id: ${layout.diskId.toUpperCase()}`);
    expect(lines[2]).toBe("unit: sectors");
    expect(lines[4]).toBe(
      `start=2048, size=2048, type=${PARTITION_TYPES.biosBoot}, uuid=${layout.partitions[0]?.uuid.toUpperCase()}, name="BIOS"`,
    );
    expect(lines.at(-1)).toMatch(/^start=1644544, size=\d+, type=0FC63DAF-.*, name="EPHEMERAL"$/);
    expect(lines).toHaveLength(4 + 7);
  });
});
