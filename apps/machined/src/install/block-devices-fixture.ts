import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A fixture /sys/class/block: disks without partition files, partitions with uevents. */
export function fakeSysfs(
  root: string,
  entries: ReadonlyArray<{ name: string; partition?: number; partName?: string; uevent?: boolean }>,
): { sysClassBlock: string; dev: string } {
  const sysClassBlock = join(root, "sys/class/block");
  const dev = join(root, "dev");
  mkdirSync(dev, { recursive: true });
  for (const e of entries) {
    const d = join(sysClassBlock, e.name);
    mkdirSync(d, { recursive: true });
    const lines = ["MAJOR=254", "MINOR=0", `DEVNAME=${e.name}`];
    if (e.partition !== undefined) {
      writeFileSync(join(d, "partition"), `${e.partition}\n`);
      lines.push("DEVTYPE=partition", `PARTN=${e.partition}`);
      if (e.partName !== undefined) lines.push(`PARTNAME=${e.partName}`);
    } else {
      lines.push("DEVTYPE=disk");
    }
    if (e.uevent !== false) writeFileSync(join(d, "uevent"), `${lines.join("\n")}\n`);
  }
  return { sysClassBlock, dev };
}
