// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${mac} is literal text here
// The installer on a real loop device backed by a temporary file (root, util-linux, e2fsprogs,
// dosfstools, mtools, GRUB's Debian packages): refusals, the partition table, the filesystems,
// slot A's files, grub.cfg and the GRUB boot code.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fakeArtifacts, type LoopDisk, loopDisk, sh } from "../../test/loop-disk.ts";
import { currentSlotRecord, GRUBENV_PATH, parseGrubEnvBlock } from "./boot-slots.ts";
import { fatFsUuid, fatVolumeId, GRUB_CFG_PATH, installToDisk } from "./install-to-disk.ts";
import { InstallerError } from "./installer-error.ts";
import { readExtUuid, writeBootSlot } from "./slot-write.ts";

const disks: LoopDisk[] = [];
afterAll(() => {
  for (const d of disks) d.release();
});

async function rejection(p: Promise<unknown>): Promise<InstallerError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InstallerError) return err;
    throw err;
  }
  throw new Error("expected an InstallerError");
}

describe("installToDisk on a loop device", () => {
  test("writes the layout, slot A, GRUB and grub.cfg; refuses the disk afterwards unless wipe", async () => {
    const disk = loopDisk(1200);
    disks.push(disk);
    const artifacts = fakeArtifacts(disk.dir);
    const log: string[] = [];
    const result = await installToDisk({
      device: disk.device,
      artifactsDir: artifacts,
      platform: "metal",
      configUrl: "http://10.0.0.1:8080/${mac}.yaml",
      wipe: false,
      log: (l) => log.push(l),
    });
    expect(log[0]).toBe(`installing to ${disk.device} (1200 MiB, platform metal)`);
    expect(log.at(-1)).toBe(`installed Bronze on ${disk.device}`);

    const table = JSON.parse(sh(["sfdisk", "-J", disk.device])).partitiontable;
    expect(table.label).toBe("gpt");
    expect(table.partitions.map((p: { name: string }) => p.name)).toEqual([
      "BIOS",
      "EFI",
      "BOOT-A",
      "BOOT-B",
      "META",
      "STATE",
      "EPHEMERAL",
    ]);
    expect(table.partitions[0].type).toBe("21686148-6449-6E6F-744E-656564454649");
    expect(table.partitions[1].type).toBe("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    expect(table.partitions[2].size).toBe(300 * 2048);
    const last = table.partitions[6];
    expect(last.start + last.size).toBeLessThanOrEqual(1200 * 2048 - 33);

    const blkid = (n: number, tag: string) =>
      sh(["blkid", "-p", "-s", tag, "-o", "value", `${disk.device}p${n}`]).trim();
    expect([2, 3, 4, 6, 7].map((n) => blkid(n, "TYPE"))).toEqual(["vfat", "ext4", "ext4", "ext4", "ext4"]);
    expect([2, 3, 4, 6, 7].map((n) => blkid(n, "LABEL"))).toEqual([
      "EFI",
      "BOOT-A",
      "BOOT-B",
      "STATE",
      "EPHEMERAL",
    ]);

    // grub.cfg and the EFI loader on the FAT partition (read with mtools: nothing mounted)
    const efi = `${disk.device}p2`;
    const env = { ...process.env, MTOOLS_SKIP_CHECK: "1" };
    const mtype = Bun.spawnSync(["mtype", "-i", efi, `::/${GRUB_CFG_PATH}`], { env });
    const grubCfg = mtype.stdout.toString();
    expect(grubCfg).toBe(result.grubCfg);
    expect(grubCfg).toContain(" bronze.config=http://10.0.0.1:8080/${mac}.yaml'\n");
    // the boot state: slot A committed, in the first copy on META; GRUB's grubenv beside grub.cfg
    const meta = readFileSync(`${disk.device}p5`).subarray(0, 1024);
    expect(currentSlotRecord(meta)).toEqual({ record: { seq: 1, committed: "A" }, copy: 0 });
    const grubenv = Bun.spawnSync(["mtype", "-i", efi, `::/${GRUBENV_PATH}`], { env }).stdout;
    expect(grubenv).toHaveLength(1024);
    expect(parseGrubEnvBlock(grubenv)?.get("bronze_tried")).toBe("0");
    expect(grubCfg).toContain(`search --no-floppy --fs-uuid --set=root ${blkid(3, "UUID")}\n`);
    expect(grubCfg).toContain(`search --no-floppy --fs-uuid --set=root ${blkid(4, "UUID")}\n`);
    expect(grubCfg).toContain("bronze.platform=metal");
    const efiLoader = Bun.spawnSync(["mtype", "-i", efi, "::/EFI/BOOT/BOOTX64.EFI"], { env }).stdout;
    expect(efiLoader.subarray(0, 2).toString()).toBe("MZ");
    expect(fatFsUuid(fatVolumeId(blkid(2, "UUID").replace("-", "")))).toBe(blkid(2, "UUID"));

    // slot A, mounted read-only
    const mnt = join(disk.dir, "mnt");
    mkdirSync(mnt);
    sh(["mount", "-o", "ro", `${disk.device}p3`, mnt]);
    try {
      expect(readFileSync(join(mnt, "vmlinuz")).equals(readFileSync(join(artifacts, "vmlinuz")))).toBe(true);
      expect(
        readFileSync(join(mnt, "initramfs.zst")).equals(readFileSync(join(artifacts, "initramfs.zst"))),
      ).toBe(true);
      expect(readFileSync(join(mnt, "cmdline"), "utf8")).toBe(`${result.kernelArgs.join(" ")}\n`);

      // slot B rewritten whole, keeping the UUID grub.cfg finds it by
      const uuidB = readExtUuid(`${disk.device}p4`);
      expect(uuidB).toBe(blkid(4, "UUID"));
      await writeBootSlot({
        slot: "B",
        device: `${disk.device}p4`,
        artifactsDir: artifacts,
        fsUuid: uuidB as string,
        workDir: disk.dir,
      });
      expect([blkid(4, "UUID"), blkid(4, "LABEL")]).toEqual([uuidB as string, "BOOT-B"]);
      const slotB = Bun.spawnSync(["debugfs", "-R", "cat /initramfs.zst", `${disk.device}p4`]).stdout;
      expect(Buffer.from(slotB).equals(readFileSync(join(artifacts, "initramfs.zst")))).toBe(true);
      expect(readExtUuid(join(artifacts, "vmlinuz"))).toBeUndefined();

      // a mounted disk is refused, even with wipe
      const mounted = await rejection(
        installToDisk({
          device: disk.device,
          artifactsDir: artifacts,
          platform: "metal",
          wipe: true,
          log: () => {},
        }),
      );
      expect(mounted.code).toBe("Mounted");
      expect(mounted.message).toContain(`${disk.device}p3 on ${mnt}`);
    } finally {
      sh(["umount", mnt]);
    }

    // GRUB's BIOS code: boot.img in sector 0 (partition table kept), core.img in the BIOS boot partition
    const head = readFileSync(disk.file).subarray(0, 2 * 1024 * 1024);
    expect(head.readBigUInt64LE(0x5c)).toBe(2048n);
    expect(head[0x1c2]).toBe(0xee);
    expect(head.readUInt16LE(0x1fe)).toBe(0xaa55);
    expect(head.readBigUInt64LE(1024 * 1024 + 0x1f4)).toBe(2049n);

    // not empty any more: refused without wipe, naming the partitions
    const refused = await rejection(
      installToDisk({
        device: disk.device,
        artifactsDir: artifacts,
        platform: "qemu",
        wipe: false,
        log: () => {},
      }),
    );
    expect(refused.code).toBe("HasPartitions");
    expect(refused.message).toMatch(
      /is not empty \(7 partition\(s\); signatures: .*gpt.*\): pass --wipe to erase it$/,
    );

    // with wipe: installed again, platform qemu now, no config URL
    const again = await installToDisk({
      device: disk.device,
      artifactsDir: artifacts,
      platform: "qemu",
      wipe: true,
      log: () => {},
    });
    expect(again.grubCfg).not.toContain("bronze.config=");
    expect(again.grubCfg).toContain("bronze.platform=qemu");
    expect(Bun.spawnSync(["mtype", "-i", efi, `::/${GRUB_CFG_PATH}`], { env }).stdout.toString()).toBe(
      again.grubCfg,
    );
  }, 120_000);

  test("refuses what is not a whole disk, a missing artifact, a disk too small", async () => {
    const disk = loopDisk(400);
    disks.push(disk);
    const artifacts = fakeArtifacts(disk.dir);
    const base = { artifactsDir: artifacts, platform: "metal" as const, wipe: true, log: () => {} };
    const notDevice = await rejection(installToDisk({ ...base, device: disk.file }));
    expect(notDevice.code).toBe("NotBlockDevice");
    expect(notDevice.message).toBe(`${disk.file} is not a block device`);
    expect((await rejection(installToDisk({ ...base, device: "/dev/bronze-nope" }))).message).toBe(
      "/dev/bronze-nope does not exist",
    );
    const missing = await rejection(installToDisk({ ...base, device: disk.device, artifactsDir: disk.dir }));
    expect(missing.code).toBe("MissingArtifact");
    expect(missing.message).toContain(join(disk.dir, "vmlinuz"));
    const small = await rejection(installToDisk({ ...base, device: disk.device }));
    expect(small.code).toBe("TooSmall");
    expect(small.message).toMatch(/^the disk has 400 MiB; the layout needs at least \d+ MiB/);
    // nothing was written
    expect(sh(["wipefs", "--noheadings", disk.device]).trim()).toBe("");
  }, 60_000);
});
