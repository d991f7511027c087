// The upload of a recovery snapshot: parts in order, resumable, checked whole at the last part, and
// nothing left half-written (the restore of a real snapshot: etcd-recovery.component.test.ts).
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ETCD_RECOVER_PART_BYTES } from "@bronze/api";
import { EtcdOperationError } from "./etcd-errors.ts";
import { EtcdRecovery } from "./etcd-recovery.ts";

const root = mkdtempSync(join(tmpdir(), "etcd-recovery-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function recovery(name: string): { recovery: EtcdRecovery; dir: string } {
  const dir = join(root, name);
  return { recovery: new EtcdRecovery({ dir, owner: { uid: process.getuid?.() ?? 0, gid: 0 } }), dir };
}

async function refusal(p: Promise<unknown>): Promise<EtcdOperationError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EtcdOperationError);
    return err as EtcdOperationError;
  }
  throw new Error("expected a refusal");
}

test("parts go in order: a gap or a repeat is refused with the offset to resume at; 0 starts again", async () => {
  const { recovery: r } = recovery("order");
  expect(await r.upload(0n, new Uint8Array(10), false)).toEqual({ size: 10n, sha256: "" });
  expect(await r.upload(10n, new Uint8Array(5), false)).toEqual({ size: 15n, sha256: "" });
  const gap = await refusal(r.upload(20n, new Uint8Array(1), false));
  expect(gap.code).toBe("FailedPrecondition");
  expect(gap.message).toBe("the upload holds 15 bytes: send the part at offset 15, or start again at 0");
  expect((await refusal(r.upload(10n, new Uint8Array(1), false))).message).toContain("offset 15");
  expect(await r.upload(0n, new Uint8Array(3), false)).toEqual({ size: 3n, sha256: "" });
});

test("parts sent together are written one after the other, in the order they came", async () => {
  const { recovery: r } = recovery("together");
  const sizes = await Promise.all([
    r.upload(0n, new Uint8Array(4), false),
    r.upload(4n, new Uint8Array(4), false),
    r.upload(8n, new Uint8Array(4), false),
  ]);
  expect(sizes.map((s) => s.size)).toEqual([4n, 8n, 12n]);
});

test("an oversized part is refused; a last part that is no snapshot is refused and dropped", async () => {
  const { recovery: r, dir } = recovery("bad");
  const big = await refusal(r.upload(0n, new Uint8Array(ETCD_RECOVER_PART_BYTES + 1), false));
  expect(big.code).toBe("InvalidArgument");
  const junk = await refusal(r.upload(0n, new Uint8Array(4096), true));
  expect(junk.code).toBe("InvalidArgument");
  expect(junk.message).toContain("not an etcd snapshot");
  expect(readdirSync(dir)).toEqual([]);
  expect(r.ready()).toBe(false);
});

test("a restore without an upload is refused, and writes nothing", async () => {
  const { recovery: r } = recovery("none");
  const data = join(root, "none-data");
  const err = await refusal(r.restoreInto(data));
  expect(err.code).toBe("FailedPrecondition");
  expect(err.message).toContain("osctl bootstrap --recover-from <file>");
  expect(existsSync(join(data, "member"))).toBe(false);
});
