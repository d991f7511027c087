import { expect, test } from "bun:test";
import { SnapshotProgress } from "./snapshot.ts";

/** One message of the stream: its blob, then the bytes etcd says are still to come. */
const add = (p: SnapshotProgress, remainingBytes: bigint, size: number) => {
  p.piece(new Uint8Array(size));
  p.message(remainingBytes);
};

test("a stream whose last piece leaves nothing to come is complete (the SHA-256 follows the database)", () => {
  const p = new SnapshotProgress();
  add(p, 100n, 32_768);
  add(p, 0n, 100);
  add(p, 0n, 32); // etcd's digest of what it sent
  expect(p.problem()).toBeUndefined();
  expect(p.bytes).toBe(32_900);
});

test("a stream cut short, or empty, is reported", () => {
  const p = new SnapshotProgress();
  add(p, 4096n, 32_768);
  expect(p.problem()).toBe("the stream ended 4096 bytes short of the database");
  expect(new SnapshotProgress().problem()).toBe("etcd sent nothing");
});
