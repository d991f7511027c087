// statfs(2) of a tmpfs of known size that nothing else writes to (mounting it needs root): exact
// figures, checked against the size given and against df.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { df } from "../testing/df.ts";
import { hostStatfs } from "./statfs.ts";

const MiB = 1024n * 1024n;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "statfs-"));
  const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=4m", "statfs-test", dir], {
    stderr: "pipe",
  });
  if (mount.exitCode !== 0) throw new Error(`cannot mount a tmpfs on ${dir}: ${mount.stderr.toString()}`);
});

afterAll(() => {
  Bun.spawnSync(["umount", dir]);
  rmSync(dir, { recursive: true, force: true });
});

test("a 4 MiB tmpfs: 4 MiB in size, all of it available; a 1 MiB file takes 1 MiB; as df says", () => {
  expect(hostStatfs(dir)).toEqual({ size: 4n * MiB, available: 4n * MiB });
  expect(df(dir)).toEqual({ size: 4n * MiB, available: 4n * MiB });
  writeFileSync(join(dir, "one-mib"), Buffer.alloc(Number(MiB), 1));
  expect(hostStatfs(dir)).toEqual({ size: 4n * MiB, available: 3n * MiB });
  expect(df(dir)).toEqual({ size: 4n * MiB, available: 3n * MiB });
});
