import { expect, test } from "bun:test";
import { SnapshotProgress } from "./snapshot.ts";

const piece = (remainingBytes: bigint, size: number) => ({ remainingBytes, blob: new Uint8Array(size) });

test("a stream whose last piece leaves nothing to come is complete (the SHA-256 follows the database)", () => {
  const p = new SnapshotProgress();
  p.add(piece(100n, 32_768));
  p.add(piece(0n, 100));
  p.add(piece(0n, 32)); // etcd's digest of what it sent
  expect(p.problem()).toBeUndefined();
  expect(p.bytes).toBe(32_900);
});

test("a stream cut short, or empty, is reported", () => {
  const p = new SnapshotProgress();
  p.add(piece(4096n, 32_768));
  expect(p.problem()).toBe("the stream ended 4096 bytes short of the database");
  expect(new SnapshotProgress().problem()).toBe("etcd sent nothing");
});
