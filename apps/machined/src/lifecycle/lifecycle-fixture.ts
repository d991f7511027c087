// A system disk for the lifecycle's tests: META, BOOT-A and BOOT-B as plain files in a temporary
// directory, META holding the installer's first record (slot A committed).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeSlotRecord } from "@bronze/image/boot-slots";
import type { SystemDisk } from "./system-disk.ts";

export interface DiskFixture {
  readonly dir: string;
  readonly disk: SystemDisk;
  readonly ledgerPath: string;
  readonly events: string[];
  readonly lines: string[];
}

export function diskFixture(options: { record?: boolean } = {}): DiskFixture {
  const dir = mkdtempSync(join(tmpdir(), "bronze-lifecycle-"));
  const meta = new Uint8Array(1024 * 1024);
  if (options.record !== false) meta.set(encodeSlotRecord({ seq: 1, committed: "A" }), 0);
  writeFileSync(join(dir, "meta"), meta);
  writeFileSync(join(dir, "boot-a"), "");
  writeFileSync(join(dir, "boot-b"), "");
  return {
    dir,
    disk: { boot: { A: join(dir, "boot-a"), B: join(dir, "boot-b") }, meta: join(dir, "meta") },
    ledgerPath: join(dir, "slots.json"),
    events: [],
    lines: [],
  };
}
