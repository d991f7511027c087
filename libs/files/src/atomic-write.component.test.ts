// writeFileAtomic and writeFileAtomicAsync on a real full filesystem (a 64 KiB tmpfs): root, a mount (a component test).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountTmpfs } from "@bronze/testing";
import { writeFileAtomic, writeFileAtomicAsync } from "./atomic-write.ts";
import { FilesError } from "./files-error.ts";

const isRoot = process.getuid?.() === 0;
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function scratch(): string {
  dir = mkdtempSync(join(tmpdir(), "atomic-write-"));
  return dir;
}

async function caught(run: () => Promise<void>): Promise<FilesError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(FilesError);
    return err as FilesError;
  }
  throw new Error("expected a FilesError");
}

const writers = [
  ["writeFileAtomic", async (...args: Parameters<typeof writeFileAtomic>) => writeFileAtomic(...args)],
  ["writeFileAtomicAsync", writeFileAtomicAsync],
] as const;

describe.skipIf(!isRoot).each(writers)("%s on a full filesystem (a 64 KiB tmpfs)", (_name, write) => {
  test("ENOSPC is named, the old file is intact, no temporary is left", async () => {
    const d = scratch();
    const mnt = join(d, "small");
    const tmpfs = mountTmpfs(mnt, "64k");
    try {
      const target = join(mnt, "config.yaml");
      await write(target, "old: true\n", { mode: 0o600 });
      const err = await caught(() => write(target, new Uint8Array(256 * 1024).fill(0x61), { mode: 0o600 }));
      expect(err.code).toBe("NoSpace");
      expect(err.errno).toBe("ENOSPC");
      expect(err.message).toStartWith(`cannot write ${target}: no space left on device (ENOSPC) while `);
      expect(readFileSync(target, "utf8")).toBe("old: true\n");
      expect(readdirSync(mnt)).toEqual(["config.yaml"]);
    } finally {
      tmpfs.unmount();
    }
  });
});
