// Restoring a snapshot of a real three-member etcd as a new one-member cluster (a real etcd started on
// the restored database): the keys are there, the old members are not, and new writes apply and
// survive a restart. And the checks that refuse a damaged or foreign file.
import { afterAll, expect, test } from "bun:test";
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { useTestCluster } from "../test/etcd-fixture.ts";
import {
  checkWrittenSnapshot,
  consistentIndex,
  restoreDatabase,
  SNAPSHOT_HASH_BYTES,
  SnapshotFileError,
  SnapshotHasher,
  verifySnapshotFile,
} from "./snapshot-file.ts";
import { startTestEtcdCluster, type TestEtcdCluster } from "./testing/index.ts";

const source = useTestCluster({ members: 3, tls: true });
let target: TestEtcdCluster | undefined;
afterAll(async () => {
  await target?.stop();
});

async function saveSnapshot(file: string): Promise<void> {
  const writer = Bun.file(file).writer();
  for await (const piece of source.client.snapshot()) writer.write(piece);
  await writer.end();
}

async function refusal(path: string): Promise<string> {
  try {
    await verifySnapshotFile(path);
  } catch (err) {
    expect(err).toBeInstanceOf(SnapshotFileError);
    return (err as Error).message;
  }
  throw new Error(`${path} was accepted`);
}

test("a snapshot restored as a new cluster holds the data, only the new member, and takes writes", async () => {
  const { client, cluster } = source;
  // many revisions: the old cluster's raft index is far past where the new one's log starts
  for (let i = 0; i < 200; i++) await client.put(`bronze/restore/${i % 10}`, `v${i}`);
  const snap = join(cluster.dir, "restore.db");
  await saveSnapshot(snap);

  const { dbBytes, sha256 } = await verifySnapshotFile(snap);
  expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  const plain = join(cluster.dir, "plain.db");
  copyFileSync(snap, plain);
  truncateSync(plain, dbBytes);
  expect(consistentIndex(plain)).toBeGreaterThan(200n);

  target = await startTestEtcdCluster({ members: 1, tls: true });
  const m0 = target.member("m0");
  await target.stopMember("m0");
  rmSync(m0.dataDir, { recursive: true, force: true });
  mkdirSync(join(m0.dataDir, "member", "snap"), { recursive: true, mode: 0o700 });
  const db = join(m0.dataDir, "member", "snap", "db");
  await restoreDatabase(snap, db, dbBytes);
  expect(consistentIndex(db)).toBe(0n);
  await target.startMember("m0");

  const restored = await target.connect({ timeoutMs: 5_000 });
  try {
    expect(await restored.get("bronze/restore/9")).toBe("v199");
    expect((await restored.memberList()).map((m) => m.name)).toEqual(["m0"]);
    // etcd would acknowledge this and not apply it had the old raft index stayed in the database
    await restored.put("bronze/after-restore", "yes");
    expect(await restored.get("bronze/after-restore")).toBe("yes");
  } finally {
    restored.close();
  }
  await target.stopMember("m0");
  await target.startMember("m0");
  const again = await target.connect({ timeoutMs: 5_000 });
  try {
    expect(await again.get("bronze/after-restore")).toBe("yes");
    expect(await again.get("bronze/restore/0")).toBe("v190");
  } finally {
    again.close();
  }
}, 90_000);

test("damaged, cut-short and foreign files are refused, naming what is wrong", async () => {
  const { cluster } = source;
  const snap = join(cluster.dir, "damaged.db");
  await saveSnapshot(snap);
  const { dbBytes } = await verifySnapshotFile(snap);

  const flipped = join(cluster.dir, "flipped.db");
  copyFileSync(snap, flipped);
  const fd = openSync(flipped, "r+");
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 5000);
  byte[0] = (byte[0] ?? 0) ^ 0xff;
  writeSync(fd, byte, 0, 1, 5000);
  closeSync(fd);
  expect(await refusal(flipped)).toContain("SHA-256 does not match its database");

  const short = join(cluster.dir, "short.db");
  copyFileSync(snap, short);
  truncateSync(short, dbBytes); // the trailer gone: what a database copied without etcdctl looks like
  expect(await refusal(short)).toContain("not an etcd snapshot");

  const foreign = join(cluster.dir, "foreign.db");
  const junk = Buffer.alloc(4 * 4096 + SNAPSHOT_HASH_BYTES, 7);
  junk.set(new Bun.CryptoHasher("sha256").update(junk.subarray(0, 4 * 4096)).digest(), 4 * 4096);
  writeFileSync(foreign, junk);
  expect(await refusal(foreign)).toContain("not a bbolt database");
}, 60_000);

test("a snapshot checked as its bytes are written, in pieces of any size, needs no second read", async () => {
  const { cluster } = source;
  const snap = join(cluster.dir, "hashed.db");
  await saveSnapshot(snap);
  const bytes = await Bun.file(snap).bytes();
  const expected = await verifySnapshotFile(snap);
  // pieces of 1 to 40 bytes at the end (around the 32-byte trailer), larger before
  for (const tail of [1, 5, 31, 32, 33, 40]) {
    const hasher = new SnapshotHasher();
    let at = 0;
    while (at < bytes.length) {
      const size = bytes.length - at <= 100 ? tail : 4093;
      hasher.update(bytes.subarray(at, Math.min(bytes.length, at + size)));
      at += size;
    }
    expect(checkWrittenSnapshot(snap, hasher)).toEqual(expected);
  }
  // a flipped byte, and a file that is not what was hashed
  const damaged = new SnapshotHasher();
  const copy = bytes.slice();
  copy[100] = (copy[100] ?? 0) ^ 1;
  damaged.update(copy);
  expect(() => damaged.check()).toThrow("SHA-256 does not match its database");
  const cut = new SnapshotHasher();
  cut.update(bytes.subarray(0, bytes.length - 512)); // a whole number of pages short
  expect(() => cut.check()).toThrow("damaged or cut short");
  const noTrailer = new SnapshotHasher();
  noTrailer.update(bytes.subarray(0, bytes.length - SNAPSHOT_HASH_BYTES));
  expect(() => noTrailer.check()).toThrow("not an etcd snapshot");
  const whole = new SnapshotHasher();
  whole.update(bytes);
  truncateSync(snap, bytes.length - 512);
  expect(() => checkWrittenSnapshot(snap, whole)).toThrow(
    `holds ${bytes.length - 512} bytes where ${bytes.length}`,
  );
}, 60_000);
