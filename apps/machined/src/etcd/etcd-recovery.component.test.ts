// A real etcd snapshot uploaded in parts and restored into a data directory (the etcd started on such
// a database: @bronze/etcd-client's snapshot-file.component.test.ts).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { consistentIndex } from "@bronze/etcd-client/snapshot-file";
import { startTestEtcdCluster, type TestEtcdCluster } from "@bronze/etcd-client/testing";
import { EtcdRecovery } from "./etcd-recovery.ts";

let cluster: TestEtcdCluster;
let snapshot: Buffer;
const root = mkdtempSync(join(tmpdir(), "etcd-recovery-"));
beforeAll(async () => {
  cluster = await startTestEtcdCluster({ members: 1 });
  const client = await cluster.connect();
  try {
    for (let i = 0; i < 50; i++) await client.put(`k${i}`, "x".repeat(2000));
    const pieces: Uint8Array[] = [];
    for await (const piece of client.snapshot()) pieces.push(piece);
    snapshot = Buffer.concat(pieces);
  } finally {
    client.close();
  }
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("a snapshot uploaded in parts is checked, then restored as the member's database", async () => {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const recovery = new EtcdRecovery({ dir: join(root, "upload"), owner: { uid, gid } });
  const part = 16 * 1024;
  let answer = { size: 0n, sha256: "" };
  for (let at = 0; at < snapshot.length; at += part) {
    const last = at + part >= snapshot.length;
    answer = await recovery.upload(BigInt(at), snapshot.subarray(at, at + part), last);
  }
  expect(answer.size).toBe(BigInt(snapshot.length));
  const expected = new Bun.CryptoHasher("sha256")
    .update(snapshot.subarray(0, snapshot.length - 32))
    .digest("hex");
  expect(answer.sha256).toBe(expected);
  expect(recovery.ready()).toBe(true);

  const data = join(root, "etcd");
  const said = await recovery.restoreInto(data);
  expect(said).toContain(expected.slice(0, 16));
  const db = join(data, "member", "snap", "db");
  expect(statSync(db).size).toBe(snapshot.length - 32);
  expect(statSync(db).uid).toBe(uid);
  expect(consistentIndex(db)).toBe(0n);
  // the database itself is the snapshot's, apart from the 8 bytes of the index
  const restored = readFileSync(db);
  let differing = 0;
  for (let i = 0; i < restored.length; i++) if (restored[i] !== snapshot[i]) differing++;
  expect(differing).toBeGreaterThan(0);
  expect(differing).toBeLessThanOrEqual(8);
  expect(recovery.ready()).toBe(false); // the upload is used up
  expect(existsSync(join(root, "upload", "snapshot.part"))).toBe(false);
}, 60_000);
