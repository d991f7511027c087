// writeFileAtomic on a real full filesystem (a 64 KiB tmpfs): root, a mount (a component test).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountTmpfs } from "@bronze/testing";
import { writeFileAtomic } from "./atomic-write.ts";
import { FilesError } from "./files-error.ts";

const isRoot = process.getuid?.() === 0;
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function scratch(): string {
  dir = mkdtempSync(join(tmpdir(), "atomic-write-"));
  return dir;
}

function caught(run: () => void): FilesError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FilesError);
    return err as FilesError;
  }
  throw new Error("expected a FilesError");
}

describe.skipIf(!isRoot)("on a full filesystem (a 64 KiB tmpfs)", () => {
  test("ENOSPC is named, the old file is intact, no temporary is left", () => {
    const d = scratch();
    const mnt = join(d, "small");
    const tmpfs = mountTmpfs(mnt, "64k");
    try {
      const target = join(mnt, "config.yaml");
      writeFileAtomic(target, "old: true\n", { mode: 0o600 });
      const err = caught(() =>
        writeFileAtomic(target, new Uint8Array(256 * 1024).fill(0x61), { mode: 0o600 }),
      );
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
