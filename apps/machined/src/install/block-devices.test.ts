import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPartition, listPartitions, parseUevent, readExtLabel } from "./block-devices.ts";
import { fakeSysfs } from "./block-devices-fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "block-devices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mkfsExt4(path: string, label: string | undefined): void {
  writeFileSync(path, "");
  const argv = ["mkfs.ext4", "-q", "-F", ...(label !== undefined ? ["-L", label] : []), path, "1M"];
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString()}`);
}

describe("parseUevent", () => {
  test("KEY=value lines; values may contain '='", () => {
    const u = parseUevent("MAJOR=254\nDEVNAME=vda6\nPARTNAME=a=b\n\nbogus\n");
    expect(u.get("DEVNAME")).toBe("vda6");
    expect(u.get("PARTNAME")).toBe("a=b");
    expect(u.has("bogus")).toBe(false);
  });
});

describe("listPartitions", () => {
  test("only entries with a partition file, sorted, device nodes under dev, GPT names from uevent", () => {
    const files = fakeSysfs(join(dir, "list"), [
      { name: "vda" },
      { name: "vda2", partition: 2, partName: "EFI" },
      { name: "vda1", partition: 1, partName: "BIOS" },
      { name: "loop0" },
      { name: "sda1", partition: 1 },
      { name: "sdb1", partition: 1, uevent: false },
    ]);
    expect(listPartitions(files)).toEqual([
      { name: "sda1", devPath: join(files.dev, "sda1"), partName: undefined },
      { name: "sdb1", devPath: join(files.dev, "sdb1"), partName: undefined },
      { name: "vda1", devPath: join(files.dev, "vda1"), partName: "BIOS" },
      { name: "vda2", devPath: join(files.dev, "vda2"), partName: "EFI" },
    ]);
  });

  test("no /sys/class/block (a container, a test root): no partitions", () => {
    expect(listPartitions({ sysClassBlock: join(dir, "nowhere"), dev: "/dev" })).toEqual([]);
  });
});

describe("readExtLabel", () => {
  test("a real ext4 filesystem's label; none for an unlabelled one, zeros, a short file, a missing file", () => {
    mkfsExt4(join(dir, "labelled.img"), "STATE");
    mkfsExt4(join(dir, "unlabelled.img"), undefined);
    writeFileSync(join(dir, "zeros.img"), Buffer.alloc(4096));
    writeFileSync(join(dir, "short.img"), Buffer.alloc(100));
    expect(readExtLabel(join(dir, "labelled.img"))).toBe("STATE");
    expect(readExtLabel(join(dir, "unlabelled.img"))).toBeUndefined();
    expect(readExtLabel(join(dir, "zeros.img"))).toBeUndefined();
    expect(readExtLabel(join(dir, "short.img"))).toBeUndefined();
    expect(readExtLabel(join(dir, "missing.img"))).toBeUndefined();
  });
});

describe("findPartition", () => {
  test("by GPT name first, then by ext label (read from the device node), else undefined", () => {
    const files = fakeSysfs(join(dir, "find"), [
      { name: "sda1", partition: 1 },
      { name: "vda6", partition: 6, partName: "STATE" },
      { name: "vda7", partition: 7, partName: "EPHEMERAL" },
    ]);
    mkfsExt4(join(files.dev, "sda1"), "DATA");
    const all = listPartitions(files);
    expect(findPartition("STATE", all)?.name).toBe("vda6");
    expect(findPartition("DATA", all)?.name).toBe("sda1");
    expect(findPartition("META", all)).toBeUndefined();
  });

  test("a GPT name wins over a label elsewhere; labels are only read when no GPT name matches", () => {
    const files = fakeSysfs(join(dir, "order"), [
      { name: "sda1", partition: 1 },
      { name: "vda6", partition: 6, partName: "STATE" },
    ]);
    const read: string[] = [];
    const readLabel = (p: string) => {
      read.push(p);
      return "STATE";
    };
    const all = listPartitions(files);
    expect(findPartition("STATE", all, readLabel)?.name).toBe("vda6");
    expect(read).toEqual([]);
    expect(findPartition("EPHEMERAL", all, readLabel)).toBeUndefined();
    expect(read).toEqual([join(files.dev, "sda1"), join(files.dev, "vda6")]);
  });
});
